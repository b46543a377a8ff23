"""`trainer.refit`: the workflow's final fit on training + validation, scored once on test."""

from __future__ import annotations

import filecmp

import pytest

from common.training.driver import train
from common.training.results import load_model
from tests.conftest import tiny


@pytest.mark.slow
def test_refit_trains_a_fresh_model_on_training_and_validation(tmp_path):
    config = tiny(
        "binary",
        tmp_path,
        "trainer.epochs=6",
        "trainer.refit=true",
        "trainer.reference=false",
    )
    run_dir, metrics = train(config)
    validated, refit = metrics["validated"], metrics["refit"]
    assert refit["epochs"] == validated["best_epoch"] == metrics["epochs"]
    assert refit["train_examples"] == 455  # 569 - 114 test: training and validation together
    assert set(validated["test"]) == set(metrics["test"])
    assert metrics["test"]["accuracy"] > metrics["baseline"]["accuracy"]
    assert filecmp.cmp(run_dir / "best.keras", run_dir / "refit" / "last.keras", shallow=False)
    assert load_model(run_dir / "validated.keras").count_params() > 0
    assert metrics["verdict"]["beats_baseline"] is True
