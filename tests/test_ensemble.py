"""`trainer.ensemble` with `--seeds`: the members' mean as a run that predicts, exports and
evaluates like any other."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from tests.conftest import cookbook


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


def test_ensemble_without_seeds_is_refused_by_key():
    result = cookbook("train", "binary", "trainer.ensemble=true", timeout=60)
    assert result.returncode == 2
    assert "trainer.ensemble" in result.stderr and "--seeds" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_an_ensemble_of_seeds_on_a_csv_predicts_and_records_its_members(tmp_path):
    from sklearn.datasets import load_breast_cancer

    table = load_breast_cancer(as_frame=True).frame.iloc[:, [0, 1, 2, 3, 7, 20, 21, 27, 30]]
    table = table.rename(columns={"mean radius": "mean radius (mm)"})
    table["target"] = table["target"].map({0: "malignant", 1: "benign"})
    path = tmp_path / "cells.csv"
    table.to_csv(path, index=False)
    result = cookbook(
        "train",
        "binary",
        "--seeds",
        "0,1",
        "trainer.ensemble=true",
        "data.dataset=csv",
        f"data.path={path}",
        "data.target=target",
        "trainer.epochs=4",
        "output.plot=false",
        f"output.dir={tmp_path / 'runs'}",
        timeout=600,
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
