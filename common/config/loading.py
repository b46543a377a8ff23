"""Loading a config: its file and `extends:` chain, the command-line overrides, the typed
sections and the cross-key checks, in that order — strictly, and without importing TensorFlow.

    config = load_config("binary", ["trainer.epochs=3", "model.units=[64,64]"])

Resolution order: schema defaults (`common.config.schema`) < `extends:` chain < the YAML file
< the command-line overrides (`files`, `overrides`). Every key is checked against the schema
(`sections`), then the rules between keys (`checks`), then every value `tune.space` may give
a key (`search_space`), which is loaded like any config.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from common.config import search_space
from common.config.checks import CHECKS
from common.config.files import find_config, read_with_extends, recipe_names
from common.config.overrides import apply_overrides
from common.config.quoting import given
from common.config.schema import Config
from common.config.sections import build_section, options_class
from common.errors import ConfigError, unknown_name


def from_dict(data: dict[str, Any], name: str = "") -> Config:
    """Validate a raw mapping (already merged and overridden) into a Config."""
    recipe = data.get("recipe")
    if recipe is None:
        raise ConfigError("recipe", f"is required. Valid: {', '.join(recipe_names())}.")
    if not isinstance(recipe, str):
        raise ConfigError(
            "recipe",
            f"expected a recipe name, got {given(recipe)}. Valid: {', '.join(recipe_names())}.",
        )
    if recipe not in recipe_names():
        raise ConfigError("recipe", unknown_name("recipe", recipe, recipe_names()))
    model = data.get("model") or {}
    if not isinstance(model, dict):
        raise ConfigError("model", f"expected a section, got {given(model)}.")
    config = build_section(Config, {**data, "model": None})
    config.model = build_section(options_class(recipe), model, "model")
    config.name = config.name or name or recipe
    for check in CHECKS:
        check(config)
    check_sweep_values(config)
    return config


def load_config(target: str, overrides: Sequence[str] = ()) -> Config:
    """Load a config by name (`binary`, `binary-imdb`) or path, then apply overrides."""
    path = find_config(target)
    data = apply_overrides(read_with_extends(path), overrides)
    return from_dict(data, name=data.get("name") or path.stem)


def with_overrides(config: Config, overrides: Sequence[str]) -> Config:
    """`config` with command-line style overrides applied, validated like any loaded config."""
    return from_dict(apply_overrides(dataclasses.asdict(config), overrides), name=config.name)


def to_yaml(config: Config) -> str:
    """The resolved config as YAML: itself a config that loads to an equal one."""
    return yaml.safe_dump(dataclasses.asdict(config), sort_keys=False, default_flow_style=None)


def check_sweep_values(
    config: Config, check: Callable[[Config], None] | None = None, prefix: str = ""
) -> None:
    """Each `tune.space` entry names a config key, and each of its values fits that key: every
    choice, and both ends of every range, is applied as an override and loaded like any config
    (then given to `check`, for the entries whose key starts with `prefix`)."""
    if not config.tune.space:
        return
    # A trial is not itself a sweep: its values are checked against the config without a space.
    trial = dataclasses.replace(config, tune=dataclasses.replace(config.tune, space={}))
    for entry in search_space.parse(config.tune.space, dataclasses.asdict(trial)):
        if not entry.key.startswith(prefix):
            continue
        for value in entry.candidates():
            text = search_space.yaml_text(value)
            try:
                candidate = with_overrides(trial, [f"{entry.key}={text}"])
                if check is not None:
                    check(candidate)
            except ConfigError as error:
                raise ConfigError(
                    f"tune.space.{entry.key}", f"the value {text} does not fit: {error}"
                ) from None
