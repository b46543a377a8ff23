"""Segmentation scenes composed from scikit-learn's digits: the `segmentation` recipe's offline
default (`data.dataset: digit_scenes`).

    data:
      dataset: digit_scenes
      image_size: [48, 48]     # the canvas (default 48x48; 32x32 and up)

Each scene is a seeded canvas of noisy background holding one to three digits, each upscaled
from 8x8 to a quarter to three eighths of the canvas and placed where it overlaps no other.
A pixel's label is its digit's class + 1 where the digit's ink is over half its brightest
value, and 0 (background) elsewhere: real handwritten shapes, with masks exact by construction.

The digits are split first (seeded, stratified, `data.test_split`), and the test scenes are
composed from the test digits only, so the scores are on handwriting the model never saw.
Each digit starts `SCENES_PER_DIGIT` scenes; the other digits of a scene are drawn at random
from the same part. Images are float32 pixels in 0..255, as decoded image files arrive, so a
model trained on scenes predicts from PNG files the same way; masks are uint8 class indices.
"""

from __future__ import annotations

import numpy as np

from common.config.schema import DataConfig
from common.data.dataset import Dataset, holdout_split
from common.errors import ConfigError

CANVAS = (48, 48)  # the default canvas, (height, width)
MIN_CANVAS = 32  # a canvas must hold at least one digit of 8 pixels and some background
SCENES_PER_DIGIT = 2
MAX_DIGITS = 3  # per scene; each scene has 1..MAX_DIGITS
INK = 0.5  # a pixel belongs to the digit where its ink is over this fraction of the brightest
CLASS_NAMES = ["background", *(str(digit) for digit in range(10))]


def upscaled(digit: np.ndarray, size: int) -> np.ndarray:
    """An 8x8 digit in [0, 1] resized to size x size with bilinear interpolation (Pillow)."""
    from PIL import Image  # lazy: config checks import this module without Pillow

    image = Image.fromarray(digit.astype("float32"), mode="F")
    return np.asarray(image.resize((size, size), Image.Resampling.BILINEAR), dtype="float32")


def free_spot(
    occupied: list[tuple[int, int, int]], size: int, canvas: tuple[int, int], rng
) -> tuple[int, int] | None:
    """A random (top, left) where a size x size box overlaps none of `occupied` (top, left,
    size), one pixel apart; None after 30 tries."""
    height, width = canvas
    for _ in range(30):
        top, left = int(rng.integers(0, height - size + 1)), int(rng.integers(0, width - size + 1))
        if all(
            top + size < t or t + s < top or left + size < x or x + s < left for t, x, s in occupied
        ):
            return top, left
    return None


def compose(
    digits: np.ndarray, labels: np.ndarray, count: int, canvas: tuple[int, int], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """`count` scenes from `digits` ((n, 8, 8) in [0, 1]) and their `labels`: images
    (count, height, width, 1) float32 in 0..255 and masks (count, height, width) uint8.
    Scene k starts with digit k mod n, so every digit appears."""
    rng = np.random.default_rng(seed)
    height, width = canvas
    smallest, largest = max(8, min(canvas) // 4), max(8, min(canvas) * 3 // 8)
    images = np.empty((count, height, width, 1), dtype="float32")
    masks = np.zeros((count, height, width), dtype="uint8")
    for scene in range(count):
        level = rng.uniform(0.0, 0.3)  # the background's brightness, and its noise
        image = level + rng.normal(0.0, 0.06, canvas)
        chosen = [scene % len(digits), *rng.integers(0, len(digits), MAX_DIGITS - 1)]
        occupied: list[tuple[int, int, int]] = []
        for index in chosen[: int(rng.integers(1, MAX_DIGITS + 1))]:
            size = int(rng.integers(smallest, largest + 1))
            spot = free_spot(occupied, size, canvas, rng)
            if spot is None:
                continue
            top, left = spot
            occupied.append((top, left, size))
            ink = upscaled(digits[index], size)
            ink = ink / max(float(ink.max()), 1e-6)
            brightness = rng.uniform(0.65, 1.0)
            window = (slice(top, top + size), slice(left, left + size))
            image[window] = image[window] * (1 - ink) + brightness * ink
            masks[scene][window][ink > INK] = labels[index] + 1
        images[scene, ..., 0] = np.clip(image, 0.0, 1.0) * 255.0
    return images, masks


def canvas_size(data: DataConfig) -> tuple[int, int]:
    if data.image_size is None:
        return CANVAS
    if len(data.image_size) != 2 or min(data.image_size) < MIN_CANVAS:
        raise ConfigError(
            "data.image_size",
            f"digit scenes need [height, width] of at least {MIN_CANVAS} pixels each; "
            f"got {data.image_size}.",
        )
    return int(data.image_size[0]), int(data.image_size[1])


def load_digit_scenes(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """Scenes of scikit-learn's digits: the test scenes from held-out digits only."""
    from sklearn.datasets import load_digits  # lazy: config checks stay instant

    canvas = canvas_size(data)
    bunch = load_digits()
    digits = (bunch.images / 16.0).astype("float32")
    train, test, y_train, y_test = holdout_split(digits, bunch.target, data.test_split, seed, True)
    x_train, m_train = compose(train, y_train, SCENES_PER_DIGIT * len(train), canvas, seed)
    x_test, m_test = compose(test, y_test, SCENES_PER_DIGIT * len(test), canvas, seed + 1)
    return Dataset(x_train, m_train, x_test, m_test, list(CLASS_NAMES))
