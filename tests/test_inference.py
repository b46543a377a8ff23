"""Using a finished run: evaluate it again, predict new rows, export a SavedModel."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import tensorflow as tf

from common.config import load_config
from common.data import catalogue
from common.errors import UserError
from common.serving import export, inference
from common.serving.predict import predict as inference_predict
from tests.conftest import cookbook


def test_evaluate_reproduces_the_recorded_test_metrics(binary_run, capsys):
    """The same scores, and the same verdict, as the run recorded."""
    run_dir, metrics = binary_run
    scores = inference.evaluate(str(run_dir))
    assert scores == pytest.approx(metrics["test"], rel=1e-5)
    verdict = metrics["verdict"]
    assert f": {verdict['diagnosis']} — {verdict['reason']}" in capsys.readouterr().out


def test_predict_writes_one_row_per_input_from_raw_features(binary_run, tmp_path):
    run_dir, metrics = binary_run
    config = load_config(str(run_dir / "config.yaml"))
    data = catalogue.load(config.data, config.seed, stratify=True)
    source = tmp_path / "rows.npz"
    np.savez(source, x=data.x_test)
    written = tmp_path / "out" / "predictions.csv"
    inference_predict(str(run_dir), [str(source)], str(written))
    with open(written, newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == len(data.x_test)
    assert set(rows[0]) == {"input", "label", "probability", "malignant", "benign"}
    labels = np.array([row["label"] == "benign" for row in rows])  # class 1 of breast_cancer
    assert float(np.mean(labels == data.y_test)) == pytest.approx(
        metrics["test"]["accuracy"], abs=1e-6
    )


def test_predict_refuses_rows_of_the_wrong_width_and_its_own_input(tmp_path, binary_run):
    run_dir, _ = binary_run
    table = tmp_path / "rows.csv"
    table.write_text("a,b\n1,2\n")
    with pytest.raises(UserError, match="rows have shape"):
        inference_predict(str(run_dir), [str(table)])
    with pytest.raises(UserError, match="not found"):
        inference_predict(str(run_dir), [str(tmp_path / "missing.csv")])
    with pytest.raises(UserError, match="is one of the inputs"):
        inference_predict(str(run_dir), [str(table)], str(table))


def test_export_is_a_saved_model_that_serves_the_same_predictions(binary_run):
    run_dir, _ = binary_run
    exported = export.export(str(run_dir))
    config = load_config(str(run_dir / "config.yaml"))
    x = catalogue.load(config.data, config.seed, stratify=True).x_test[:5]
    saved_model = tf.saved_model.load(str(exported))  # keep a reference: it owns the variables
    served = saved_model.serve(tf.constant(x))
    kept = inference.load_model(run_dir / "best.keras").predict(x, verbose=0)
    assert np.allclose(np.asarray(served), kept, atol=1e-6)


def test_cli_refuses_a_folder_that_is_not_a_run(tmp_path):
    result = cookbook("evaluate", str(tmp_path))
    assert result.returncode == 2 and "is not a run folder" in result.stderr
    assert "Traceback" not in result.stderr
