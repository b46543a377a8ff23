"""Using a finished run: evaluate it again, predict new rows, export a SavedModel."""

from __future__ import annotations

import csv
import io

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


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    """A convnet on a folder of 8x8 PNG digits (two classes), one epoch."""
    from common.training.driver import train
    from tests import odd_files
    from tests.conftest import tiny

    folder = tmp_path_factory.mktemp("photos")
    photos = odd_files.image_folder(folder / "photos", per_class=10)
    run_dir, _ = train(
        tiny("convnet", folder / "runs", "data.dataset=image_folder", f"data.path={photos}",
             "trainer.epochs=1", "trainer.reference=false")
    )  # fmt: skip
    return run_dir, photos


def test_predict_and_gradcam_name_an_image_that_does_not_decode(image_run, tmp_path):
    from common.serving.gradcam import gradcam_files
    from tests import odd_files

    run_dir, photos = image_run
    good = next((photos / "1").iterdir())
    bad = odd_files.corrupt_jpeg(tmp_path / "broken.jpg")
    with pytest.raises(UserError, match=rf"{bad} cannot be read as an image \(jpeg::"):
        inference_predict(str(run_dir), [str(good), str(bad)])
    with pytest.raises(UserError, match=rf"{bad} cannot be read as an image"):
        gradcam_files(run_dir, [bad], tmp_path / "out")
    with pytest.raises(UserError, match=r"notes.csv is not an image file; this run's model takes"):
        (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
        inference_predict(str(run_dir), [str(tmp_path / "notes.csv")])
    rows = list(csv.DictReader(io.StringIO(inference_predict(str(run_dir), [str(good)]))))
    assert len(rows) == 1 and rows[0]["label"] in ("0", "1")
    result = cookbook("predict", str(run_dir), str(bad))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {bad} cannot be read as an image (jpeg::Uncompress failed. Invalid JPEG data "
        "or crop window.); remove or replace it."
    ]
