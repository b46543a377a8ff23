"""scikit-learn's bundled datasets: the sources every default config trains on, because they
ship inside a dependency and so run offline (breast_cancer, digits, wine, iris, diabetes)."""

from __future__ import annotations

from common.config.schema import DataConfig
from common.data.dataset import Dataset, holdout_split


def load_sklearn(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """`sklearn.datasets.load_<name>()`, float32 features, cut by a seeded holdout of
    `data.test_split`; digits scaled to [0, 1], and as 8x8 images when asked."""
    from sklearn import datasets as sklearn_datasets  # lazy: config checks stay instant

    bunch = getattr(sklearn_datasets, f"load_{name}")()
    x = bunch.data.astype("float32")
    y = bunch.target
    if name == "digits":
        x = x / 16.0  # pixel intensities 0..16
        if data.image_layout == "image":
            x = x.reshape(-1, 8, 8, 1)
    class_names = [str(c) for c in bunch.target_names] if "target_names" in bunch else None
    y = y.astype("int32" if class_names else "float32")
    x_train, x_test, y_train, y_test = holdout_split(x, y, data.test_split, seed, stratify)
    return Dataset(x_train, y_train, x_test, y_test, class_names)
