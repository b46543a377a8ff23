"""Faults end to end: a loss that turns NaN, paths that would escape the runs folder, folders
that are not runs. Each answer is one line, exit code 2, and nothing is left half-written."""

from __future__ import annotations

import numpy as np
import pytest

from common.config import load_config
from common.errors import ConfigError, UserError
from common.training import runs
from common.training.driver import train
from tests.conftest import cookbook, tiny


def test_a_nan_loss_stops_at_once_and_keeps_the_last_good_epoch(tmp_path):
    config = tiny(
        "regression",
        tmp_path / "runs",
        "data.split=holdout",
        "optimizer.name=sgd",
        "optimizer.learning_rate=1.0e+6",  # diverges: the loss overflows within an epoch or two
        "trainer.epochs=5",
    )
    with pytest.raises(UserError, match="loss became .*learning_rate.*clipnorm"):
        train(config)
    (run_dir,) = [p for p in (tmp_path / "runs" / "regression").iterdir() if not p.is_symlink()]
    assert not (run_dir / "metrics.json").exists()
    history = runs.read_history(run_dir / "history.csv")
    assert all(np.isfinite(float(row["loss"])) for row in history)
    assert runs.backup_epoch(run_dir / "backup" / "chief" / "holdout") == len(history)


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
    rows = runs.read_history(run_dir / "history.csv")
    assert [int(row["epoch"]) for row in rows] == list(range(40))
