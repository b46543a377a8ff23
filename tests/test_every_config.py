"""Every config in configs/ is covered the moment it is added: it validates, builds under its
strategy and takes one training step on tiny settings. Configs that download a Keras dataset
read a small file in the same format, written here."""

from __future__ import annotations

import numpy as np
import pytest

from common.config import config_names, load_config
from common.training.driver import check
from tests import keras_files
from tests.conftest import tiny


# Deep variants are smoke-tested at their recipe's smallest depth in the fast suite (their data,
# pipeline, schedule and head are the same); at full depth in the slow suite.
def shallow(config) -> list[str]:
    if config.recipe == "resnet":
        return ["model.depth=8" if config.model.version == 1 else "model.depth=11"]
    if config.recipe == "densenet":
        return ["model.depth=10"]
    return []


def one_step(name: str, tmp_path, *overrides: str) -> None:
    dataset = load_config(name).data.dataset
    if dataset in keras_files.WRITERS:
        overrides = (*overrides, f"data.path={keras_files.write(dataset, tmp_path)}")
    summary = check(tiny(name, tmp_path, *overrides))
    assert summary["parameters"] > 0
    assert np.isfinite(summary["loss_after_one_step"])


HEAVY = ("rnn-imdb",)  # a bidirectional LSTM over 200 steps: its one step runs in the slow set


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY else n for n in config_names()],
)
def test_config_builds_and_takes_one_step(name, tmp_path):
    one_step(name, tmp_path, *shallow(load_config(name)))


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", [n for n in config_names() if shallow(load_config(n)) and "-" in n]
)
def test_deep_variants_build_at_full_depth(name, tmp_path):
    one_step(name, tmp_path)
