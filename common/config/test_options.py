"""Typed model options: each recipe's `model` section is a dataclass, checked like the rest of
the schema and without TensorFlow. (Fast unit tests; end-to-end runs live in tests/.)"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from common.config import config_names, load_config, options_class, recipe_names
from common.errors import ConfigError, UserError


@pytest.mark.parametrize("recipe", recipe_names())
def test_every_recipe_has_typed_options(recipe):
    options = options_class(recipe)
    assert dataclasses.is_dataclass(options)
    assert load_config(recipe).model == load_config(recipe).model  # comparable, typed values


def test_recipes_read_options_as_attributes():
    config = load_config("gan-conditional", ["model.latent_dim=16"])
    assert config.model.conditional is True and config.model.latent_dim == 16
    assert isinstance(config.model, options_class("gan"))


@pytest.mark.parametrize(
    ("override", "key", "fragment"),
    [
        ("model.units=[16,0]", "model.units[1]", "at least 1"),
        ("model.dropout=-0.1", "model.dropout", "at least 0.0"),
        ("model.activation=relux", "model.activation", "Did you mean 'relu'?"),
        ("model.batch_norm=3", "model.batch_norm", "expected bool"),
        ("model.latent=4", "model.latent", "unknown key"),
    ],
)
def test_option_mistakes_name_the_key(override, key, fragment):
    recipe = "autoencoder" if "latent" in override else "binary"
    with pytest.raises(ConfigError) as error:
        load_config(recipe, [override])
    assert error.value.key == key and fragment in str(error.value)


def test_architecture_choices_are_checked_before_building():
    with pytest.raises(ConfigError, match="Did you mean 'conv'"):
        load_config("autoencoder", ["model.architecture=cnv"])


def test_a_recipe_without_options_is_a_clear_error():
    with pytest.raises(UserError, match="recipes/options/nothing.py"):
        options_class("nothing")


def test_validating_every_config_imports_no_tensorflow():
    code = (
        "import sys\n"
        "from common.config import config_names, load_config\n"
        "[load_config(name) for name in config_names()]\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert config_names()
