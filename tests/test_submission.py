"""`cookbook predict RUN test.csv --id-column id`: the file a competition takes."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from common.training.driver import train
from tests.conftest import cookbook, tiny
from tests.user_files import messy_breast_cancer

pytestmark = pytest.mark.slow  # a training and five CLI processes: `make test-slow`


@pytest.fixture(scope="module")
def run_and_test_file(tmp_path_factory):
    root = tmp_path_factory.mktemp("submission")
    data = messy_breast_cancer(root / "train.csv")
    overrides = ("data.dataset=csv", f"data.path={data}", "data.target=diagnosis")
    run_dir, _ = train(tiny("binary", root / "runs", *overrides, "trainer.reference=false"))
    test = pd.read_csv(data, dtype=str, keep_default_na=False).head(25).drop(columns="diagnosis")
    test.insert(0, "id", [f"case-{k}" for k in range(100, 125)])
    test.to_csv(root / "test.csv", index=False)
    return run_dir, root / "test.csv"


def read(path) -> list[list[str]]:
    with open(path, newline="") as file:
        return list(csv.reader(file))


def test_a_submission_has_the_id_and_the_class_name_per_row(run_and_test_file, tmp_path):
    run_dir, test = run_and_test_file
    out = tmp_path / "submission.csv"
    result = cookbook("predict", str(run_dir), str(test), "--id-column", "id", "--output", str(out))
    assert result.returncode == 0, result.stderr
    rows = read(out)
    assert rows[0] == ["id", "diagnosis"]
    assert [row[0] for row in rows[1:]] == [f"case-{k}" for k in range(100, 125)]
    assert {row[1] for row in rows[1:]} <= {"benign", "malignant"} and len(rows) == 26

    probabilities = tmp_path / "proba.csv"
    result = cookbook(
        "predict",
        str(run_dir),
        str(test),
        "--id-column",
        "id",
        "--proba",
        "--output",
        str(probabilities),
    )
    assert result.returncode == 0, result.stderr
    rows = read(probabilities)
    assert rows[0] == ["id", "malignant"]  # binary: the positive class's probability
    values = [float(row[1]) for row in rows[1:]]
    assert all(0 <= v <= 1 for v in values)
    labels = [row[1] for row in read(out)[1:]]
    assert labels == ["malignant" if v >= 0.5 else "benign" for v in values]


def test_a_missing_id_column_is_named(run_and_test_file):
    run_dir, test = run_and_test_file
    result = cookbook("predict", str(run_dir), str(test), "--id-column", "patient")
    assert result.returncode == 2 and "--id-column 'patient'" in result.stderr
    result = cookbook("predict", str(run_dir), str(test), "--proba")
    assert result.returncode == 2 and "give --id-column" in result.stderr
    result = cookbook("predict", str(run_dir), str(test), "--id-column", "diagnosis")
    assert result.returncode == 2 and "is the target the run predicts" in result.stderr
