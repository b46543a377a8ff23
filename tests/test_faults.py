"""Faults end to end: a loss that turns NaN, paths that would escape the runs folder, folders
that are not runs. Each answer is one line, exit code 2, and nothing is left half-written."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from common.config import load_config
from common.errors import ConfigError, UserError
from common.reporting import run_files
from common.training import runs
from common.training.driver import train
from tests import odd_files, user_files
from tests.conftest import cookbook, tiny


def test_a_nan_loss_stops_at_once_and_keeps_the_last_good_epoch(tmp_path):
    """Two good epochs, then a step schedule multiplies the rate by 1e9: the run stops in
    epoch 3, keeps epochs 1-2 (history, backup) and is marked failed with the reason."""
    config = tiny(
        "regression",
        tmp_path / "runs",
        "data.split=holdout",
        "optimizer.name=sgd",
        "optimizer.learning_rate=1.0e-4",
        "optimizer.schedule.name=step",
        "optimizer.schedule.boundaries=[2]",
        "optimizer.schedule.factors=[1.0e+12]",  # from epoch 3 on: diverges at once
        "trainer.epochs=5",
        "trainer.backup_interval=0",  # a backup every epoch: epoch 2's is the one to keep
    )
    with pytest.raises(UserError, match="loss became .*learning_rate.*clipnorm"):
        train(config)
    (run_dir,) = [p for p in (tmp_path / "runs" / "regression").iterdir() if not p.is_symlink()]
    assert not (run_dir / "metrics.json").exists()
    history = run_files.read_history(run_dir / "history.csv")
    assert len(history) == 2
    assert all(np.isfinite(float(row["loss"])) for row in history)
    assert runs.backup_epoch(run_dir / "backup" / "chief" / "holdout") == len(history)
    failed = json.loads((run_dir / "failed.json").read_text(encoding="utf-8"))
    assert "loss became" in failed["reason"]


def test_a_run_that_fails_before_its_first_epoch_is_removed_and_latest_kept(tmp_path):
    earlier, _ = train(tiny("regression", tmp_path / "runs", "data.split=holdout"))
    config = tiny(
        "regression",
        tmp_path / "runs",
        "data.split=holdout",
        "optimizer.name=sgd",
        "optimizer.learning_rate=1.0e+6",  # the loss overflows in the first epoch
    )
    with pytest.raises(UserError, match="loss became"):
        train(config)
    group = tmp_path / "runs" / "regression"
    assert [p for p in group.iterdir() if not p.is_symlink()] == [earlier]
    assert (group / "latest").resolve() == earlier.resolve()


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("name=../elsewhere", "name"),
        ("name=/tmp/x", "name"),
        ("output.dir=runs/../..", "output.dir"),
    ],
)
def test_runs_cannot_be_written_outside_the_runs_folder(override, key):
    with pytest.raises(ConfigError) as error:
        load_config("binary", [override])
    assert error.value.key == key


def test_run_dir_must_be_empty_or_a_run_and_latest_files_are_left_alone(tmp_path):
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    result = cookbook("train", "binary", "--run-dir", str(occupied))
    assert result.returncode == 2 and "neither empty nor a run folder" in result.stderr
    assert [p.name for p in occupied.iterdir()] == ["notes.txt"]
    (tmp_path / "latest").write_text("a file of the user's called latest")
    target = tmp_path / "run"
    target.mkdir()
    runs.point_latest(target)
    assert (tmp_path / "latest").read_text() == "a file of the user's called latest"


def test_train_refuses_to_resume_a_sweep_folder(tmp_path):
    sweep = tmp_path / "binary" / "tune-20260101T000000Z-abcdef"
    sweep.mkdir(parents=True)
    runs.write_config(sweep, load_config("binary"))
    result = cookbook("train", "--resume", str(sweep))
    assert result.returncode == 2 and "is a sweep folder" in result.stderr
    assert sorted(p.name for p in sweep.iterdir()) == ["config.yaml"]


@pytest.mark.slow
def test_the_console_is_quiet_unless_verbose(tmp_path):
    result = cookbook("check", "binary")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert "cuInit" not in result.stdout


@pytest.mark.slow
def test_sigterm_prints_the_real_resume_command_and_the_run_resumes(tmp_path):
    import signal
    import subprocess
    import time

    from tests.conftest import COOKBOOK, PROJECT_ROOT

    command = [
        *COOKBOOK,
        "train",
        "binary",
        f"output.dir={tmp_path}",
        "trainer.epochs=40",
        "trainer.early_stopping.enabled=false",
        "trainer.verbose=0",
    ]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    history = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = list(tmp_path.glob("binary/*/history.csv"))
        if found and len(found[0].read_text().splitlines()) >= 4:
            history = found[0]
            break
        time.sleep(0.2)
    assert history is not None, "training did not start"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    run_dir = history.parent.resolve()  # the glob may come through the latest link
    assert process.returncode == 143, stderr
    assert f"`cookbook train --resume {run_dir}` continues the run" in stderr
    result = cookbook("train", "--resume", str(run_dir))
    assert result.returncode == 0, result.stderr
    rows = run_files.read_history(run_dir / "history.csv")
    assert [int(row["epoch"]) for row in rows] == list(range(40))


def test_the_runs_folder_that_cannot_be_written_is_an_environment_error(tmp_path):
    """Exit 1 (the machine, not the request), one line naming the path; nothing trains."""
    (tmp_path / "file").write_text("not a folder")
    result = cookbook("train", "regression", f"output.dir={tmp_path / 'file' / 'runs'}")
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "Not a directory" in result.stderr and "output.dir" in result.stderr


@pytest.mark.slow
def test_a_damaged_backup_offers_restart_and_restart_trains_again(tmp_path):
    run_dir, _ = train(tiny("regression", tmp_path, "data.split=holdout"))
    # What a kill on a full disk leaves: an unfinished run whose backup is cut short.
    (run_dir / "metrics.json").unlink()
    backup = run_dir / "backup" / "chief" / "holdout"
    backup.mkdir(parents=True)
    (backup / "training_metadata.json").write_text('{"epo')
    (backup / "latest.weights.h5").write_bytes(b"\x89HDF\r\n")
    result = cookbook("train", "--resume", str(run_dir))
    assert result.returncode == 2, result.stderr
    assert "cannot be read" in result.stderr and "--restart" in result.stderr
    assert "Traceback" not in result.stderr
    restarted = cookbook("train", "--resume", str(run_dir), "--restart")
    assert restarted.returncode == 0, restarted.stderr
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["epochs"] == 2 and len(run_files.read_history(run_dir / "history.csv")) == 2


@pytest.mark.slow
def test_a_model_with_code_is_refused_without_suggesting_unsafe_loading(tmp_path):
    import keras

    run_dir, _ = train(tiny("regression", tmp_path, "data.split=holdout"))
    inputs = keras.Input((10,))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    keras.Model(inputs, outputs).save(run_dir / "best.keras")
    result = cookbook("evaluate", str(run_dir))
    assert result.returncode == 2, result.stderr
    assert "Lambda" in result.stderr and "safe mode" in result.stderr
    assert "safe_mode=False" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_kills_at_random_instants_leave_a_run_that_resumes_to_the_end(tmp_path):
    """SIGKILL at random moments (often mid-save: a backup every epoch, best.keras on every
    improvement, history rows), three times; each resume continues, and the finished run has
    one history row per epoch, a loadable best.keras and a complete metrics.json."""
    import random
    import subprocess
    import time

    from tests.conftest import COOKBOOK, PROJECT_ROOT

    epochs, chance = 40, random.Random(0)
    command = [
        *COOKBOOK, "train", "binary", f"output.dir={tmp_path}", f"trainer.epochs={epochs}",
        "data.validation_split=0.2", "trainer.early_stopping.enabled=false",
        "data.batch_size=16", "trainer.verbose=0", "trainer.backup_interval=0",
    ]  # fmt: skip
    latest = tmp_path / "binary" / "latest"
    for _ in range(3):
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not (latest / "config.yaml").is_file() and time.monotonic() < deadline:
            time.sleep(0.05)  # the run folder exists: from here on, any instant will do
        time.sleep(chance.uniform(0.5, 4.0))
        process.kill()
        process.wait(timeout=30)
        run_dir = latest.resolve()
        command = [*COOKBOOK, "train", "--resume", str(run_dir)]
        if (run_dir / "metrics.json").exists():
            break
    finished = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    history = run_files.read_history(run_dir / "history.csv")
    assert [int(row["epoch"]) for row in history] == list(range(epochs))
    assert metrics["test"]["accuracy"] > metrics["baseline"]["accuracy"]
    from common.training.results import load_model

    assert load_model(run_dir / "best.keras") is not None


# --------------------------------------------------------------------------------------------
# Issue 29: commands refuse runs of the wrong kind, reports and models nothing half-done
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def text_and_series_runs(tmp_path_factory):
    """A text classifier and a forecaster, one epoch each."""
    folder = tmp_path_factory.mktemp("kinds")
    corpus = user_files.reviews_folder(folder / "reviews", per_class=20)
    series = odd_files.series_csv(folder / "daily.csv", np.sin(np.arange(120) / 5) * 10 + 20)
    text_run, _ = train(
        tiny("binary", folder / "runs", "data.dataset=text_folder", f"data.path={corpus}",
             "trainer.epochs=1", "trainer.reference=false")
    )  # fmt: skip
    series_run, _ = train(
        tiny("rnn", folder / "runs", "data.dataset=timeseries_csv", f"data.path={series}",
             "data.target=value", "data.sequence_length=7", "data.horizon=2",
             "trainer.epochs=1", "trainer.reference=false")
    )  # fmt: skip
    return text_run, series_run, series


def test_gradcam_refuses_runs_that_are_not_image_classifiers_in_one_line(
    binary_run, text_and_series_runs, tmp_path
):
    from common.serving.gradcam import gradcam_files

    image = tmp_path / "photo.jpg"
    image.write_bytes(odd_files.jpeg_bytes())
    text_run, series_run, _ = text_and_series_runs
    for run_dir, kind in (
        (binary_run[0], "rows of numbers"),
        (text_run, "texts"),
        (series_run, "a series"),
    ):
        with pytest.raises(UserError, match=rf"is a run of the '\w+' recipe on {kind}; Grad-CAM"):
            gradcam_files(run_dir, [image], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    result = cookbook("gradcam", str(binary_run[0]), str(image))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "recipe on rows of numbers; Grad-CAM" in line


def test_a_forecaster_predicts_from_its_series_and_names_a_wrong_one(
    text_and_series_runs, tmp_path
):
    """A forecasting run reads a CSV of the series as training read it: one forecast per
    window; a file without the series' columns is named, never advised to declare a column
    categorical (the advice for tables)."""
    from common.serving.predict import predict

    _, series_run, series = text_and_series_runs
    rows = list(csv.DictReader(io.StringIO(predict(str(series_run), [str(series)]))))
    assert len(rows) == 120 - 6 and rows[-1]["input"] == "daily.csv:2020-04-29"
    assert all(np.isfinite(float(row["prediction"])) for row in rows)
    wrong = tmp_path / "other.csv"
    wrong.write_text("date,temperature\n2020-01-01,3\n2020-01-02,4\n")
    with pytest.raises(
        UserError, match=r"other.csv is not a series this run forecasts from"
    ) as error:
        predict(str(series_run), [str(wrong)])
    assert "categorical" not in str(error.value)
    with pytest.raises(UserError, match=r"short.csv has 3 rows; .* 7 rows at least"):
        short = odd_files.series_csv(tmp_path / "short.csv", [1.0, 2.0, 3.0])
        predict(str(series_run), [str(short)])


def test_predict_refuses_inputs_of_the_wrong_kind(binary_run, text_and_series_runs, tmp_path):
    from common.serving.predict import predict

    text_run, _, _ = text_and_series_runs
    image = tmp_path / "photo.jpg"
    image.write_bytes(odd_files.jpeg_bytes())
    with pytest.raises(UserError, match=r"photo.jpg is an image; this run's model takes a CSV"):
        predict(str(binary_run[0]), [str(image)])
    with pytest.raises(UserError, match=r"is a folder; this run's model takes a CSV"):
        predict(str(binary_run[0]), [str(tmp_path)])
    (tmp_path / "blob.txt").write_bytes(b"\x00\x01binary")
    with pytest.raises(UserError, match=r"blob.txt is binary data .*NUL"):
        predict(str(text_run), [str(tmp_path / "blob.txt")])
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(UserError, match=r"nothing to predict"):
        predict(str(text_run), [str(tmp_path / "empty.txt")])


def test_a_truncated_best_keras_is_called_damaged_not_missing(binary_run, tmp_path):
    import shutil

    from common.serving.inference import open_finished

    copy = tmp_path / "run"
    shutil.copytree(binary_run[0], copy)
    model = copy / "best.keras"
    model.write_bytes(model.read_bytes()[:3000])
    with pytest.raises(UserError, match=r"best.keras is damaged: not a whole .keras file") as error:
        open_finished(str(copy))
    assert "not found" not in str(error.value).lower()
    assert f"cookbook train {copy / 'config.yaml'}" in str(error.value)


def test_report_never_overwrites_a_file_it_did_not_write(binary_run, tmp_path):
    import os
    import subprocess

    from tests.conftest import COOKBOOK, PROJECT_ROOT

    mine = tmp_path / "report.html"
    mine.write_text("<html><body>my own notes</body></html>\n")
    group = binary_run[0].parent
    result = subprocess.run(
        [*COOKBOOK, "report", str(group)], cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "is not a page `cookbook report` wrote" in result.stderr and "--output" in result.stderr
    assert mine.read_text() == "<html><body>my own notes</body></html>\n"
    elsewhere = tmp_path / "compared.html"
    for _ in range(2):  # its own page is replaced, without a word
        result = cookbook("report", str(group), "--output", str(elsewhere))
        assert result.returncode == 0, result.stderr
    from common.reporting.run_folders import check_overwritable

    with pytest.raises(UserError, match="report.html exists and is not a page .*another path"):
        check_overwritable(mine, str(mine))  # --output onto the user's file: refused too
    check_overwritable(elsewhere, str(elsewhere))


def test_images_too_small_for_the_model_are_named_not_a_keras_traceback(tmp_path):
    """Four pooling blocks on 8x8 digits: one line naming data.image_size and model.filters,
    exit 2, and no run folder left behind."""
    from tests.conftest import TINY, cookbook

    result = cookbook(
        "train", "convnet", *TINY, "model.filters=[8,8,8,8]", f"output.dir={tmp_path}"
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "too small for this model's downsampling" in result.stderr
    assert "data.image_size" in result.stderr and "Traceback" not in result.stderr
    assert not [p for p in (tmp_path / "convnet").glob("2*")]
