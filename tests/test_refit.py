"""`trainer.refit`: the workflow's final fit on training + validation, scored once on test."""

from __future__ import annotations

import filecmp
import re

import numpy as np
import pandas as pd
import pytest

from common.data import splits
from common.errors import UserError
from common.training.driver import train
from common.training.results import load_model
from tests.conftest import tiny
from tests.test_given_split import breast_cancer_parts
from tests.test_given_splits import load, series, series_files


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


@pytest.mark.slow
def test_a_given_validation_file_joins_the_training_rows_in_the_refit(tmp_path, capsys):
    _, paths = breast_cancer_parts(tmp_path)
    config = tiny(
        "binary",
        tmp_path / "runs",
        "data.dataset=csv",
        f"data.path={paths['train']}",
        f"data.test_path={paths['test']}",
        f"data.validation_path={paths['val']}",
        "data.target=target",
        "trainer.epochs=4",
        "trainer.refit=true",
        "trainer.reference=false",
    )
    _, metrics = train(config)
    assert metrics["refit"]["train_examples"] == 400 + 69
    assert metrics["validated"]["validation"]["loss"] > 0
    assert metrics["test"]["accuracy"] > metrics["baseline"]["accuracy"]
    summary = capsys.readouterr().out
    validated = f"{metrics['validated']['test']['accuracy']:.4f}"
    assert re.search(rf"accuracy +{metrics['test']['accuracy']:.4f} +{validated} ", summary)
    assert "refit  validated" in summary and "on 469 training + validation examples" in summary


def test_a_series_refit_trains_on_the_training_and_validation_periods(tmp_path):
    paths = series_files(tmp_path)
    dataset = load("rnn", *series(paths), stratify=False)
    split = splits.Split("holdout", dataset.x_train, dataset.y_train, dataset.x_val,
                         dataset.y_val, None)  # fmt: skip
    whole = splits.training_and_validation(split)
    assert whole.x_train.rows == range(dataset.x_train.rows.start, dataset.x_val.rows.stop)
    assert (whole.y_train == np.concatenate([dataset.y_train, dataset.y_val])).all()
    assert (whole.y_train == whole.x_train.y).all() and not whole.has_validation

    table = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    rows = splits.Split("holdout", table.iloc[:1], np.array([0]), table.iloc[1:], np.array([1]), 2)
    joined = splits.training_and_validation(rows)
    assert joined.x_train["b"].tolist() == ["x", "y"] and joined.y_train.tolist() == [0, 1]


@pytest.mark.slow
def test_a_series_run_refits_on_both_periods(tmp_path):
    paths = series_files(tmp_path)
    dataset = load("rnn", *series(paths), stratify=False)
    _, metrics = train(
        tiny("rnn", tmp_path / "runs", *series(paths), "trainer.epochs=2", "trainer.refit=true",
             "trainer.reference=false")
    )  # fmt: skip
    assert metrics["refit"]["train_examples"] == len(dataset.x_train) + len(dataset.x_val)
    assert metrics["validated"]["test"]["mae"] > 0 and metrics["test"]["mae"] > 0


def test_a_refit_without_a_validation_part_is_refused_before_training(tmp_path):
    config = tiny("binary", tmp_path, "data.validation_split=0", "trainer.refit=true")
    with pytest.raises(UserError, match="trainer.refit picks the epoch count on a validation"):
        train(config)
    assert not list((tmp_path / "binary").glob("2*"))  # no run folder left behind


def test_file_backed_parts_join_with_their_targets():
    """Seq2seq's TextPairs and segmentation's MaskFiles join like arrays: a refit of either
    trains on both parts, targets aligned; a stream's parts are refused as not joinable."""
    from common.data.dataset import joinable, joined
    from common.data.masks import MaskFiles
    from common.data.tokens import TextPairs

    corpus = object()  # the training corpus both parts are encoded against
    pairs = splits.Split(
        "holdout",
        TextPairs(np.array(["a", "b"]), corpus),
        np.array(["A", "B"]),
        TextPairs(np.array(["c"]), corpus),
        np.array(["C"]),
        None,
    )
    whole = splits.training_and_validation(pairs)
    assert whole.x_train.sources.tolist() == ["a", "b", "c"] and whole.x_train.corpus is corpus
    assert whole.y_train.tolist() == ["A", "B", "C"]

    masks = joined(
        MaskFiles(np.array(["m1.png"]), np.array([[3, 1]])),
        MaskFiles(np.array(["m2.png"]), np.array([[0, 4]])),
    )
    assert masks.paths.tolist() == ["m1.png", "m2.png"] and masks.counts.tolist() == [
        [3, 1],
        [0, 4],
    ]
    assert not joinable(object()) and joinable(np.zeros(2))
