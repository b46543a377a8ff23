"""The scikit-learn reference of a small image folder: its pixels, decoded as the network
reads them, and kept by a fingerprint of the files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from common.data.files import index_folder
from common.data.splits import Split
from common.reporting import reference


def write_digit_folder(root: Path, classes=(0, 1, 7), per_class: int = 30) -> Path:
    """`per_class` of scikit-learn's digits per class, 8x8 upscaled to 32x32 grayscale PNGs."""
    digits = load_digits()
    for label in classes:
        (root / str(label)).mkdir(parents=True)
        members = np.flatnonzero(digits.target == label)[:per_class]
        for index, member in enumerate(members):
            gray = np.round(digits.images[member] * 255 / 16).astype("uint8")
            big = np.kron(gray, np.ones((4, 4), dtype="uint8"))
            Image.fromarray(big).save(root / str(label) / f"{index:02d}.png")
    return root


def folder_split(root: Path, seed: int = 0) -> tuple[Split, object, np.ndarray]:
    folder = index_folder(root, "image", color_mode="grayscale")
    order = np.random.default_rng(seed).permutation(len(folder.labels))
    train, test = order[:60], order[60:]
    files, labels = folder.files, folder.labels
    split = Split("holdout", files[train], labels[train], None, None, len(folder.class_names))
    return split, folder.files[test], folder.labels[test]


def test_a_small_image_folder_gets_a_pixel_reference_far_above_chance(tmp_path):
    split, x_test, y_test = folder_split(write_digit_folder(tmp_path / "digits"))
    result = reference.fit_reference("multiclass", split, x_test, y_test)
    assert result["reference"]["accuracy"] >= 0.9  # chance: 1/3
    assert result["reference_model"] in {"LogisticRegression", "SVC", "SVC (unscaled)"}


def test_the_folder_fingerprint_follows_its_files(tmp_path):
    root = write_digit_folder(tmp_path / "digits")
    split, x_test, y_test = folder_split(root)
    first = reference.fingerprint("multiclass", split, x_test, y_test)
    assert first == reference.fingerprint("multiclass", *folder_split(root))
    changed = Path(x_test.paths[0])
    os.utime(changed, ns=(0, 0))  # another version of one test image
    assert reference.fingerprint("multiclass", split, x_test, y_test) != first


@pytest.mark.parametrize(("guard", "limit"), [("MAX_CELLS", 1000), ("MAX_IMAGES", 50)])
def test_a_folder_too_large_to_decode_gets_a_note(tmp_path, monkeypatch, guard, limit):
    split, x_test, y_test = folder_split(write_digit_folder(tmp_path / "digits"))
    monkeypatch.setattr(reference, guard, limit)
    assert reference.fingerprint("multiclass", split, x_test, y_test) is None
    note = reference.fit_reference("multiclass", split, x_test, y_test)["reference_note"]
    assert "60 images" in note and "too large" in note


def test_a_regression_table_with_a_name_column_gets_a_reference():
    # vega cars: a Name column of ~300 distinct values, one-hot encoded for gradient boosting,
    # which takes dense input only (it crashed on the sparse matrix).
    import pandas as pd

    rng = np.random.default_rng(0)
    weight = rng.uniform(1500, 5000, 200)
    table = pd.DataFrame({"Name": [f"car {i}" for i in range(200)], "Weight": weight})
    y = (50 - weight / 150 + rng.normal(0, 1, 200)).astype("float32")
    split = Split("holdout", table[:120], y[:120], table[120:160], y[120:160], None)
    result = reference.fit_reference("regression", split, table[160:], y[160:])
    assert result["reference"]["mae"] < 0.5 * np.mean(np.abs(y[160:] - y[:120].mean()))


def separable(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 10)).astype("float32")
    return x, (x[:, :3].sum(axis=1) > 0).astype("int64")


def test_past_the_kernel_rows_the_reference_scales_linearly(monkeypatch, capsys):
    """No RBF SVC past KERNEL_ROWS (its cost grows with the rows squared), and past FIT_ROWS
    a stratified subsample that metrics.json and the console name."""
    monkeypatch.setattr(reference, "KERNEL_ROWS", 500)
    monkeypatch.setattr(reference, "FIT_ROWS", 1_500)
    x, y = separable(4_000)
    x_test, y_test = separable(500, seed=1)
    split = Split("holdout", x, y, None, None, 2)
    result = reference.fit_reference("binary", split, x_test, y_test)
    assert result["reference_model"] in ("LogisticRegression", "HistGradientBoostingClassifier")
    assert result["reference_fitted_on"] == {"rows": 1_500, "of": 4_000}
    assert result["reference"]["accuracy"] > 0.9
    assert len(result["reference_per_example"]) == 500
    out = capsys.readouterr().out
    assert "(LogisticRegression, HistGradientBoostingClassifier) on a seeded 1,500 of 4,000" in out
    small = reference.candidates("binary", reference.StandardScaler(), False, rows=400)
    assert "SVC" in small and "HistGradientBoostingClassifier" not in small
