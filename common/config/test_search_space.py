"""The `tune.space` grammar: each mistake in a space is a ConfigError under
`tune.space.<key>`, raised when the config loads (no TensorFlow, no KerasTuner)."""

from __future__ import annotations

import pytest

from common.config import load_config, search_space
from common.errors import ConfigError

SPACE = (
    "tune.space={model.units: {choice: [[4], [8, 4]]}, "
    "optimizer.learning_rate: {float: [1.0e-3, 3.0e-2], sampling: log}, "
    "model.dropout: {float: [0.0, 0.2], step: 0.1}}"
)


def test_a_space_parses_into_entries_with_the_base_values():
    config = load_config("binary", [SPACE, "optimizer.learning_rate=0.002"])
    units, rate, dropout = search_space.entries(config)
    assert units.key == "model.units" and units.values == ([4], [8, 4])
    assert rate.sampling == "log" and rate.current == pytest.approx(0.002)
    assert (dropout.low, dropout.high, dropout.step) == (0.0, 0.2, 0.1)
    assert dropout.candidates() == [0.0, 0.2]


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ("{model.unitz: {choice: [[8]]}}", "tune.space.model.unitz: unknown config key 'unitz'"),
        ("{model.dropout: {choise: [0.1]}}", "unknown spec kind 'choise'. Did you mean 'choice'"),
        ("{model.units: {choice: []}}", "tune.space.model.units: choice needs at least one value"),
        ("{model.dropout: {float: [0.4, 0.1]}}", "low 0.4 is above high 0.1"),
        ("{optimizer.learning_rate: {float: [0, 0.1], sampling: log}}", "needs positive bounds"),
        ("{data.batch_size: {float: [16, 64]}}", "data.batch_size: expected int, got 16.0"),
        ("{model.dropout: {float: [0.0, 1.5]}}", "model.dropout: must be below 1.0, got 1.5"),
        ("{optimizer.name: {choice: [adam, sgdd]}}", "Did you mean 'sgd'"),
        ("{output.dir: {choice: [a, b]}}", "cannot be tuned"),
    ],
)
def test_bad_spaces_are_config_errors(space, message):
    with pytest.raises(ConfigError) as error:
        load_config("binary", [f"tune.space={space}"])
    assert message in str(error.value)


def test_a_sweep_needs_a_space_and_validation_data():
    with pytest.raises(ConfigError, match="tune.space: is empty"):
        search_space.check_sweep(load_config("binary", ["tune.space={}"]))
    no_validation = load_config("binary", [SPACE, "data.validation_split=0"])
    with pytest.raises(ConfigError, match="val_loss needs validation data"):
        search_space.check_sweep(no_validation)
