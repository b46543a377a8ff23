"""The `tune.space` grammar: which config keys a sweep searches, and over which values.

    tune:
      space:
        model.units:             {choice: [[16, 16], [64, 64]]}
        optimizer.learning_rate: {float: [1.0e-4, 1.0e-2], sampling: log}
        model.dropout:           {float: [0.0, 0.5], step: 0.1}
        data.batch_size:         {int: [16, 64], step: 16}
        model.batch_norm:        {boolean: true}

Any config key can be searched, written dotted as above or nested (`model: {units: ...}`),
which is what a command-line override such as `tune.space.model.units={choice: [[8], [16]]}`
produces. `sampling` is linear, log or reverse_log; with log sampling, `step` multiplies.

A trial is the base config plus one `key=value` override per entry, exactly what the command
line would take, so every trial value goes through the same strict loader as every config:
`common.config.loading` checks each choice, and both ends of each range, when the config loads.
Turning entries into KerasTuner hyperparameters is `common.tuning.hyperparameters`.
No TensorFlow here: config errors answer instantly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from common.config.schema import Config, higher_is_better
from common.errors import ConfigError, did_you_mean, unknown_name

KINDS = ("choice", "float", "int", "boolean")
OPTIONS = {"choice": (), "float": ("step", "sampling"), "int": ("step", "sampling"), "boolean": ()}
SAMPLINGS = ("linear", "log", "reverse_log")
# Sections a trial cannot change: what the run is, where it is written, how it is distributed
# (one strategy serves the whole sweep) and the sweep itself.
FIXED = ("recipe", "name", "output", "distribute", "tune")
EXAMPLE = "{choice: [...]}, {float: [low, high]}, {int: [low, high]} or {boolean: true}"


def yaml_text(value: Any) -> str:
    """One line of YAML, as a command-line override writes it: `[16, 16]`, `0.001`, `'yes'`."""
    text = yaml.safe_dump(value, default_flow_style=True, width=math.inf)
    return text.removesuffix("...\n").strip()


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Entry:
    """One searched key: its kind of spec, the values or range it spans, and the base config's
    value (`current`)."""

    key: str
    kind: str
    values: tuple[Any, ...] = ()  # choice, as written in the config
    low: float | None = None
    high: float | None = None
    step: float | None = None
    sampling: str = "linear"
    current: Any = None  # the base config's value

    def candidates(self) -> list[Any]:
        """The values the loader must accept: every choice, both ends of a range."""
        if self.kind == "choice":
            return list(self.values)
        if self.kind == "boolean":
            return [True, False]
        return [self.low, self.high]


# --------------------------------------------------------------------------------------------
# Parsing and checking a space (raises ConfigError under `tune.space.<key>`)
# --------------------------------------------------------------------------------------------


def _lookup(config: dict[str, Any], key: str) -> Any:
    """The resolved config's value at a dotted key, or a ConfigError naming the unknown part."""
    node: Any = config
    parts = key.split(".")
    for depth, part in enumerate(parts):
        if not isinstance(node, dict):
            section = ".".join(parts[:depth])
            raise ConfigError(f"tune.space.{key}", f"{section} is a value, not a section.")
        if part not in node:
            known = ".".join(parts[:depth]) or "the config"
            raise ConfigError(
                f"tune.space.{key}",
                f"unknown config key {part!r} in {known}.{did_you_mean(part, node)} "
                f"Valid keys here: {', '.join(map(str, node))}.",
            )
        node = node[part]
    return node


def _flatten(space: Any, config: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, spec) pairs; a mapping under a config *section* is a nested space."""
    if not isinstance(space, dict):
        where = f"tune.space.{prefix}" if prefix else "tune.space"
        raise ConfigError(where, f"expected a mapping of config keys to specs, got {space!r}.")
    for name, spec in space.items():
        key = f"{prefix}.{name}" if prefix else str(name)
        current = _lookup(config, key)
        nested = isinstance(spec, dict) and not set(spec) & set(KINDS)
        if nested and isinstance(current, dict):
            yield from _flatten(spec, config, key)
        else:
            yield key, spec


def _bounds(key: str, kind: str, given: Any) -> tuple[float, float]:
    where = f"tune.space.{key}"
    if not isinstance(given, list) or len(given) != 2:
        raise ConfigError(where, f"{kind} needs [low, high], got {given!r}.")
    bounds = []
    for bound in given:
        if kind == "float" and isinstance(bound, str):  # YAML 1.1 reads 1e-4 as a string
            with contextlib.suppress(ValueError):
                bound = float(bound)
        valid = isinstance(bound, int) if kind == "int" else is_number(bound)
        if not valid or isinstance(bound, bool):
            raise ConfigError(where, f"{kind} bounds must be {kind}s, got {bound!r}.")
        bounds.append(float(bound) if kind == "float" else bound)
    low, high = bounds
    if low > high:
        raise ConfigError(where, f"low {low} is above high {high}.")
    return low, high


def parse_entry(key: str, spec: Any, current: Any) -> Entry:
    """Check one spec's own syntax; whether its values fit `key` is the loader's check."""
    where = f"tune.space.{key}"
    if key.split(".")[0] in FIXED:
        raise ConfigError(where, f"cannot be tuned: a sweep keeps {', '.join(FIXED)} fixed.")
    if not isinstance(spec, dict):
        raise ConfigError(where, f"expected a spec such as {EXAMPLE}, got {spec!r}.")
    kinds = [name for name in spec if name in KINDS]
    if len(kinds) > 1:
        raise ConfigError(where, f"give one kind of spec, found {' and '.join(kinds)}.")
    if not kinds:
        name = next(iter(spec), "")
        raise ConfigError(where, unknown_name("spec kind", name, KINDS))
    (kind,) = kinds
    for option in spec:
        if option != kind and option not in OPTIONS[kind]:
            valid = OPTIONS[kind] or ("none",)
            raise ConfigError(where, f"{kind}: {unknown_name('option', option, valid)}")
    given = spec[kind]
    if kind == "choice":
        if not isinstance(given, list):
            raise ConfigError(where, f"choice needs a list of values, got {given!r}.")
        if not given:
            raise ConfigError(where, "choice needs at least one value, got an empty list.")
        return Entry(key, kind, values=tuple(given), current=current)
    if kind == "boolean":
        if given is not True:
            raise ConfigError(where, f"write {{boolean: true}} to try both values, got {given!r}.")
        return Entry(key, kind, current=current)
    low, high = _bounds(key, kind, given)
    sampling = spec.get("sampling", "linear")
    if sampling not in SAMPLINGS:
        raise ConfigError(where, unknown_name("sampling", sampling, SAMPLINGS))
    if sampling != "linear" and low <= 0:
        raise ConfigError(where, f"{sampling} sampling needs positive bounds, got low={low}.")
    step = spec.get("step")
    if step is not None:
        if not is_number(step) or step <= 0 or (kind == "int" and not isinstance(step, int)):
            raise ConfigError(where, f"step must be a positive {kind}, got {step!r}.")
        if sampling != "linear" and step <= 1:
            raise ConfigError(where, f"with {sampling} sampling, step multiplies: it must be > 1.")
    return Entry(key, kind, low=low, high=high, step=step, sampling=sampling, current=current)


def parse(space: dict[str, Any], config: dict[str, Any]) -> list[Entry]:
    """The entries of `space`, checked against the resolved config `config` (a plain dict)."""
    entries: dict[str, Entry] = {}
    for key, spec in _flatten(space, config):
        # Declared twice (dotted and nested): the later wins, so that a command-line override
        # such as tune.space.model.units={...} replaces the config's `model.units` entry.
        entries.pop(key, None)
        entries[key] = parse_entry(key, spec, _lookup(config, key))
    return list(entries.values())


def entries(config: Config) -> list[Entry]:
    """The searched keys of `config`'s `tune.space`."""
    return parse(config.tune.space, dataclasses.asdict(config))


# --------------------------------------------------------------------------------------------
# What a sweep needs beyond the space
# --------------------------------------------------------------------------------------------


def direction(config: Config) -> str:
    """`tune.direction`, or the rule checkpoints use: accuracy, AUC, precision, recall -> max."""
    if config.tune.direction:
        return config.tune.direction
    return "max" if higher_is_better(config.tune.objective) else "min"


def check_sweep(config: Config) -> None:
    """What a sweep needs beyond a valid config: a space, and validation data to score on."""
    if not config.tune.space:
        raise ConfigError(
            "tune.space",
            f"is empty: declare the keys to search in the config, e.g. "
            f"tune.space: {{optimizer.learning_rate: {{float: [1.0e-4, 1.0e-2], sampling: log}}}}. "
            f"Specs: {EXAMPLE}.",
        )
    searched = {entry.key for entry in entries(config)}
    validated = config.data.validation_split > 0 or "data.validation_split" in searched
    if config.tune.objective.startswith("val_") and not validated:
        raise ConfigError(
            "tune.objective",
            f"{config.tune.objective} needs validation data: trials are scored on a holdout of "
            "data.validation_split, which is 0 here.",
        )
