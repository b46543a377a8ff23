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


@pytest.mark.parametrize("name", config_names())
def test_config_builds_and_takes_one_step(name, tmp_path):
    dataset = load_config(name).data.dataset
    overrides = []
    if dataset in keras_files.WRITERS:
        overrides.append(f"data.path={keras_files.write(dataset, tmp_path)}")
    summary = check(tiny(name, tmp_path, *overrides))
    assert summary["parameters"] > 0
    assert np.isfinite(summary["loss_after_one_step"])
