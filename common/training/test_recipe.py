"""The recipe contract: every shipped recipe satisfies it, a misspelled hook or one with the
wrong arguments fails at load, and common/ never imports a recipe (recipes plug into common/,
not the other way)."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

from common.config import recipe_names
from common.errors import UserError
from common.training.recipe import (
    ARGUMENTS,
    HOOKS,
    OPTIONAL_HOOKS,
    REQUIRED,
    RecipeModule,
    check_arguments,
    check_names,
    load_recipe,
)


def fake_recipe(**functions) -> types.ModuleType:
    module = types.ModuleType("recipes.fake")
    module.TASK = "binary"
    for name, function in {"build_model": lambda split, options: None, **functions}.items():
        function.__module__ = module.__name__
        setattr(module, name, function)
    return module


@pytest.mark.parametrize("name", recipe_names())
def test_shipped_recipes_follow_the_contract(name):
    recipe = load_recipe(name)
    assert recipe.task and callable(recipe.build_model) and callable(recipe.make_dataset)


def test_a_misspelled_hook_fails_with_the_list_of_hooks():
    with pytest.raises(UserError) as error:
        check_names(fake_recipe(make_datset=lambda x, y, data, training, seed, options: None))
    message = str(error.value)
    assert "make_datset" in message and "did you mean make_dataset()" in message
    assert all(hook in message for hook in HOOKS)


def test_the_tables_are_read_from_the_contract():
    assert set(HOOKS) == {"build_model", *OPTIONAL_HOOKS}
    assert REQUIRED == ("TASK", "build_model")
    assert ARGUMENTS["report"] == ("model", "dataset", "run", "test")
    assert OPTIONAL_HOOKS["sample"] is None


@pytest.mark.parametrize("hook", HOOKS)
def test_each_hook_says_whether_it_is_optional_and_documents_its_arguments(hook):
    doc = getattr(RecipeModule, hook).__doc__
    assert ("Optional." if hook in OPTIONAL_HOOKS else "Required.") in doc.split("\n\n")[0]
    assert all(f"{argument}:" in doc for argument in ARGUMENTS[hook])


def test_a_hook_with_the_wrong_arguments_fails_at_load_not_after_training():
    def report(model, dataset, run_dir, config, test):  # written for the whole config
        return {}

    with pytest.raises(UserError) as error:
        check_arguments(fake_recipe(report=report))
    message = str(error.value)
    assert "recipes/fake.py" in message
    assert "report(model, dataset, run, test)" in message
    assert "(model, dataset, run_dir, config, test)" in message


def test_hooks_may_take_more_with_defaults():
    check_arguments(
        fake_recipe(
            report=lambda model, dataset, run, test, extra=1: {},
            baseline=lambda *arguments: {},
        )
    )


def test_helpers_with_other_names_are_fine():
    check_names(fake_recipe(build_encoder=lambda: None, noisy=lambda: None))


def test_missing_build_model_is_named():
    module = types.ModuleType("recipes.fake")
    module.TASK = "binary"
    with pytest.raises(UserError, match="must define build_model"):
        check_names(module)


def test_common_never_imports_a_recipe():
    common = Path(__file__).resolve().parents[1]
    pattern = re.compile(r"^\s*(from|import)\s+recipes\b", re.M)
    offenders = [str(p) for p in common.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
