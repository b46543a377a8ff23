"""Files a user would bring, written by the tests themselves from data that ships offline:
a messy CSV, a folder of PNG images per class, a folder of text files per class, and a
`Tripwire` for the hostile file that must never be unpickled."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CLINICS = ["North", "South", "East", "West", "Central"]


def messy_breast_cancer(path: Path, blank_fraction: float = 0.1, seed: int = 0) -> Path:
    """scikit-learn's breast-cancer table as a user might export it: about 10% of the feature
    cells blank, a text column (the clinic), and the target as text."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    rng = np.random.default_rng(seed)
    table = bunch.data.copy()
    table.columns = [c.replace(" ", "_") for c in table.columns]
    table = table.astype(object)
    table[rng.random(table.shape) < blank_fraction] = ""
    clinic = rng.choice(CLINICS, size=len(table)).astype(object)
    clinic[rng.random(len(table)) < blank_fraction] = ""
    table.insert(3, "clinic", clinic)
    table["diagnosis"] = np.where(bunch.target == 1, "benign", "malignant")
    table.to_csv(path, index=False)
    return path


def digit_images(root: Path, per_class: int | None = None, size: int = 8) -> Path:
    """scikit-learn's 8x8 digits as grayscale PNGs, one folder per class (0..9)."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    counts: dict[int, int] = {}
    for index, (image, label) in enumerate(zip(digits.images, digits.target, strict=True)):
        if per_class is not None and counts.get(label, 0) >= per_class:
            continue
        counts[label] = counts.get(label, 0) + 1
        folder = root / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        pixels = (image / 16.0 * 255).astype("uint8")
        picture = Image.fromarray(pixels, mode="L")
        if size != 8:
            picture = picture.resize((size, size), Image.NEAREST)
        picture.save(folder / f"{index:04d}.png")
    return root


POSITIVE = ["great", "wonderful", "loved", "brilliant", "moving", "superb", "fun", "charming"]
NEGATIVE = ["awful", "boring", "hated", "dull", "terrible", "waste", "bland", "painful"]
NEUTRAL = ["the", "film", "plot", "actors", "scene", "story", "music", "ending", "and", "a"]


def review(rng: np.random.Generator, positive: bool) -> str:
    words = list(rng.choice(NEUTRAL, size=12))
    cue = POSITIVE if positive else NEGATIVE
    for _ in range(3):
        words.insert(int(rng.integers(0, len(words))), str(rng.choice(cue)))
    return " ".join(words).capitalize() + "."


def reviews_folder(root: Path, per_class: int = 60, seed: int = 0) -> Path:
    """A tiny aclImdb-like corpus: neg/ and pos/ folders of one review per .txt file."""
    rng = np.random.default_rng(seed)
    for label, positive in (("neg", False), ("pos", True)):
        folder = root / label
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            (folder / f"{index}.txt").write_text(review(rng, positive), encoding="utf-8")
    return root


class Tripwire:
    """Unpickling this creates `marker`: proof that a file was (wrongly) unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))
