"""The image and sequence recipes on Keras' JAX backend (`KERAS_BACKEND=jax cookbook train ...`),
as a user runs them: the models are keras.layers/keras.ops only, tf.data feeds them, and the
saved .keras file is backend-neutral — a model trained on JAX loads on TensorFlow and predicts
what it predicted there. Each run is a fresh process (the backend is chosen at import)."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.conftest import TINY, cookbook

# Under a second an epoch on JAX, and enough epochs for batch norm's moving statistics (which
# the test split is scored with) to catch up with the weights.
RUNS = {
    "convnet": ["trainer.epochs=10"],
    "resnet": ["model.depth=8", "trainer.epochs=6"],
    "densenet": ["model.depth=10", "trainer.epochs=6"],
    "rnn-digits": ["trainer.epochs=6"],
}


def train_on_jax(name: str, output: Path, *overrides: str) -> Path:
    result = cookbook(
        "train",
        name,
        *TINY,
        f"output.dir={output}",
        *overrides,
        timeout=600,
        env={**os.environ, "KERAS_BACKEND": "jax"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return (output / name / "latest").resolve()


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("name", RUNS)
def test_recipe_learns_on_the_jax_backend(name, tmp_path):
    run_dir = train_on_jax(name, tmp_path, *RUNS[name])
    assert read_json(run_dir / "environment.json")["backend"] == "jax"
    trainer = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))["trainer"]
    assert trainer["jit_compile"] is True  # `auto` on JAX: compiled, not op by op
    metrics = read_json(run_dir / "metrics.json")
    assert metrics["test"]["accuracy"] > metrics["baseline"]["accuracy"] + 0.3, metrics["test"]
    assert (run_dir / "inspect" / "confusion_matrix.png").is_file() or name == "rnn-digits"


@pytest.mark.slow
def test_forecast_trains_on_the_jax_backend(tmp_path):
    """The rnn recipe's default, a 3-day temperature forecast: finite test error, the forecast
    picture and the persistence baseline beside it, as on TensorFlow."""
    run_dir = train_on_jax("rnn", tmp_path, "trainer.epochs=3")
    metrics = read_json(run_dir / "metrics.json")
    assert metrics["task"] == "regression"
    assert math.isfinite(metrics["test"]["mae"]) and metrics["test"]["mae"] < 20
    assert "mae" in metrics["baseline"] and (run_dir / "forecast.png").is_file()


@pytest.mark.slow
def test_a_model_trained_on_jax_loads_on_tensorflow_and_predicts_the_same(tmp_path):
    """best.keras from a JAX run, loaded here (TensorFlow backend, safe mode): the same
    probabilities on the test split as the JAX run wrote in test_predictions.csv."""
    import keras

    from common.config import load_config
    from common.data import catalogue

    run_dir = train_on_jax("convnet", tmp_path, *RUNS["convnet"])
    assert keras.backend.backend() == "tensorflow"
    model = keras.saving.load_model(run_dir / "best.keras", safe_mode=True)
    config = load_config("convnet")
    dataset = catalogue.load(config.data, config.split_seed, stratify=True)
    with open(run_dir / "test_predictions.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    on_jax = np.array([[float(row[f"prob_{k}"]) for k in range(10)] for row in rows])
    on_tensorflow = model.predict(dataset.x_test, verbose=0)
    assert on_jax.shape == on_tensorflow.shape
    np.testing.assert_allclose(on_tensorflow, on_jax, atol=1e-4)


@pytest.mark.slow
def test_a_run_resumed_on_jax_chooses_its_auto_settings_again(tmp_path):
    """Started on TensorFlow (jit off, augmentation in the model: config.yaml records both),
    cut off before metrics.json, resumed under JAX: compiled, augmentation in the pipeline,
    and config.yaml and environment.json say so, as for a run started on JAX."""
    started = cookbook("train", "convnet", *TINY, f"output.dir={tmp_path}")
    assert started.returncode == 0, started.stderr[-3000:]
    run_dir = (tmp_path / "convnet" / "latest").resolve()
    first = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    assert first["trainer"]["jit_compile"] is False
    assert first["model"]["augment"]["placement"] == "model"
    (run_dir / "metrics.json").unlink()  # as a kill just before the run's last write leaves it

    resumed = cookbook(
        "train", "--resume", str(run_dir), timeout=600, env={**os.environ, "KERAS_BACKEND": "jax"}
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "trainer.jit_compile: False was chosen for tensorflow" in resumed.stdout
    config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    assert config["trainer"]["jit_compile"] is True
    assert config["model"]["augment"]["placement"] == "pipeline"
    environment = read_json(run_dir / "environment.json")
    assert environment["backend"] == "jax"
    assert environment["automatic"] == ["trainer.jit_compile", "model.augment.placement"]
    assert (run_dir / "metrics.json").is_file()
