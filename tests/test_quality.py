"""The default configs, at their default epochs, clear the bars the recipes promise:
breast cancer ≥ 0.95 accuracy and above the majority class, digits ≥ 0.95, diabetes K-fold
MAE at least 25% below the mean-target baseline's."""

from __future__ import annotations

import pytest

from common.config import load_config
from common.training.driver import train

pytestmark = pytest.mark.quality  # default configs at default epochs: `make test-full`

AS_SHIPPED = ["trainer.verbose=0", "output.plot=false"]


def test_binary_default_beats_095_and_the_majority_class(tmp_path):
    _, metrics = train(load_config("binary", [*AS_SHIPPED, f"output.dir={tmp_path}"]))
    assert metrics["test"]["accuracy"] >= 0.95
    assert metrics["test"]["accuracy"] > metrics["baseline"]["accuracy"]


def test_multiclass_default_reaches_095_on_digits(tmp_path):
    _, metrics = train(load_config("multiclass", [*AS_SHIPPED, f"output.dir={tmp_path}"]))
    assert metrics["test"]["accuracy"] >= 0.95


def test_regression_default_kfold_mae_is_25_percent_below_the_baseline(tmp_path):
    _, metrics = train(load_config("regression", [*AS_SHIPPED, f"output.dir={tmp_path}"]))
    assert metrics["kfold"]["mae"]["mean"] <= 0.75 * metrics["kfold_baseline"]["mae"]["mean"]
    assert metrics["test"]["mae"] < metrics["baseline"]["mae"]


def test_convnet_default_matches_svc_on_the_digits_split_over_three_seeds(tmp_path):
    """scikit-learn's SVC() scores 0.9917 on this split (test_split 0.2, seed 42)."""
    scores = [
        train(
            load_config(
                "convnet",
                [*AS_SHIPPED, f"seed={seed}", "data.split_seed=42", f"output.dir={tmp_path}"],
            )
        )[1]["test"]["accuracy"]
        for seed in (0, 1, 2)
    ]
    assert sum(scores) / 3 >= 0.9917 - 1e-6, scores


@pytest.mark.parametrize("recipe", ["resnet", "densenet"])
def test_resnet_and_densenet_defaults_reach_0985(recipe, tmp_path):
    _, metrics = train(load_config(recipe, [*AS_SHIPPED, f"output.dir={tmp_path}"]))
    assert metrics["test"]["accuracy"] >= 0.985 > metrics["baseline"]["accuracy"]
