"""`trainer.ensemble`, with `--seeds` or K-fold: the members' mean as a run that predicts,
exports and evaluates like any other."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from tests.conftest import cookbook, tiny


def train_on_csv(recipe: str, path, runs, *arguments: str):
    """`cookbook train RECIPE` on a CSV whose label column is `target`, into `runs`."""
    return cookbook(
        "train",
        recipe,
        *arguments,
        "data.dataset=csv",
        f"data.path={path}",
        "data.target=target",
        "output.plot=false",
        f"output.dir={runs}",
        timeout=600,
    )


def test_the_average_is_the_members_mean_and_loads_in_safe_mode(tmp_path):
    import keras
    import tensorflow as tf

    from common.modeling import preprocessing
    from common.training.ensemble import average

    def member(seed: int) -> keras.Model:
        keras.utils.set_random_seed(seed)
        inputs = {"x": keras.Input((3,), name="x")}
        outputs = keras.layers.Dense(1, activation="sigmoid")(inputs["x"])
        model = keras.Model(inputs, outputs, name="binary")  # every member has the same name
        model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
        return model

    members = [member(seed) for seed in (0, 1, 2)]
    rows = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    expected = np.mean([m.predict({"x": rows}, verbose=0) for m in members], axis=0)
    model = average(members, members[0].get_compile_config())
    np.testing.assert_allclose(model.predict({"x": rows}, verbose=0), expected, rtol=1e-6)
    assert model.compiled
    model.save(tmp_path / "best.keras")
    loaded = keras.saving.load_model(tmp_path / "best.keras", safe_mode=True)
    batches = tf.data.Dataset.from_tensor_slices({"x": rows}).batch(8)
    np.testing.assert_allclose(loaded.predict(batches, verbose=0), expected, rtol=1e-6)
    assert preprocessing.table_columns(loaded) == {"x": "x"}


def test_ensemble_without_seeds_or_folds_is_refused_by_key():
    result = cookbook("train", "binary", "trainer.ensemble=true", timeout=60)
    assert result.returncode == 2
    assert "trainer.ensemble" in result.stderr and "--seeds" in result.stderr
    assert "data.split=kfold" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_ensemble_of_a_task_without_probabilities_is_refused_before_any_run(tmp_path):
    from common.errors import UserError
    from common.training.driver import train

    config = tiny("autoencoder", tmp_path, "trainer.ensemble=true", "data.split=kfold")
    with pytest.raises(UserError, match="trainer.ensemble=false"):
        train(config)
    assert not (tmp_path / config.name).exists()


def test_a_kfold_ensemble_is_the_mean_of_the_folds_models_and_resumes_by_fold(tmp_path):
    import keras

    from common.training.driver import train
    from common.training.recipe import load_recipe

    overrides = ("data.folds=3", "trainer.epochs=3", "trainer.ensemble=true", "output.plot=false")
    config = tiny("regression", tmp_path, *overrides)
    run_dir, metrics = train(config)
    members = metrics["ensemble"]["members"]
    assert [m["fold"] for m in members] == ["fold-1", "fold-2", "fold-3"]
    # No final model on all the data: the folds' mean is the run's model.
    assert not (run_dir / "history.csv").exists() and not (run_dir / "last.keras").exists()
    rows = load_recipe("regression").dataset(config).x_test[:16]
    models = [keras.saving.load_model(run_dir / m["model"], safe_mode=True) for m in members]
    expected = np.mean([model.predict(rows, verbose=0) for model in models], axis=0)
    ensemble = keras.saving.load_model(run_dir / "best.keras", safe_mode=True)
    np.testing.assert_allclose(ensemble.predict(rows, verbose=0), expected, rtol=1e-5)
    # Scored on the test split beside each member; the mean is no worse than its worst member.
    assert metrics["test"]["mae"] < metrics["baseline"]["mae"]
    assert metrics["test"]["mae"] <= max(m["test"]["mae"] for m in members) + 1e-6
    assert metrics["epochs"] >= 1 and metrics["verdict"]["diagnosis"]

    # Killed after its second fold: the resumed run trains the third only, then averages.
    for name in ("metrics.json", "best.keras"):
        (run_dir / name).unlink()
    third = (run_dir / "folds" / "fold-3" / "best.keras").read_bytes()
    (run_dir / "folds" / "fold-3" / "result.json").unlink()
    first = (run_dir / "folds" / "fold-1" / "best.keras").stat().st_mtime_ns
    _, resumed = train(config, run_dir)
    assert (run_dir / "folds" / "fold-1" / "best.keras").stat().st_mtime_ns == first
    assert (run_dir / "folds" / "fold-3" / "best.keras").read_bytes() != third
    assert [m["fold"] for m in resumed["ensemble"]["members"]] == ["fold-1", "fold-2", "fold-3"]
    assert (run_dir / "best.keras").is_file()


@pytest.mark.slow
def test_an_ensemble_of_seeds_on_a_csv_predicts_and_records_its_members(tmp_path):
    from sklearn.datasets import load_breast_cancer

    table = load_breast_cancer(as_frame=True).frame.iloc[:, [0, 1, 2, 3, 7, 20, 21, 27, 30]]
    table = table.rename(columns={"mean radius": "mean radius (mm)"})
    table["target"] = table["target"].map({0: "malignant", 1: "benign"})
    path = tmp_path / "cells.csv"
    table.to_csv(path, index=False)
    result = train_on_csv(
        "binary",
        path,
        tmp_path / "runs",
        "--seeds",
        "0,1",
        "trainer.ensemble=true",
        "trainer.epochs=4",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Ensemble of 2 seeds" in result.stdout
    run = tmp_path / "runs" / "binary" / "latest-ensemble"
    metrics = json.loads((run / "metrics.json").read_text())
    members = metrics["ensemble"]["members"]
    assert [m["seed"] for m in members] == [0, 1]
    assert metrics["test"]["accuracy"] > metrics["baseline"]["accuracy"]
    worst = min(m["test"]["accuracy"] for m in members)
    assert metrics["test"]["accuracy"] >= worst - 0.02  # the mean is no worse than its members
    new_rows = tmp_path / "new.csv"
    table.drop(columns="target").head(7).to_csv(new_rows, index=False)
    predicted = cookbook("predict", str(run), str(new_rows), timeout=120)
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    rows = list(csv.DictReader(io.StringIO(predicted.stdout)))
    assert len(rows) == 7 and {row["label"] for row in rows} <= {"benign", "malignant"}


@pytest.mark.slow
def test_a_kfold_ensemble_on_a_csv_predicts_a_submission(tmp_path):
    import pandas as pd
    from sklearn.datasets import load_wine

    table = load_wine(as_frame=True).frame
    table["target"] = table["target"].map({0: "barolo", 1: "grignolino", 2: "barbera"})
    table.insert(0, "id", range(1000, 1000 + len(table)))
    path = tmp_path / "wine.csv"
    table.iloc[:150].drop(columns="id").to_csv(path, index=False)
    result = train_on_csv(
        "multiclass",
        path,
        tmp_path / "runs",
        "data.split=kfold",
        "data.folds=3",
        "trainer.ensemble=true",
        "trainer.epochs=20",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Ensemble of 3 fold models" in result.stdout
    assert "final model:" not in result.stdout
    run = tmp_path / "runs" / "multiclass" / "latest"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["ensemble"]["of"] == "folds"
    assert metrics["test"]["accuracy"] > metrics["baseline"]["accuracy"]
    unseen = tmp_path / "unseen.csv"
    table.iloc[150:].drop(columns="target").to_csv(unseen, index=False)
    submission = tmp_path / "submission.csv"
    predicted = cookbook(
        "predict", str(run), str(unseen), "--id-column", "id", "--output", str(submission)
    )
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    written = pd.read_csv(submission)
    assert list(written.columns) == ["id", "target"]
    assert written["id"].tolist() == table["id"].iloc[150:].tolist()
    truth = table["target"].iloc[150:].to_numpy()
    assert (written["target"].to_numpy() == truth).mean() > 0.5  # 3 classes: chance is 1/3
