"""Cost that grows with the data: the reference picks models that scale, and stopping it
keeps the run."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import COOKBOOK, PROJECT_ROOT


def numeric_csv(path: Path, rows: int, columns: int = 20, seed: int = 0) -> Path:
    """`rows` × `columns` of Gaussian features and a label that depends on five of them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, columns)).astype("float32")
    y = (x[:, :5].sum(axis=1) + rng.normal(size=rows) > 0).astype(int)
    header = ",".join([f"f{i}" for i in range(columns)] + ["y"])
    np.savetxt(
        path,
        np.column_stack([x, y]),
        fmt=["%.4f"] * columns + ["%d"],
        delimiter=",",
        header=header,
        comments="",
    )
    return path


@pytest.mark.slow
def test_ctrl_c_in_the_reference_keeps_the_run(tmp_path):
    """Ctrl-C while the reference fits stops the reference only: the trained model, its test
    scores and verdict are written and the command exits 0."""
    data = numeric_csv(tmp_path / "rows.csv", 9_000)  # a calibrated RBF SVC: several seconds
    process = subprocess.Popen(
        [
            *COOKBOOK,
            "train",
            "binary",
            "data.dataset=csv",
            f"data.path={data}",
            "data.target=y",
            "trainer.epochs=1",
            "trainer.verbose=0",
            f"output.dir={tmp_path / 'runs'}",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("fitting the scikit-learn reference"):
            time.sleep(0.5)
            process.send_signal(signal.SIGINT)
            break
    out, err = process.communicate(timeout=300)
    out = "".join(lines) + out
    assert process.returncode == 0, err[-2000:]
    assert "reference interrupted (Ctrl-C): the run is finished without it" in out
    (run_dir,) = [p for p in (tmp_path / "runs" / "binary").iterdir() if p.name != "latest"]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert "reference" not in metrics and "interrupted" in metrics["reference_note"]
    assert metrics["verdict"]["beats_baseline"] is True and (run_dir / "best.keras").is_file()
    assert not list((tmp_path / "runs" / ".cache" / "reference").glob("*.json"))
