"""End-to-end training: what a run leaves behind, read back the way a user would read it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from common.config import load_config
from common.data import catalogue, splits
from common.errors import UserError
from common.reporting import run_files
from common.training import runs
from common.training.driver import train
from tests.conftest import COOKBOOK, PROJECT_ROOT, TINY, cookbook, tiny


def scalars(log_dir: Path, tag: str) -> list[float]:
    """Values of a scalar written by keras.callbacks.TensorBoard (stored as tensors)."""
    events = event_accumulator.EventAccumulator(str(log_dir), size_guidance={"tensors": 0})
    events.Reload()
    return [float(tf.make_ndarray(event.tensor_proto)) for event in events.Tensors(tag)]


def test_run_folder_holds_every_artifact(binary_run):
    run_dir, metrics = binary_run
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", run_dir.name)
    assert (run_dir.parent / "latest").resolve() == run_dir.resolve()
    for name in (
        "config.yaml",
        "environment.json",
        "best.keras",
        "last.keras",
        "history.csv",
        "metrics.json",
        "learning_curve.png",
    ):
        assert (run_dir / name).is_file(), name
    assert not (run_dir / "backup").exists(), "a finished run keeps no backup"
    assert (run_dir / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    history = run_files.read_history(run_dir / "history.csv")
    assert [int(row["epoch"]) for row in history] == [0, 1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history[0])

    environment = json.loads((run_dir / "environment.json").read_text())
    assert environment["tensorflow"] == tf.__version__ and environment["keras"] == keras.__version__
    assert environment["replicas"] == 1 and environment["seed"] == 42
    assert any("CPU" in device for device in environment["devices"])

    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(metrics))
    assert set(saved["test"]) == set(saved["baseline"]) == {"loss", "accuracy", "auc"}


def test_three_epochs_already_beat_the_majority_class(binary_run):
    _, metrics = binary_run
    assert metrics["test"]["accuracy"] > metrics["baseline"]["accuracy"] + 0.2
    assert metrics["baseline"]["auc"] == pytest.approx(0.5)


def test_the_saved_config_trains_again_as_it_stands(binary_run):
    run_dir, _ = binary_run
    again = load_config(str(run_dir / "config.yaml"))
    assert again.name == "binary" and again.trainer.epochs == 3
    assert again.data.cache is True  # `null` resolved for in-memory arrays, as it trained
    assert again == runs.open_run(run_dir)[1]


def test_saved_models_reload_safely_and_reproduce_the_test_score(binary_run):
    run_dir, metrics = binary_run
    config = load_config(str(run_dir / "config.yaml"))
    data = catalogue.load(config.data, config.seed, stratify=True)
    best = keras.saving.load_model(run_dir / "best.keras", safe_mode=True)
    last = keras.saving.load_model(run_dir / "last.keras", safe_mode=True)
    probabilities = best.predict(data.x_test, verbose=0)[:, 0]
    accuracy = float(np.mean((probabilities > 0.5) == data.y_test))
    assert accuracy == pytest.approx(metrics["test"]["accuracy"], abs=1e-6)
    assert last.predict(data.x_test[:4], verbose=0).shape == (4, 1)
    # The normalisation learned from the training split travels inside the model.
    assert best.get_layer("normalization").mean.shape[-1] == data.x_train.shape[1]


def test_tensorboard_event_files_hold_scalars_and_the_graph(binary_run):
    run_dir, _ = binary_run
    history = run_files.read_history(run_dir / "history.csv")
    train_loss = scalars(run_dir / "logs" / "train", "epoch_loss")
    validation_loss = scalars(run_dir / "logs" / "validation", "epoch_loss")
    assert train_loss == pytest.approx([float(row["loss"]) for row in history], rel=1e-5)
    assert validation_loss == pytest.approx([float(row["val_loss"]) for row in history], rel=1e-5)
    # Keras 3 writes the conceptual model graph, which TensorBoard's Graphs tab draws.
    events = event_accumulator.EventAccumulator(
        str(run_dir / "logs" / "train"), size_guidance={"tensors": 0}
    )
    events.Reload()
    assert "keras" in events.Tags()["tensors"]
    metadata = events.SummaryMetadata("keras")
    assert metadata.plugin_data.plugin_name == "graph_keras_model"
    model_json = json.loads(tf.make_ndarray(events.Tensors("keras")[0].tensor_proto).item())
    layer_names = [layer["config"]["name"] for layer in model_json["config"]["layers"]]
    assert "normalization" in layer_names and "probability" in layer_names


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_tensorboard_server_serves_the_runs_scalars(binary_run):
    run_dir, _ = binary_run
    port = free_port()
    server = subprocess.Popen(
        [
            str(PROJECT_ROOT / ".venv/bin/tensorboard"),
            "--logdir",
            str(run_dir / "logs"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--load_fast",
            "false",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/data/plugin/scalars/scalars?run=train&tag=epoch_loss"
    try:
        deadline, points = time.monotonic() + 60, []
        while time.monotonic() < deadline and len(points) < 3:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    points = json.loads(response.read())
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=10)
    history = run_files.read_history(run_dir / "history.csv")
    assert [step for _, step, _ in points] == [0, 1, 2]
    assert [value for _, _, value in points] == pytest.approx(
        [float(r["loss"]) for r in history], rel=1e-5
    )


def test_runs_started_in_the_same_second_never_share_a_folder(tmp_path):
    config = tiny("binary", tmp_path)
    folders = [runs.new_run_dir(config) for _ in range(5)]
    assert len(set(folders)) == 5
    assert (tmp_path / "binary" / "latest").resolve() == folders[-1].resolve()


def test_the_command_leaves_without_the_teardown_and_loses_no_output(tmp_path):
    """`cookbook train` in a fresh process with its output piped (block-buffered): the process
    skips TensorFlow's teardown (`common.cli.run`), yet the summary arrives whole."""
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    result = cookbook("train", "binary", *TINY, f"output.dir={tmp_path}", env=buffered)
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = (tmp_path / "binary" / "latest").resolve()
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    lines = result.stdout.rstrip().splitlines()
    assert f"Run: {run_dir}" in lines
    assert f"{metrics['test']['accuracy']:>10.4f}" in next(
        line for line in lines if line.strip().startswith("accuracy")
    )
    assert f"reference: scikit-learn {metrics['reference_model']} on the same split" in lines
    assert lines[-2].startswith("verdict: ") and lines[-1].startswith("next: ")  # the last


@pytest.mark.slow
def test_mirrored_on_two_logical_cpus_learns(tmp_path):
    config = tiny(
        "binary",
        tmp_path,
        "distribute.strategy=mirrored",
        "distribute.cpu_devices=2",
        "trainer.epochs=3",
    )
    run_dir, metrics = train(config)
    environment = json.loads((run_dir / "environment.json").read_text())
    assert environment["strategy"] == "MirroredStrategy" and environment["replicas"] == 2
    assert len(environment["replica_devices"]) == 2
    assert metrics["test"]["accuracy"] > metrics["baseline"]["accuracy"]


def test_kfold_reports_each_fold_and_trains_a_final_model(tmp_path):
    config = tiny(
        "regression",
        tmp_path,
        "data.folds=2",
        "trainer.epochs=4",
        "trainer.early_stopping.enabled=true",
        "trainer.early_stopping.patience=2",
    )
    run_dir, metrics = train(config)
    assert [fold["fold"] for fold in metrics["folds"]] == ["fold-1", "fold-2"]
    for fold in metrics["folds"]:
        assert (run_dir / "folds" / fold["fold"] / "result.json").is_file()
        assert 1 <= fold["best_epoch"] <= 4
    maes = [fold["validation"]["mae"] for fold in metrics["folds"]]
    assert metrics["kfold"]["mae"]["mean"] == pytest.approx(np.mean(maes))
    assert metrics["kfold"]["mae"]["std"] == pytest.approx(np.std(maes))
    # The final model trains on all training data for the folds' mean best epoch count.
    expected_epochs = round(np.mean([fold["best_epoch"] for fold in metrics["folds"]]))
    assert metrics["epochs"] == max(1, expected_epochs)
    assert (run_dir / "best.keras").is_file() and (run_dir / "logs" / "fold-1" / "train").is_dir()
    assert metrics["test"]["mae"] < metrics["baseline"]["mae"]


def test_class_weights_schedules_and_optimizers_train(tmp_path):
    for overrides in (
        [
            "trainer.class_weight=balanced",
            "optimizer.name=sgd",
            "optimizer.schedule.name=one_cycle",
        ],
        [
            "optimizer.name=adamw",
            "optimizer.weight_decay=0.01",
            "optimizer.schedule.name=cosine",
            "optimizer.schedule.warmup_epochs=1",
        ],
        [
            "optimizer.name=rmsprop",
            "trainer.reduce_on_plateau.enabled=true",
            "optimizer.schedule.name=constant",
            "trainer.steps_per_execution=4",
        ],
    ):
        run_dir, metrics = train(tiny("binary", tmp_path, *overrides, "output.plot=false"))
        assert metrics["test"]["accuracy"] > metrics["baseline"]["accuracy"], overrides


@pytest.mark.slow
def test_killed_run_resumes_from_the_last_finished_epoch(tmp_path):
    epochs = 15
    command = [
        *COOKBOOK,
        "train",
        "binary",
        f"output.dir={tmp_path}",
        f"trainer.epochs={epochs}",
        "trainer.early_stopping.enabled=false",
        "data.batch_size=8",
        "trainer.verbose=2",
        "trainer.backup_interval=0",  # every epoch, so the kill can wait for epoch 3's
    ]
    first = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    group = tmp_path / "binary"
    deadline = time.monotonic() + 120
    backup = group / "latest" / "backup" / "chief" / "holdout"
    while time.monotonic() < deadline:
        with contextlib.suppress(UserError):  # a metadata file caught mid-write
            if runs.backup_epoch(backup) >= 3:
                break
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    run_dir = (group / "latest").resolve()
    killed_at = len(run_files.read_history(run_dir / "history.csv"))
    assert 3 <= killed_at < epochs, "the run was killed mid-training"
    assert not (run_dir / "metrics.json").exists()
    assert runs.backup_epoch(run_dir / "backup" / "chief" / "holdout") >= 3

    resumed = subprocess.run(
        [*COOKBOOK, "train", "--resume", str(run_dir)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    first_epoch = int(re.search(rf"Epoch (\d+)/{epochs}", resumed.stdout).group(1))
    assert first_epoch > 3, "resumed from a finished epoch, not from zero"
    history = run_files.read_history(run_dir / "history.csv")
    assert [int(row["epoch"]) for row in history] == list(range(epochs))
    # The optimizer and weights came back: the first resumed epoch continues the curve.
    losses = [float(row["loss"]) for row in history]
    assert losses[first_epoch - 1] < losses[0]
    assert json.loads((run_dir / "metrics.json").read_text())["epochs"] == epochs


def test_check_builds_and_takes_one_step(tmp_path):
    from common.training.driver import check

    summary = check(tiny("multiclass", tmp_path))
    assert summary["parameters"] > 0 and np.isfinite(summary["loss_after_one_step"])
    assert summary["replicas"] == 1


def test_holdout_split_fractions_are_of_all_data():
    config = load_config("multiclass", ["data.validation_split=0.2"])
    data = catalogue.load(config.data, config.seed, stratify=True)
    split = splits.holdout(data, config.data, config.seed, stratify=True)
    total = len(data.x_train) + len(data.x_test)
    assert len(split.x_train) == pytest.approx(0.6 * total, abs=2)


def test_mixed_precision_survives_the_session_clear_between_folds(tmp_path):
    config = tiny(
        "regression",
        tmp_path,
        "data.folds=2",
        "trainer.epochs=1",
        "trainer.precision=mixed_bfloat16",
    )
    run_dir, _ = train(config)
    final = keras.saving.load_model(run_dir / "best.keras", safe_mode=True)
    assert final.get_layer("dense_1").dtype_policy.name == "mixed_bfloat16"
    assert final.get_layer("prediction").dtype_policy.name == "float32"  # the head stays float32
    keras.mixed_precision.set_dtype_policy("float32")


def test_early_stopping_resumes_its_patience_from_history(tmp_path):
    from common.training.callbacks import ResumableEarlyStopping

    history = tmp_path / "history.csv"
    history.write_text("epoch,loss,val_loss\n0,1.0,0.9\n1,0.8,0.5\n2,0.7,0.6\n3,0.6,0.55\n")
    stopping = ResumableEarlyStopping(history, monitor="val_loss", patience=3)
    stopping.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
    stopping.on_train_begin()
    assert (stopping.best, stopping.best_epoch, stopping.wait) == (0.5, 1, 2)
    stopping.on_epoch_end(4, {"val_loss": 0.52})  # the third epoch without improvement
    assert stopping.model.stop_training, "stops where an uninterrupted run would"


def test_the_reference_is_kept_by_its_data_and_refitted_when_the_data_changes(binary_run, capsys):
    """The run fitted the reference once and kept it under output.dir/.cache/reference/: the
    same data reads it back (no fit), other data (one label changed) gets a fit of its own."""
    import dataclasses

    from common.training.results import reference_scores

    run_dir, metrics = binary_run
    config = load_config(str(run_dir / "config.yaml"))
    data = catalogue.load(config.data, config.seed, stratify=True)
    split = splits.final_model_split(data, config.data, config.split_seed, stratify=True)
    kept = list((Path(config.output.dir) / ".cache" / "reference").glob("*.json"))
    assert len(kept) == 1
    again = reference_scores(config, "binary", split, data)
    assert "kept from an earlier run" in capsys.readouterr().out
    assert again["reference"] == metrics["reference"]
    changed = data.y_test.copy()
    changed[0] = 1 - changed[0]
    other = reference_scores(config, "binary", split, dataclasses.replace(data, y_test=changed))
    assert "fitting the scikit-learn reference" in capsys.readouterr().out
    assert other["reference"]["accuracy"] != again["reference"]["accuracy"]
    assert len(list(kept[0].parent.glob("*.json"))) == 2
    assert reference_scores(config, "gan", split, data) == {}  # no reference for the task:
    assert capsys.readouterr().out == ""  # and no "fitting ..." line announcing one


def test_a_run_records_its_reference_and_test_predictions(binary_run):
    """metrics.json: a scikit-learn reference on the same split beside the baseline; the test
    predictions the report draws its ROC and confusion matrix from."""
    run_dir, metrics = binary_run
    assert metrics["reference_model"] in ("LogisticRegression", "SVC", "SVC (unscaled)")
    assert metrics["reference"]["accuracy"] > metrics["baseline"]["accuracy"] + 0.2
    assert set(metrics["reference"]) == set(metrics["test"])
    rows = (run_dir / "test_predictions.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "target,probability" and len(rows) == 1 + 114
    probabilities = np.array([float(row.split(",")[1]) for row in rows[1:]])
    targets = np.array([float(row.split(",")[0]) for row in rows[1:]])
    accuracy = float(np.mean((probabilities > 0.5) == targets))
    assert accuracy == pytest.approx(metrics["test"]["accuracy"], abs=1e-6)


@pytest.mark.slow
def test_seeds_train_one_run_each_and_report_mean_and_std(tmp_path):
    result = cookbook(
        "train", "regression", "--seeds", "0,1", f"output.dir={tmp_path}",
        "data.split=holdout", "trainer.epochs=3", "trainer.verbose=0",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "2 seeds (0, 1)" in result.stdout and "±" in result.stdout
    (summary_path,) = (tmp_path / "regression").glob("seeds-*.json")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert summary["seeds"] == [0, 1] and len(summary["runs"]) == 2
    maes = [
        json.loads((Path(run) / "metrics.json").read_text(encoding="utf-8"))["test"]["mae"]
        for run in summary["runs"]
    ]
    assert summary["test"]["mae"]["mean"] == pytest.approx(np.mean(maes))
    assert summary["test"]["mae"]["std"] == pytest.approx(np.std(maes))
    assert maes[0] != maes[1]  # the seeds differ, the split does not
