"""KerasTuner sweeps on tiny settings: real oracles, real processes on 127.0.0.1, real
TensorBoard event files. One 3-trial random sweep is shared by the tests that only inspect
its folder; the kill/resume and chief + workers tests run the CLI as a user would."""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.plugins.hparams import metadata as hparams_metadata

from common.config import load_config, search_space
from tests.conftest import COOKBOOK, PROJECT_ROOT, cookbook, tiny
from tests.conftest import TINY as SHRUNK

# binary's default trains on all its training data; a sweep scores trials on a holdout.
TINY = [*SHRUNK, "data.validation_split=0.2"]

# Small, fast, and a list-valued choice (carried through KerasTuner as YAML text).
SPACE = (
    "tune.space={model.units: {choice: [[4], [8, 4]]}, "
    "optimizer.learning_rate: {float: [1.0e-3, 3.0e-2], sampling: log}, "
    "model.dropout: {float: [0.0, 0.2], step: 0.1}}"
)
KEYS = ["model.units", "optimizer.learning_rate", "model.dropout"]


def read_leaderboard(sweep_dir: Path) -> list[dict[str, str]]:
    with open(sweep_dir / "leaderboard.csv", newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def trial_files(sweep_dir: Path) -> dict[str, dict]:
    """trial id -> KerasTuner's trial.json."""
    paths = (sweep_dir / "keras_tuner").glob("trial_*/trial.json")
    return {path.parent.name.removeprefix("trial_"): json.loads(path.read_text()) for path in paths}


def tuner_state(sweep_dir: Path, tuner_id: str) -> list[str]:
    """The trials one tuner ran, from the state it saves in KerasTuner's project."""
    path = sweep_dir / "keras_tuner" / f"{tuner_id}.json"
    return json.loads(path.read_text())["trials_run"]


def sweep_dirs(output: Path) -> list[Path]:
    return sorted(output.glob("binary/tune-*"))


@pytest.fixture(scope="session")
def random_sweep(tmp_path_factory) -> Path:
    from common.tuning.tuner import tune

    output = tmp_path_factory.mktemp("random-sweep")
    return tune(tiny("binary", output, "tune.tuner=random", "tune.max_trials=3", SPACE))


# --------------------------------------------------------------------------------------------
# Config errors, as the command line answers them (the space's grammar: common/config/)
# --------------------------------------------------------------------------------------------


def test_bad_space_exits_2_before_tensorflow_starts():
    started = time.monotonic()
    result = cookbook("tune", "binary", "tune.space={model.unitz: {choice: [[8]]}}")
    assert result.returncode == 2, result.stderr
    assert "tune.space.model.unitz" in result.stderr and "Did you mean 'units'" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 3  # importing TensorFlow alone takes longer here


def test_a_sweep_needs_a_space():
    result = cookbook("tune", "binary", "tune.space={}")
    assert result.returncode == 2
    assert "tune.space: is empty" in result.stderr


# --------------------------------------------------------------------------------------------
# A random sweep and a Hyperband sweep, in process
# --------------------------------------------------------------------------------------------


def test_random_sweep_writes_a_leaderboard_best_first(random_sweep):
    rows = read_leaderboard(random_sweep)
    assert sorted(row["trial"] for row in rows) == ["0", "1", "2"]
    losses = [float(row["val_loss"]) for row in rows]
    assert all(math.isfinite(loss) for loss in losses) and losses == sorted(losses)
    assert {row["status"] for row in rows} == {"COMPLETED"}
    assert all(row["model.units"] in ("[4]", "[8, 4]") for row in rows)
    assert all(row["epochs"] == "2" and 1 <= int(row["best_epoch"]) <= 2 for row in rows)
    assert (random_sweep / "config.yaml").is_file()
    assert (random_sweep.parent / "latest-tune").resolve() == random_sweep.resolve()


def test_the_sweep_judges_its_best_trial_on_validation(random_sweep):
    """verdict.json: the best trial against the validation baseline, the trials it cannot be
    told from (two standard errors on its 114 examples), and the test it still owes."""
    verdict = json.loads((random_sweep / "verdict.json").read_text())
    rows = read_leaderboard(random_sweep)
    assert verdict["metric"] == "accuracy" and verdict["validation_examples"] == 114
    assert verdict["beats_baseline"] is True and verdict["best"] > verdict["baseline"]["score"]
    assert 1 <= verdict["trials_within_noise"] <= len(rows)
    assert f"cookbook train {random_sweep / 'best.yaml'}" in verdict["next_steps"][0]


def test_trials_write_hparams_for_the_tensorboard_dashboard(random_sweep):
    rows = {row["trial"]: row for row in read_leaderboard(random_sweep)}
    for trial_id, row in rows.items():
        logs = random_sweep / "logs" / trial_id / "execution0"
        events = event_accumulator.EventAccumulator(
            str(logs), size_guidance={event_accumulator.TENSORS: 0}
        )
        events.Reload()
        content = events.PluginTagToContent(hparams_metadata.PLUGIN_NAME)
        start = hparams_metadata.parse_session_start_info_plugin_data(
            content[hparams_metadata.SESSION_START_INFO_TAG]
        )
        assert set(start.hparams) == set(KEYS)
        assert start.hparams["model.units"].string_value == row["model.units"]
        assert start.hparams["model.dropout"].number_value == pytest.approx(
            float(row["model.dropout"])
        )
        assert any((logs / "validation").glob("events.out.tfevents.*"))  # the metrics beside


def test_best_yaml_is_a_complete_config_that_trains(random_sweep, tmp_path):
    from common.training.driver import train

    best_row = read_leaderboard(random_sweep)[0]
    config = load_config(str(random_sweep / "best.yaml"), [*TINY, f"output.dir={tmp_path}"])
    assert config.name == "binary-tuned"
    assert search_space.yaml_text(config.model.units) == best_row["model.units"]
    best_rate = float(best_row["optimizer.learning_rate"])
    assert config.optimizer.learning_rate == pytest.approx(best_rate)
    run_dir, metrics = train(config)
    assert run_dir.parent == tmp_path / "binary-tuned"
    assert math.isfinite(metrics["test"]["loss"])


@pytest.mark.slow
def test_hyperband_sweep_continues_promising_trials(tmp_path):
    from common.tuning.tuner import tune

    # max_epochs 2, factor 2: a bracket of 2 one-epoch trials and the best one continued to
    # 2 epochs, then a bracket of 2 two-epoch trials: 5 trials.
    sweep = tune(
        tiny(
            "binary",
            tmp_path,
            "tune.tuner=hyperband",
            "tune.epochs=2",
            "tune.hyperband_factor=2",
            SPACE,
        )
    )
    rows = read_leaderboard(sweep)
    assert len(rows) == len(trial_files(sweep)) == 5
    assert all(math.isfinite(float(row["val_loss"])) for row in rows)
    assert sorted(row["tuner/epochs"] for row in rows) == ["1", "1", "2", "2", "2"]
    continued = [row for row in rows if row.get("tuner/trial_id")]
    assert len(continued) == 1 and continued[0]["tuner/initial_epoch"] == "1"
    assert (sweep / "best.yaml").is_file()


# --------------------------------------------------------------------------------------------
# Processes: a killed sweep resumes; a chief and two workers share one sweep
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_killed_sweep_resumes_without_repeating_finished_trials(tmp_path):
    args = ["tune", "binary", *TINY, f"output.dir={tmp_path}", "tune.max_trials=2", SPACE]
    process = subprocess.Popen(
        [*COOKBOOK, *args], cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    finished: dict[str, dict] = {}
    deadline = time.monotonic() + 120
    try:  # wait until the tuner has recorded a finished trial, its last step of a trial
        while not finished and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            for sweep in sweep_dirs(tmp_path):
                with contextlib.suppress(FileNotFoundError, KeyError, json.JSONDecodeError):
                    trials = trial_files(sweep)
                    finished = {t: trials[t] for t in tuner_state(sweep, "tuner0")}
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert finished, "no trial finished before the deadline"
    assert process.returncode == -signal.SIGKILL  # killed, not finished
    (sweep,) = sweep_dirs(tmp_path)
    assert not (sweep / "leaderboard.csv").exists()

    result = cookbook("tune", "binary", "--resume", str(sweep), timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Reloading Tuner" in result.stdout
    trials = trial_files(sweep)
    assert sorted(trials) == ["0", "1"]
    assert {trial["status"] for trial in trials.values()} == {"COMPLETED"}
    for trial_id, before in finished.items():  # untouched by the resumed process
        assert trials[trial_id] == before
        assert f"runs trial {trial_id}:" not in result.stdout
    ran = tuner_state(sweep, "tuner0")
    assert sorted(ran) == ["0", "1"]  # each trial finished exactly once
    assert len(read_leaderboard(sweep)) == 2 and (sweep / "best.yaml").is_file()


@pytest.mark.slow
def test_chief_and_two_workers_share_one_sweep(tmp_path):
    result = cookbook(
        "tune",
        "binary",
        *TINY,
        f"output.dir={tmp_path}",
        "tune.max_trials=3",
        SPACE,
        "--workers",
        "2",
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    (sweep,) = sweep_dirs(tmp_path)
    by_worker = {tuner: tuner_state(sweep, tuner) for tuner in ("tuner1", "tuner2")}
    assert all(by_worker.values()), by_worker  # both workers ran trials
    assert sorted(by_worker["tuner1"] + by_worker["tuner2"]) == ["0", "1", "2"]
    rows = read_leaderboard(sweep)
    assert {row["tuner"] for row in rows} == {"tuner1", "tuner2"}
    assert all(math.isfinite(float(row["val_loss"])) for row in rows)
    assert (sweep / "best.yaml").is_file()
    assert "[worker 1]" in result.stdout and "[worker 2]" in result.stdout
    assert tuner_state(sweep, "chief") == []  # the chief serves the oracle, runs no trial


@pytest.mark.slow
def test_refit_trains_the_sweeps_choice_on_training_and_validation(tmp_path):
    """`cookbook tune --refit`: best.yaml, its epochs picked on validation, fitted again on
    training + validation and scored once on the test split, beside the validated model."""
    args = ["tune", "binary", "--refit", *TINY, f"output.dir={tmp_path}", "tune.max_trials=2"]
    result = cookbook(*args, SPACE, timeout=400)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refit:" in result.stdout
    (sweep,) = sweep_dirs(tmp_path)
    (run,) = [p for p in (tmp_path / "binary-tuned").glob("2*") if p.is_dir()]
    metrics = json.loads((run / "metrics.json").read_text())
    best = read_leaderboard(sweep)[0]  # sorted best first
    assert metrics["validated"]["validation"]["loss"] == pytest.approx(float(best["val_loss"]))
    assert metrics["refit"]["epochs"] == metrics["validated"]["best_epoch"]
    assert metrics["refit"]["train_examples"] == 455  # training + validation of the 569 rows
    assert metrics["test"]["accuracy"] > metrics["baseline"]["accuracy"]
    assert (run / "validated.keras").is_file() and (run / "best.keras").is_file()
