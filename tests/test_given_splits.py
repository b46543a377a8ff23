"""`data.test_path` / `data.validation_path` for every source that takes them: npz, text and
image folders and series (CSV tables: tests/test_given_split.py). The test split is exactly
the given file; a file that cannot be a test part is refused in one line, one that may
mislead gets a note with counts."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.datasets import load_breast_cancer, load_digits

from common.config import load_config
from common.data import catalogue
from common.errors import ConfigError
from tests import user_files
from tests.conftest import cookbook, tiny

# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def npz_parts(folder):
    """The digits as train (1000), test (400) and validation (397) .npz files of x and y."""
    digits = load_digits()
    x, y = digits.data.astype("float32"), digits.target
    paths = {}
    parts = {"train": slice(0, 1000), "test": slice(1000, 1400), "val": slice(1400, None)}
    for name, rows in parts.items():
        paths[name] = folder / f"{name}.npz"
        np.savez(paths[name], x=x[rows], y=y[rows])
    return x, y, paths


def image_folder(root, first: int, per_class: int, classes=(0, 1, 2)):
    """`per_class` 8x8 digits of each class from the `first` of its images on, as PNGs named
    0.png, 1.png, ... in every folder (as many real datasets number them)."""
    digits = load_digits()
    for label in classes:
        images = digits.images[digits.target == label][first : first + per_class]
        (root / str(label)).mkdir(parents=True, exist_ok=True)
        for index, image in enumerate(images):
            pixels = (image / 16.0 * 255).astype("uint8")
            Image.fromarray(pixels, mode="L").save(root / str(label) / f"{index}.png")
    return root


def series_files(folder, rows=260, split=200):
    times = pd.date_range("2020-01-01", periods=rows, freq="D")
    steps = np.arange(rows)
    table = pd.DataFrame(
        {"date": times, "load": np.sin(steps / 5) + steps / 100, "temp": steps % 7}
    )
    paths = {"table": table}
    for name, part in (("train", table.iloc[:split]), ("test", table.iloc[split:])):
        paths[name] = folder / f"{name}.csv"
        part.to_csv(paths[name], index=False)
    return paths


def load(recipe, *overrides, stratify=True):
    config = load_config(recipe, list(overrides))
    return catalogue.load(config.data, config.split_seed, stratify=stratify)


def npz(paths, test=None, *extra):
    return (
        "data.dataset=npz",
        f"data.path={paths['train']}",
        f"data.test_path={test or paths['test']}",
        *extra,
    )


# --------------------------------------------------------------------------------------------
# npz
# --------------------------------------------------------------------------------------------


def test_an_npz_test_file_is_the_test_split(tmp_path):
    x, y, paths = npz_parts(tmp_path)
    dataset = load("multiclass", *npz(paths))
    assert (dataset.x_test == x[1000:1400]).all() and (dataset.y_test == y[1000:1400]).all()
    assert len(dataset.y_train) == 1000 and dataset.x_val is None
    assert dataset.class_names == [str(k) for k in range(10)]
    dataset = load("multiclass", *npz(paths, None, f"data.validation_path={paths['val']}"))
    assert (len(dataset.y_train), len(dataset.y_val), len(dataset.y_test)) == (1000, 397, 400)


def test_an_npz_test_file_that_cannot_be_scored_is_refused(tmp_path, capsys):
    x, y, paths = npz_parts(tmp_path)
    bad = tmp_path / "bad.npz"
    np.savez(bad, x_test=x[1000:1010], y_test=y[1000:1010])
    with pytest.raises(
        ConfigError, match=r"^data.test_path: .*bad.npz holds \['x_test', 'y_test'\]"
    ):
        load("multiclass", *npz(paths, bad))
    np.savez(bad, x=x[1000:1010, :32], y=y[1000:1010])
    with pytest.raises(ConfigError, match=r"^data.test_path: .*shape \(32,\) but those of"):
        load("multiclass", *npz(paths, bad))
    np.savez(tmp_path / "few.npz", x=x[:1000][y[:1000] < 5], y=y[:1000][y[:1000] < 5])
    with pytest.raises(ConfigError, match="classes the training file has no example of: '5'"):
        load("multiclass", *npz({**paths, "train": tmp_path / "few.npz"}))
    np.savez(bad, x=x[990:1400], y=y[990:1400])  # ten training digits among the test ones
    load("multiclass", *npz(paths, bad))
    assert "note: 10 of the 410 test inputs" in capsys.readouterr().out


def test_an_npz_run_scores_the_given_test_file(tmp_path):
    from common.training.driver import train

    _, _, paths = npz_parts(tmp_path)
    run_dir, metrics = train(
        tiny("multiclass", tmp_path / "runs", *npz(paths), "trainer.epochs=1",
             "trainer.reference=false")
    )  # fmt: skip
    predictions = pd.read_csv(run_dir / "test_predictions.csv")
    assert len(predictions) == 400 and 0 <= metrics["test"]["accuracy"] <= 1
    assert (predictions["target"].to_numpy() == np.load(paths["test"])["y"]).all()


# --------------------------------------------------------------------------------------------
# Text and image folders
# --------------------------------------------------------------------------------------------


def folders(kind, train, test, *extra):
    return (f"data.dataset={kind}", f"data.path={train}", f"data.test_path={test}", *extra)


def test_a_text_test_folder_is_the_test_split_and_same_names_are_no_overlap(tmp_path, capsys):
    train = user_files.reviews_folder(tmp_path / "train", per_class=20, seed=0)
    test = user_files.reviews_folder(tmp_path / "test", per_class=10, seed=1)  # 0.txt ... again
    dataset = load("binary", *folders("text_folder", train, test))
    expected = sorted(str(p) for p in test.rglob("*.txt"))
    assert list(dataset.x_test.paths) == expected and len(dataset.x_train) == 40
    assert dataset.y_test.tolist() == [0] * 10 + [1] * 10 and dataset.class_names == ["neg", "pos"]
    assert "note:" not in capsys.readouterr().out
    shutil.copy(train / "pos" / "3.txt", test / "pos" / "copied.txt")
    load("binary", *folders("text_folder", train, test))
    out = capsys.readouterr().out
    assert "note: 1 of the 21 files of" in out and "have the contents of a training file" in out


def test_a_test_folder_that_cannot_be_scored_is_refused(tmp_path, capsys):
    train = user_files.reviews_folder(tmp_path / "train", per_class=6, seed=0)
    with pytest.raises(
        ConfigError, match=r"^data.test_path: 12 of the 12 files of .* are files of"
    ):
        load("binary", *folders("text_folder", train, train))
    other = user_files.reviews_folder(tmp_path / "other", per_class=3, seed=1)
    shutil.copytree(other / "pos", other / "unsure")
    with pytest.raises(
        ConfigError, match="classes the training folder has no folder for: 'unsure'"
    ):
        load("binary", *folders("text_folder", train, other))
    user_files.reviews_folder(tmp_path / "split" / "train", per_class=3)
    user_files.reviews_folder(tmp_path / "split" / "test", per_class=3, seed=1)
    with pytest.raises(ConfigError, match=r"^data.test_path: .*holds train/, test/ sub-folders"):
        load("binary", *folders("text_folder", train, tmp_path / "split"))
    with pytest.raises(ConfigError, match=r"^data.test_path: folder not found"):
        load("binary", *folders("text_folder", train, tmp_path / "missing"))


def test_an_image_test_folder_is_the_test_split(tmp_path, capsys):
    train = image_folder(tmp_path / "train", first=0, per_class=12)
    test = image_folder(tmp_path / "test", first=12, per_class=5, classes=(0, 2))
    dataset = load("convnet", *folders("image_folder", train, test, "data.color_mode=grayscale"))
    assert list(dataset.x_test.paths) == sorted(str(p) for p in test.rglob("*.png"))
    assert dataset.y_test.tolist() == [0] * 5 + [2] * 5  # numbered by the training classes
    assert dataset.x_test.image_size == dataset.x_train.image_size == (8, 8)
    out = capsys.readouterr().out
    assert "has no folder for 1 of the 3 classes (1)" in out


def test_a_text_folder_run_scores_the_given_test_folder(tmp_path):
    from common.training.driver import train

    train_folder = user_files.reviews_folder(tmp_path / "train", per_class=30, seed=0)
    test = user_files.reviews_folder(tmp_path / "test", per_class=9, seed=1)
    run_dir, _ = train(
        tiny("binary", tmp_path / "runs", *folders("text_folder", train_folder, test),
             "trainer.epochs=1", "trainer.reference=false")
    )  # fmt: skip
    predictions = pd.read_csv(run_dir / "test_predictions.csv")
    assert predictions["target"].tolist() == [0] * 9 + [1] * 9
    files = [Path(name) for name in predictions["file"]]  # each score names its file
    assert all(path.is_file() and path.is_relative_to(test) for path in files)
    classes = sorted(folder.name for folder in test.iterdir())
    assert [classes.index(path.parent.name) for path in files] == predictions["target"].tolist()


# --------------------------------------------------------------------------------------------
# Series
# --------------------------------------------------------------------------------------------


def series(paths, test=None, *extra):
    return (
        "data.dataset=timeseries_csv",
        f"data.path={paths['train']}",
        f"data.test_path={test or paths['test']}",
        "data.target=load",
        "data.sequence_length=10",
        *extra,
    )


def test_a_series_test_file_is_the_test_period_and_looks_back_into_training(tmp_path):
    paths = series_files(tmp_path)
    dataset = load("rnn", *series(paths), stratify=False)
    test, table = dataset.x_test, paths["table"]
    assert len(test) == 60  # one window per row of the test file
    assert (test.target_times == table["date"].iloc[200:].to_numpy()).all()
    assert (test.y == table["load"].iloc[200:].to_numpy("float32")).all()
    # the first test windows read the training file's last rows
    assert test.first_input_times[0] == table["date"].iloc[200 - test.delay] and test.delay > 9
    # validation: the end of the training file, 0.25 / (1 - 0.25) of its rows (configs/rnn.yaml)
    assert dataset.x_train.rows == range(test.delay, 133) and dataset.x_val.rows == range(133, 200)


def test_a_series_validation_file_sits_between_training_and_test(tmp_path):
    paths = series_files(tmp_path, rows=300, split=200)
    table = paths["table"]
    table.iloc[200:240].to_csv(tmp_path / "val.csv", index=False)
    table.iloc[240:].to_csv(paths["test"], index=False)
    validation = f"data.validation_path={tmp_path / 'val.csv'}"
    dataset = load("rnn", *series(paths, None, validation), stratify=False)
    assert (len(dataset.x_val), len(dataset.x_test)) == (40, 60)
    assert dataset.x_train.rows[-1] == 199 and dataset.x_val.rows[0] == 200


def test_a_series_test_file_that_overlaps_training_is_refused(tmp_path, capsys):
    paths = series_files(tmp_path)
    table = paths["table"]
    table.iloc[190:].to_csv(tmp_path / "late.csv", index=False)
    late = r"^data.test_path: .*late.csv starts at 2020-07-09.*10 of its 70 rows lie in or before"
    with pytest.raises(ConfigError, match=late):
        load("rnn", *series(paths, tmp_path / "late.csv"), stratify=False)
    table.iloc[:50].to_csv(tmp_path / "early.csv", index=False)
    with pytest.raises(ConfigError, match="50 of its 50 rows lie in or before"):
        load("rnn", *series(paths, tmp_path / "early.csv"), stratify=False)
    table.drop(columns="temp").iloc[200:].to_csv(tmp_path / "narrow.csv", index=False)
    with pytest.raises(ConfigError, match=r"^data.test_path: .*it lacks 'temp'"):
        load("rnn", *series(paths, tmp_path / "narrow.csv"), stratify=False)
    table.iloc[210:].to_csv(tmp_path / "gap.csv", index=False)
    load("rnn", *series(paths, tmp_path / "gap.csv"), stratify=False)
    assert "starts 11 days 00:00:00 after" in capsys.readouterr().out


def test_a_series_run_scores_the_test_file(tmp_path):
    from common.training.driver import train

    paths = series_files(tmp_path)
    run_dir, metrics = train(
        tiny("rnn", tmp_path / "runs", *series(paths), "trainer.epochs=1",
             "trainer.reference=false")
    )  # fmt: skip
    assert metrics["test"]["mae"] >= 0 and (run_dir / "best.keras").is_file()


# --------------------------------------------------------------------------------------------
# CSV runs, and what the command line says
# --------------------------------------------------------------------------------------------


def test_a_csv_run_scores_the_given_test_file(tmp_path):
    from common.training.driver import train

    table = load_breast_cancer(as_frame=True).frame
    table.insert(0, "PassengerId", np.random.default_rng(0).permutation(len(table)) + 1)
    table.iloc[:400].to_csv(tmp_path / "train.csv", index=False)
    table.iloc[400:].to_csv(tmp_path / "test.csv", index=False)
    run_dir, _ = train(
        tiny("binary", tmp_path / "runs", "data.dataset=csv", f"data.path={tmp_path / 'train.csv'}",
             f"data.test_path={tmp_path / 'test.csv'}", "data.target=target", "trainer.epochs=1",
             "trainer.reference=false")
    )  # fmt: skip
    predictions = pd.read_csv(run_dir / "test_predictions.csv")
    assert predictions["target"].tolist() == table["target"].iloc[400:].tolist()
    assert predictions["PassengerId"].tolist() == table["PassengerId"].iloc[400:].tolist()
    assert list(predictions.columns) == ["PassengerId", "target", "probability"]


def test_the_command_line_refuses_in_one_line(tmp_path):
    paths = series_files(tmp_path)
    paths["table"].iloc[150:].to_csv(tmp_path / "late.csv", index=False)
    result = cookbook("train", "rnn", *series(paths, tmp_path / "late.csv"),
                      f"output.dir={tmp_path / 'runs'}")  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: data.test_path: ")
    assert not (tmp_path / "runs").exists()
    result = cookbook("train", "multiclass", "data.dataset=digits", "data.test_path=test.csv")
    assert result.returncode == 2 and "data.test_path: is read for data.dataset csv, npz" in (
        result.stderr
    )
