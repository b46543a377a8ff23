"""The small pieces of `results` and `kfold`: one line of a reason, the folds' mean and spread,
the final model's epochs, and test_predictions.csv's columns."""

from __future__ import annotations

import numpy as np
import pytest

from common.config import load_config
from common.modeling.predicting import SplitOutputs
from common.training.kfold import final_epochs
from common.training.results import first_line, mean_and_std, write_predictions


def test_first_line_is_the_reason_in_one_line():
    assert first_line("\n  bad shape\ntraceback ...") == "bad shape"
    assert first_line("") == ""
    assert len(first_line("x" * 600)) == 500


def test_mean_and_std_over_folds():
    scores = mean_and_std([{"loss": 1.0}, {"loss": 3.0}])
    assert scores == {"loss": {"mean": 2.0, "std": 1.0}}


def test_the_final_model_trains_the_folds_mean_best_epoch_with_early_stopping():
    config = load_config("binary", ["trainer.epochs=9", "trainer.early_stopping.enabled=true"])
    assert final_epochs(config, [{"best_epoch": 2}, {"best_epoch": 5}]) == 4  # 3.5, to even
    config.trainer.early_stopping.enabled = False
    assert final_epochs(config, [{"best_epoch": 2}]) == 9


@pytest.mark.parametrize(
    ("task", "outputs", "header"),
    [
        ("binary", [[0.25], [0.75]], "target,probability"),
        ("multiclass", [[0.5, 0.5], [0.1, 0.9]], "target,prob_0,prob_1"),
        ("regression", [[1.5], [2.5]], "target,prediction"),
    ],
)
def test_predictions_have_one_column_per_output(tmp_path, task, outputs, header):
    path = tmp_path / "test_predictions.csv"
    write_predictions(SplitOutputs(np.array([0, 1]), np.array(outputs), None, 2), task, path)
    lines = path.read_text().splitlines()
    assert lines[0] == header and len(lines) == 3
