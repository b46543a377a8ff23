"""Every finished run says what its score means: the verdict in metrics.json, on the console,
in TensorBoard and `cookbook runs`, and `--fail-under` for pipelines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from tensorboard.backend.event_processing import event_accumulator

from tests.conftest import TINY, cookbook


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
    assert "Traceback" not in result.stderr

    # The same verdict in TensorBoard's TEXT tab and in `cookbook runs`.
    events = event_accumulator.EventAccumulator(
        str(run_dir / "logs" / "verdict"), size_guidance={"tensors": 0}
    )
    events.Reload()
    (event,) = events.Tensors("verdict")
    assert b"did not learn" in event.tensor_proto.string_val[0]
    table = cookbook("runs", "--root", str(tmp_path / "runs"))
    assert "verdict" in table.stdout.splitlines()[0] and "did not learn" in table.stdout


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
