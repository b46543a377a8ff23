"""Command-line overrides: `section.key=value`, the value read as YAML, applied to a config's
raw mapping before it is typed (so an override is checked exactly like the file it changes).

    apply_overrides(data, ["trainer.epochs=3", "model.units=[64, 64]"])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from common.config.files import check_nesting, check_size, deep_merge, yaml_problem
from common.config.quoting import short
from common.errors import ConfigError, UserError


def parse_override(text: str) -> tuple[list[str], Any]:
    """`trainer.epochs=3` -> (["trainer", "epochs"], 3). Values are YAML scalars or lists."""
    key, sep, value = text.partition("=")
    if not sep or not key.isprintable() or any(not part for part in key.split(".")):
        raise UserError(
            f"override {text!r} must look like section.key=value, e.g. trainer.epochs=3."
        )
    check_nesting(value, f"override {key}")
    try:
        parsed = yaml.safe_load(value) if value else None
    except yaml.YAMLError as error:
        problem = yaml_problem(error)
        raise UserError(f"override {short(text)}: the value is not valid YAML; {problem}") from None
    except RecursionError:
        raise UserError(f"override {short(text)}: the value is nested too deep.") from None
    check_size(parsed, f"override {key}")
    return key.split("."), parsed


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """A copy of the raw mapping `data` with each override set, creating sections as needed."""
    data = deep_merge({}, data)
    for text in overrides:
        keys, value = parse_override(text)
        node = data
        for depth, key in enumerate(keys[:-1]):
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            elif not isinstance(child, dict):
                dotted = ".".join(keys[: depth + 1])
                raise ConfigError(
                    dotted, f"is a value, not a section; cannot set {'.'.join(keys)}."
                )
            else:
                child = node[key] = dict(child)
            node = child
        node[keys[-1]] = value
    return data
