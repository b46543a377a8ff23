"""The zoo (tests/zoo): its writers write the files a user would bring, in the formats the
loaders document, and its runner's verdicts say what the scores say. No training here except
one slow smoke run of the runner itself."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.conftest import PROJECT_ROOT
from tests.zoo import datasets, run
from tests.zoo.datasets import Entry

SERIES_FREQUENCIES = {  # pandas' name for each series' step, as its time column shows it
    "airline": "MS",
    "shampoo": "MS",
    "stocks": "MS",
    "us-employment": "MS",
    "realgdp": "QS-OCT",
    "lynx": "YS-JAN",
    "nile": "YS-JAN",
}


def data_path(entry: Entry) -> Path:
    (path,) = [o.split("=", 1)[1] for o in entry.overrides if o.startswith("data.path=")]
    return Path(path)


def test_cars_mpg_keeps_empty_target_cells(tmp_path):
    entry = datasets.write("cars-mpg", tmp_path)
    with data_path(entry).open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == entry.rows == len(datasets._cars())
    empty = [row for row in rows if row["Miles_per_Gallon"] == ""]
    assert empty, "the rows without a target are written, with an empty cell"
    assert all(row["Name"] for row in rows), "the name column is kept"
    assert (entry.recipe, entry.metric) == ("regression", "mae")
    assert "data.target=Miles_per_Gallon" in entry.overrides


def test_ucr_table_has_a_column_per_step_and_both_splits(tmp_path):
    from sktime.datasets import load_arrow_head

    entry = datasets.write("arrowhead", tmp_path)
    frame = pd.read_csv(data_path(entry))
    steps = [column for column in frame.columns if column != "label"]
    assert list(frame.columns) == [*steps, "label"]
    assert steps == [f"t{step:03d}" for step in range(len(steps))]
    splits = [load_arrow_head(split=split, return_type="numpy2d") for split in ("train", "test")]
    assert len(frame) == entry.rows == sum(len(labels) for _, labels in splits)
    assert len(steps) == splits[0][0].shape[1]
    assert frame["label"].nunique() == 3


@pytest.mark.parametrize("name", sorted(SERIES_FREQUENCIES))
def test_series_csv_has_sorted_iso_dates_first(tmp_path, name):
    entry = datasets.write(name, tmp_path)
    frame = pd.read_csv(data_path(entry))
    assert frame.shape == (entry.rows, 2)
    dates = pd.to_datetime(frame.iloc[:, 0], format="%Y-%m-%d")  # ISO dates, nothing else
    assert dates.is_monotonic_increasing and dates.is_unique
    assert pd.infer_freq(dates) == SERIES_FREQUENCIES[name]  # the season can be found from it
    assert f"data.target={frame.columns[1]}" in entry.overrides
    assert frame.iloc[:, 1].notna().all()
    assert (entry.recipe, entry.metric, entry.kind) == ("rnn", "mae", "series")


def test_airline_is_monthly(tmp_path):
    """The season a forecaster should find: 12 steps a year."""
    frame = pd.read_csv(data_path(datasets.write("airline", tmp_path)), parse_dates=[0])
    months = frame.iloc[:, 0]
    assert (months.dt.day == 1).all() and months.diff().dropna().dt.days.between(28, 31).all()
    assert len(frame) == 144 and months.dt.month.value_counts().eq(12).all()


def test_textures_are_three_folders_of_small_grayscale_pngs(tmp_path):
    entry = datasets.write("textures", tmp_path)
    root = data_path(entry)
    folders = sorted(path.name for path in root.iterdir())
    assert folders == sorted(datasets.TEXTURES)
    for folder in folders:
        files = sorted((root / folder).glob("*.png"))
        assert len(files) == datasets.PATCHES_PER_TEXTURE
        for file in files[:5] + files[-5:]:
            with Image.open(file) as image:
                assert (image.mode, image.size) == ("L", (32, 32))
    assert entry.rows == len(entry.files) == 3 * datasets.PATCHES_PER_TEXTURE


def pictures(root: Path) -> dict[str, set[str]]:
    """Each class folder's images, as hashes of their pixels."""
    found = {}
    for folder in sorted(root.iterdir()):
        hashes = set()
        for file in folder.glob("*.png"):
            with Image.open(file) as image:
                assert (image.mode, image.size) == ("L", (32, 32))
                hashes.add(hashlib.sha1(np.asarray(image).tobytes()).hexdigest())
        found[folder.name] = hashes
    return found


def test_digit_subsets_are_balanced_and_nested(tmp_path):
    small = datasets.write("digits-100", tmp_path)
    large = datasets.write("digits-200", tmp_path)
    assert (small.rows, large.rows) == (100, 200)
    small_pictures, large_pictures = pictures(data_path(small)), pictures(data_path(large))
    assert sorted(small_pictures) == [str(label) for label in range(10)]
    assert all(len(list((data_path(small) / k).glob("*.png"))) == 10 for k in small_pictures)
    for label, hashes in small_pictures.items():
        assert hashes <= large_pictures[label], f"digits-100's {label}s are in digits-200"


def test_verdicts_and_table_from_metrics_json(tmp_path):
    """The runner's row for each kind of outcome, from fabricated metrics.json files."""
    table_entry = Entry("cars-origin", "multiclass", (), 406, "accuracy", "table", "vega cars")
    series_entry = Entry("airline", "rnn", (), 144, "mae", "series", "sktime airline")
    path = tmp_path / "metrics.json"
    path.write_text(
        json.dumps(
            {
                "test": {"accuracy": 0.80, "loss": 0.5},
                "baseline": {"accuracy": 0.62},
                "reference": {"accuracy": 0.805},
                "reference_model": "LogisticRegression",
                "verdict": {"beats_baseline": True, "diagnosis": "fine"},
            }
        )
    )
    near = run.result_of(table_entry, json.loads(path.read_text()), 0, 12.3)
    assert near.verdict == "beats baseline; within 1 point of reference"
    assert (near.beats_baseline, near.near_reference) == (True, True)
    scores = {"test": {"accuracy": 0.5}, "baseline": {"accuracy": 0.62}}
    behind = run.result_of(table_entry, {**scores, "reference": {"accuracy": 0.9}}, 0, 1.0)
    assert behind.verdict == "below baseline; behind reference by 40.0 points"
    forecast = run.result_of(
        series_entry,
        {"test": {"mae": 20.0}, "baseline": {"mae": 30.0}, "reference_note": "no reference"},
        0,
        65.0,
    )
    assert forecast.verdict == "beats baseline" and forecast.near_reference is None
    assert run.verdict("mae", 10.4, 12.0, 10.0)[0] == "beats baseline; within 5% of reference"
    assert run.verdict("mae", 9.0, 8.0, 10.0)[0] == "below baseline; better than reference"
    assert run.verdict("mae", 12.0, 20.0, 10.0)[0] == "beats baseline; behind reference by 20%"
    failed = run.result_of(table_entry, None, 2, 3.0, "error: data.target: no such column")

    text = run.table([near, behind, forecast, failed])
    rows = text.splitlines()
    assert rows[0].startswith("| dataset | rows | recipe | metric | model | baseline |")
    assert rows[2] == (
        "| cars-origin | 406 | multiclass | accuracy | 0.800 | 0.620 | 0.805 "
        "(LogisticRegression) | beats baseline; within 1 point of reference | ✓ fine | 12 s |"
    )
    assert (
        "| airline | 144 | rnn | mae | 20.0 | 30.0 | — [1] | beats baseline | - | 1 min 5 s |"
        in text
    )
    assert "| failed (exit 2) [2] |" in text
    assert "2. cars-origin: error: data.target: no such column" in text
    assert run.summary([near, behind, forecast, failed]) == {
        "entries": 4,
        "beat_baseline": 2,
        "near_reference": 1,
        "with_reference": 2,
        "failed": 1,
        "wall_s": 81.3,
    }
    assert "**2 of 4** beat the baseline" in run.markdown([near, behind, forecast, failed], "x", 1)
    zoo_md = tmp_path / "ZOO.md"
    zoo_md.write_text("# The zoo\n\n| table |\n\n## Why\n\nwritten by hand\n")
    assert run.kept_notes(zoo_md) == "\n## Why\n\nwritten by hand\n"


@pytest.mark.slow
def test_zoo_runs_one_small_entry_end_to_end(tmp_path):
    before = (PROJECT_ROOT / "ZOO.md").read_bytes() if (PROJECT_ROOT / "ZOO.md").is_file() else None
    done = subprocess.run(
        [sys.executable, "-m", "tests.zoo", "--only", "cars-origin", "--epochs", "1"]
        + ["--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    (entry,) = results["entries"]
    assert entry["exit_code"] == 0, entry["note"]
    assert isinstance(entry["model"], float) and 0.0 <= entry["model"] <= 1.0
    assert isinstance(entry["baseline"], float)
    assert "| cars-origin |" in (tmp_path / "ZOO.md").read_text()
    after = (PROJECT_ROOT / "ZOO.md").read_bytes() if (PROJECT_ROOT / "ZOO.md").is_file() else None
    assert after == before, "a partial zoo never writes the repository's ZOO.md"
