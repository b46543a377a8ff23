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
    HOOKS,
    OPTIONAL_HOOKS,
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
        check_names(fake_recipe(make_datset=lambda x, y, config, training: None))
    message = str(error.value)
    assert "make_datset" in message and "did you mean make_dataset()" in message
    assert all(hook in message for hook in HOOKS)


def test_every_hook_has_its_arguments_written_down():
    assert set(HOOKS) == {"build_model", *OPTIONAL_HOOKS}


def test_a_hook_with_the_wrong_arguments_fails_at_load_not_after_training():
    def report(model, dataset, run_dir, config):  # written before `test` was passed
        return {}

    with pytest.raises(UserError) as error:
        check_arguments(fake_recipe(report=report))
    message = str(error.value)
    assert "recipes/fake.py" in message
    assert "report(model, dataset, run_dir, config, test)" in message
    assert "(model, dataset, run_dir, config)" in message


def test_hooks_may_take_more_with_defaults():
    check_arguments(
        fake_recipe(
            report=lambda model, dataset, run_dir, config, test, extra=1: {},
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
