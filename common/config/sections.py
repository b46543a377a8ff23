"""Typed sections from raw mappings: each value coerced to its field's annotation and checked
against the field's metadata (`choices`, `min`, `max`, `below`; see `common.config.schema`).

    build_section(TrainerConfig, {"epochs": 3}, "trainer")

Strict: an unknown key fails with its full dotted path and a did-you-mean, a wrong type names
the expected type and what was given. The `model` section is typed by the recipe's own
`Options` dataclass (`options_class`).
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import types
import typing
from typing import Any

from common.config.quoting import given, shown
from common.errors import ConfigError, UserError, did_you_mean, unknown_name


def type_name(annotation: Any) -> str:
    """An annotation as a message says it: `int or null`, `a list of str`, `a section`."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(arg) for arg in typing.get_args(annotation))
    if origin is list:
        return f"a list of {type_name(typing.get_args(annotation)[0])}"
    if origin is dict:
        return "a mapping"
    if annotation is type(None):
        return "null"
    if dataclasses.is_dataclass(annotation):
        return "a section"
    return getattr(annotation, "__name__", str(annotation))


def coerce(value: Any, annotation: Any, key: str) -> Any:
    """Return `value` as `annotation`, or raise a ConfigError naming `key`."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(annotation):
            try:
                return coerce(value, option, key)
            except ConfigError:
                continue
        raise ConfigError(key, f"expected {type_name(annotation)}, got {given(value)}.")
    if annotation is type(None):
        if value is None:
            return None
    elif dataclasses.is_dataclass(annotation):
        if isinstance(value, dict):
            return build_section(annotation, value, key)
    elif origin is list:
        if isinstance(value, list):
            (item_type,) = typing.get_args(annotation)
            return [coerce(item, item_type, f"{key}[{i}]") for i, item in enumerate(value)]
    elif origin is dict:
        if isinstance(value, dict):
            key_type, value_type = typing.get_args(annotation)
            return {
                coerce(k, key_type, f"{key}.{shown(k)}"): coerce(v, value_type, f"{key}.{shown(k)}")
                for k, v in value.items()
            }
    elif annotation is bool:
        if isinstance(value, bool):
            return value
    elif annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif annotation is float:
        number = as_float(value)
        if number is not None:
            if not math.isfinite(number):
                raise ConfigError(key, f"expected a finite number, got {given(value)}.")
            return number
    elif annotation is str:
        if isinstance(value, str):
            return value
    elif annotation is Any:
        return value
    raise ConfigError(key, f"expected {type_name(annotation)}, got {given(value)}.")


def as_float(value: Any) -> float | None:
    """A number as a float, or None. YAML 1.1 reads "1e-3" as a string, so numeric text
    counts; an integer too large for a float is infinite (and refused as such)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf
    except ValueError:
        return None


def check_bounds(value: Any, metadata: typing.Mapping[str, Any], key: str) -> None:
    """`choices`, `min`, `max` and `below` from a field's metadata; on a list, for each item."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_bounds(item, metadata, f"{key}[{index}]")
        return
    if value is None:
        return
    choices = metadata.get("choices")
    if choices and value not in choices:
        raise ConfigError(key, unknown_name("value", value, choices))
    low, high, below = metadata.get("min"), metadata.get("max"), metadata.get("below")
    if low is not None and value < low:
        raise ConfigError(key, f"must be at least {low}, got {value}.")
    if high is not None and value > high:
        raise ConfigError(key, f"must be at most {high}, got {value}.")
    if below is not None and value >= below:
        raise ConfigError(key, f"must be below {below}, got {value}.")


def build_section(cls: type, data: dict[str, Any], prefix: str = "") -> Any:
    """Build dataclass `cls` from `data`, rejecting unknown keys with their full path."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in data.items():
        key = f"{prefix}.{shown(name)}" if prefix else shown(name)
        if name not in fields:
            hint = did_you_mean(str(name), fields)
            valid = ", ".join(fields)
            raise ConfigError(key, f"unknown key.{hint} Valid keys here: {valid}.")
        values[name] = coerce(value, hints[name], key)
        check_bounds(values[name], fields[name].metadata, key)
    missing = [
        name
        for name, f in fields.items()
        if name not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        key = f"{prefix}.{missing[0]}" if prefix else missing[0]
        raise ConfigError(key, "is required.")
    return cls(**values)


def options_class(recipe: str) -> type:
    """The dataclass typing `recipe`'s model section: `Options` in `recipes/options/<recipe>.py`,
    a module that imports no TensorFlow (so configs are validated before it starts)."""
    try:
        module = importlib.import_module(f"recipes.options.{recipe}")
    except ModuleNotFoundError as error:
        if error.name != f"recipes.options.{recipe}":
            raise
        raise UserError(
            f"recipe {recipe!r} has no model options: add recipes/options/{recipe}.py "
            "with a dataclass named Options (see recipes/options/binary.py)."
        ) from None
    options = getattr(module, "Options", None)
    if not dataclasses.is_dataclass(options):
        raise UserError(f"recipes/options/{recipe}.py must define a dataclass named Options.")
    return options
