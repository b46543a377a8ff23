"""The GAN's quality-score classifier is trained once per dataset: a second run on the same
data copies the kept one (same weights, no training), other data trains its own."""

from __future__ import annotations

import numpy as np

from common.data.dataset import Dataset
from common.reporting.scores import quality_classifier


def images(seed: int) -> Dataset:
    generator = np.random.default_rng(seed)
    x = generator.uniform(size=(48, 8, 8, 1)).astype("float32")
    y = np.arange(48) % 3
    return Dataset(x, y, x[:6], y[:6], class_names=["a", "b", "c"])


def test_the_classifier_is_kept_by_its_data(tmp_path):
    kept_in = tmp_path / "cache"
    first = quality_classifier(images(0), tmp_path / "run1.keras", 1, seed=0, kept_in=kept_in)
    (kept,) = kept_in.glob("*.keras")
    again = quality_classifier(images(0), tmp_path / "run2.keras", 1, seed=0, kept_in=kept_in)
    assert (tmp_path / "run2.keras").read_bytes() == kept.read_bytes()
    for a, b in zip(first.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    quality_classifier(images(1), tmp_path / "run3.keras", 1, seed=0, kept_in=kept_in)
    assert len(list(kept_in.glob("*.keras"))) == 2
