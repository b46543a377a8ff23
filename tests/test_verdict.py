"""Every finished run says what its score means: the verdict in metrics.json, on the console,
in TensorBoard and `cookbook runs`, and `--fail-under` for pipelines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from tensorboard.backend.event_processing import event_accumulator

from tests.conftest import PROJECT_ROOT, TINY, cookbook


def random_labels(path: Path) -> Path:
    """breast-cancer's 30 features beside labels drawn at random: nothing to learn."""
    table = load_breast_cancer(as_frame=True).data
    table.columns = [f"f{i}" for i in range(table.shape[1])]
    table["label"] = np.random.default_rng(0).choice(["yes", "no"], len(table))
    table.to_csv(path, index=False)
    return path


def finished(output: Path, config: str) -> tuple[Path, dict]:
    (run_dir,) = [p for p in (output / config).iterdir() if p.name != "latest"]
    return run_dir, json.loads((run_dir / "metrics.json").read_text())


def test_random_labels_did_not_learn_and_fail_the_bar(tmp_path):
    """No signal: the verdict says so, names next steps, and `--fail-under baseline` exits 3
    after writing the run."""
    data = random_labels(tmp_path / "random.csv")
    result = cookbook(
        "train",
        "binary",
        "data.dataset=csv",
        f"data.path={data}",
        "data.target=label",
        "data.validation_split=0.2",
        "trainer.epochs=30",
        "trainer.verbose=0",
        f"output.dir={tmp_path / 'runs'}",
        "--fail-under",
        "baseline",
    )
    assert result.returncode == 3, result.stderr[-2000:]
    run_dir, metrics = finished(tmp_path / "runs", "binary")
    verdict = metrics["verdict"]
    assert verdict["beats_baseline"] is False
    assert verdict["diagnosis"] == "did not learn"
    assert verdict["next_steps"] and verdict["baseline"]["low"] <= 0 <= verdict["baseline"]["high"]
    assert "verdict: " in result.stdout and "did not learn" in result.stdout
    assert "--fail-under baseline: the run does not beat the baseline" in result.stdout
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr

    # The same verdict in TensorBoard's TEXT tab and in `cookbook runs`.
    events = event_accumulator.EventAccumulator(
        str(run_dir / "logs" / "verdict"), size_guidance={"tensors": 0}
    )
    events.Reload()
    (event,) = events.Tensors("verdict")
    assert b"did not learn" in event.tensor_proto.string_val[0]
    table = cookbook("runs", "--root", str(tmp_path / "runs"))
    assert "verdict" in table.stdout.splitlines()[0] and "did not learn" in table.stdout


@pytest.mark.slow
def test_a_big_model_on_few_examples_overfits(tmp_path):
    """A wide unregularised stack on 60 training digits fits them perfectly and validation
    far less well: diagnosed as overfitting, with regularisation among the next steps."""
    digits = load_digits(as_frame=True)
    table = digits.frame.sample(150, random_state=0)
    table["target"] = table["target"].astype(str)
    table.to_csv(tmp_path / "digits.csv", index=False)
    result = cookbook(
        "train",
        "multiclass",
        "data.dataset=csv",
        f"data.path={tmp_path / 'digits.csv'}",
        "data.target=target",
        "data.test_split=0.4",
        "data.validation_split=0.2",
        "model.units=[512,512]",
        "model.dropout=0.0",
        "model.l2=0.0",
        "model.input_noise=0.0",
        "trainer.jit_compile=false",
        "trainer.epochs=60",
        "trainer.early_stopping.enabled=false",
        "trainer.reference=false",
        "trainer.verbose=0",
        f"output.dir={tmp_path / 'runs'}",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    _, metrics = finished(tmp_path / "runs", "multiclass")
    verdict = metrics["verdict"]
    assert verdict["beats_baseline"] is True
    assert verdict["diagnosis"] == "overfits", verdict
    assert verdict["skill"]["train"] > verdict["skill"]["validation"] + 0.1
    assert any("dropout" in step or "l2" in step for step in verdict["next_steps"])


@pytest.mark.parametrize("bar", ["baseline"])
def test_the_default_binary_run_beats_its_baseline(binary_run, bar):
    _, metrics = binary_run
    verdict = metrics["verdict"]
    assert verdict[f"beats_{bar}"] is True and verdict["baseline"]["low"] > 0
    assert verdict["diagnosis"] in ("fine", "underfits", "overfits")
    assert verdict["reference"]["method"] == "paired bootstrap"


def test_fail_under_is_one_of_two_bars():
    result = cookbook("train", "binary", *TINY, "--fail-under", "nothing")
    assert result.returncode == 2 and "--fail-under" in result.stderr


def test_a_resume_without_a_backup_says_why_it_starts_at_epoch_1(tmp_path, capsys):
    """A run killed after some epochs but before its first backup (backups every 30 s) is
    resumed from epoch 1, and says so instead of starting again quietly."""
    from common.training.driver import train
    from tests.conftest import tiny

    config = tiny("binary", tmp_path, "trainer.reference=false", "trainer.epochs=2")
    run_dir, _ = train(config)
    (run_dir / "metrics.json").unlink()  # as a kill before the run's end left it, no backup
    capsys.readouterr()
    _, metrics = train(config, run_dir)
    out = capsys.readouterr().out
    assert "no backup yet: the run was killed before its first backup" in out
    assert "its 2 epoch(s) in history.csv train again from epoch 1" in out
    assert "trainer.backup_interval" in out and metrics["epochs"] == 2


def test_warnings_go_to_the_run_folder_not_the_console(tmp_path):
    """A warning raised before the run folder is known and one after it both land in its
    warnings.log; the console gets one line saying where."""
    script = (
        "import warnings, logging\n"
        "from pathlib import Path\n"
        "from common.reporting import warning_log\n"
        "warning_log.install()\n"
        "warnings.warn('an input name Keras does not like')\n"
        f"warning_log.attach(Path({str(tmp_path)!r}))\n"
        "logging.getLogger('tensorflow').warning('a TensorFlow logger warning')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "warnings.log").read_text()
    assert "an input name Keras does not like" in log and "a TensorFlow logger warning" in log
    assert (
        result.stderr
        == f"2 Python warning(s) in {tmp_path / 'warnings.log'} (--verbose prints them)\n"
    )
