"""`tune.space` entries as KerasTuner hyperparameters: list choices travel as YAML text and
come back as config values; the base config's value is the default."""

from __future__ import annotations

import keras_tuner
import pytest

from common.config import load_config, search_space
from common.tuning import hyperparameters

SPACE = (
    "tune.space={model.units: {choice: [[4], [8, 4]]}, "
    "optimizer.learning_rate: {float: [1.0e-3, 3.0e-2], sampling: log}, "
    "model.dropout: {float: [0.0, 0.2], step: 0.1}}"
)


def test_list_choices_travel_as_yaml_text_and_come_back():
    config = load_config("binary", [SPACE, "optimizer.learning_rate=0.002"])
    units, rate, dropout = search_space.entries(config)
    hp = keras_tuner.HyperParameters()
    assert hyperparameters.declare(units, hp) == "[4]"  # a string for KerasTuner ...
    assert hyperparameters.override(units, "[8, 4]") == "model.units=[8, 4]"  # ... a list
    assert hyperparameters.declare(rate, hp) == pytest.approx(0.002)  # the config's value
    assert hyperparameters.decode(dropout, 0.30000000000000004) == 0.3


def test_trial_overrides_are_command_line_overrides():
    config = load_config("binary", [SPACE])
    entries = search_space.entries(config)
    values = {"model.units": "[8, 4]", "model.dropout": 0.1, "tuner/epochs": 2}
    overrides = hyperparameters.trial_overrides(entries, values)
    assert overrides == ["model.units=[8, 4]", "model.dropout=0.1"]
