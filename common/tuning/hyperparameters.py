"""`tune.space` entries (`common.config.search_space`) as KerasTuner hyperparameters, and a
trial's values back as the config overrides they stand for.

    choice  -> hp.Choice     float -> hp.Float     int -> hp.Int     boolean -> hp.Boolean

KerasTuner's `hp.Choice` holds only scalars of one type, so choices of lists, sections, nulls,
booleans or mixed types travel through KerasTuner as their YAML text (`"[16, 16]"`), which is
also what the leaderboard and the TensorBoard HParams dashboard show.

The hyperparameter's default is the base config's value when it lies in the space, so the grid
tuner tries the config as it stands first. No TensorFlow here: `hp` is any object with
KerasTuner's `Choice`, `Boolean`, `Float` and `Int` methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from common.config.search_space import Entry, is_number, yaml_text


def as_text(entry: Entry) -> bool:
    """Whether this choice travels through KerasTuner as YAML text (see the module doc)."""
    types = {type(value) for value in entry.values}
    return entry.kind == "choice" and types not in ({int}, {float}, {str})


def declare(entry: Entry, hp) -> Any:
    """Register `entry` on a `keras_tuner.HyperParameters` and return the trial's value."""
    if entry.kind == "choice":
        text = as_text(entry)
        values = [yaml_text(v) for v in entry.values] if text else list(entry.values)
        current = yaml_text(entry.current) if text else entry.current
        return hp.Choice(entry.key, values, default=current if current in values else None)
    if entry.kind == "boolean":
        return hp.Boolean(entry.key, default=entry.current is True)
    number = float if entry.kind == "float" else int
    fits = is_number(entry.current) and entry.low <= entry.current <= entry.high
    default = number(entry.current) if fits and number(entry.current) == entry.current else None
    hyperparameter = hp.Float if entry.kind == "float" else hp.Int
    return hyperparameter(
        entry.key, entry.low, entry.high, step=entry.step, sampling=entry.sampling, default=default
    )


def decode(entry: Entry, value: Any) -> Any:
    """A KerasTuner value back as the config value it stands for."""
    if as_text(entry):
        return yaml.safe_load(value)
    if entry.kind == "float":
        return float(f"{value:.12g}")  # 0.30000000000000004 (a stepped range) -> 0.3
    return value


def override(entry: Entry, value: Any) -> str:
    """`model.units=[16, 16]` for the KerasTuner value `"[16, 16]"`."""
    return f"{entry.key}={yaml_text(decode(entry, value))}"


def trial_overrides(entries: list[Entry], values: Mapping[str, Any]) -> list[str]:
    """The command-line overrides that turn the base config into this trial's config."""
    return [override(entry, values[entry.key]) for entry in entries if entry.key in values]
