"""The catalogue of named sources: every `data.dataset` name, the loader behind it, what it
needs from the config, and the checks that run before any data is read.

    bundled (scikit-learn, offline)  breast_cancer · digits · wine · iris · diabetes
    Keras datasets                   imdb · reuters · boston_housing · mnist · fashion_mnist
                                     · cifar10
    the user's files                 csv · npz · image_folder · text_folder
    time series (rnn recipe)         seattle_weather · jena_climate · timeseries_csv
    token sequences (rnn recipe)     imdb_sequences
    images and masks (segmentation)  digit_scenes · mask_folder · oxford_pets

Each family lives in its own module and knows nothing of the others or of this list; this is
the one place that names them all, so `check_source` and `load` see one table.

Examples are NumPy arrays for the bundled and Keras sets, a pandas DataFrame for CSV tables
(`common.data.tables`), a `FileSet` of paths for image and text folders (`common.data.files`),
which streams from disk, and `WindowSet`s for a series (`common.data.windows`). All have a
length and can be indexed by positions (`common.data.dataset.take`), which is all the splits
need.

This module imports neither TensorFlow nor scikit-learn at import time: `check_source` runs
during config validation, which must answer instantly.
"""

from __future__ import annotations

from pathlib import Path

from common.config.schema import DataConfig
from common.data import bundled, keras_sets, masks, pairs, scenes, sequences, series, user_files
from common.data.dataset import Dataset, Loader
from common.data.paths import user_path
from common.errors import ConfigError, unknown_name

DATASETS: dict[str, Loader] = {
    "breast_cancer": bundled.load_sklearn,
    "digits": bundled.load_sklearn,
    "wine": bundled.load_sklearn,
    "iris": bundled.load_sklearn,
    "diabetes": bundled.load_sklearn,
    "imdb": keras_sets.load_imdb,
    "reuters": keras_sets.load_reuters,
    "boston_housing": keras_sets.load_boston_housing,
    "mnist": keras_sets.load_mnist,
    "fashion_mnist": keras_sets.load_fashion_mnist,
    "cifar10": keras_sets.load_cifar10,
    "csv": user_files.load_csv,
    "npz": user_files.load_npz_file,
    "image_folder": user_files.load_folder,
    "text_folder": user_files.load_folder,
    "seattle_weather": series.load_seattle_weather,
    "jena_climate": series.load_jena_climate,
    "timeseries_csv": user_files.load_timeseries_csv,
    "imdb_sequences": sequences.load_imdb_sequences,
    # images with per-pixel class masks (segmentation recipe)
    "digit_scenes": scenes.load_digit_scenes,
    "mask_folder": masks.load_mask_folder,
    "oxford_pets": masks.load_oxford_pets,
    # text pairs (seq2seq recipe): generated dates, keras.io's spa.txt, a CSV of your own
    "dates": pairs.load_dates,
    "spa_eng": pairs.load_spa_eng,
    "pairs_csv": pairs.load_pairs_csv,
}
NEEDS_PATH = ("csv", "npz", "image_folder", "text_folder", "timeseries_csv", "mask_folder")
# Time series: cut into windows by the rnn recipe, split in time order (`common.data.series`)
SERIES = ("seattle_weather", "jena_climate", "timeseries_csv")
# FileSets: decoded batch by batch, never whole
STREAMING = ("image_folder", "text_folder", "mask_folder", "oxford_pets")
# `data.path` is a folder holding these files
FOLDERS = {
    "fashion_mnist": keras_sets.FASHION_MNIST_FILES,
    "cifar10": keras_sets.CIFAR10_FILES,
}


def _exists(path: Path, test=Path.is_file) -> bool:
    """`test(path)`, with a name the system refuses (too long, say) counted as not found."""
    try:
        return test(path)
    except OSError:
        return False


def check_source(data: DataConfig) -> None:
    """Config-time checks that need no data loaded: names, files and folders."""
    if data.dataset not in DATASETS:
        raise ConfigError("data.dataset", unknown_name("dataset", data.dataset, DATASETS))
    if data.dataset in NEEDS_PATH and not data.path:
        what = "a folder" if data.dataset in STREAMING else "a file"
        raise ConfigError("data.path", f"dataset {data.dataset!r} needs {what}: set data.path.")
    path = user_path(data.path) if data.path else None
    if path and (data.dataset in FOLDERS or data.dataset in STREAMING):
        if not _exists(path, Path.is_dir):
            raise ConfigError("data.path", f"{data.dataset} reads a folder; not found: {path}")
        missing = [f for f in FOLDERS.get(data.dataset, ()) if not _exists(path / f)]
        if missing:
            raise ConfigError("data.path", f"{path} lacks {', '.join(missing)}.")
    elif path and data.dataset != "csv" and not _exists(path):  # csv: a file, glob or folder
        raise ConfigError("data.path", f"file not found: {path}")
    if data.dataset == "csv":
        user_files.check_csv(data)
    if data.dataset in STREAMING and data.split != "holdout":
        raise ConfigError(
            "data.split",
            f"{data.split} needs the examples in memory; {data.dataset} streams from disk. "
            "Use data.split=holdout.",
        )
    if data.dataset in SERIES:
        series.check_series(data)
    elif data.dataset == "imdb_sequences":
        sequences.check_imdb_sequences(data)


def load(data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """Load `data.dataset`; `stratify` keeps class proportions in the test split."""
    check_source(data)
    return DATASETS[data.dataset](data.dataset, data, seed, stratify)
