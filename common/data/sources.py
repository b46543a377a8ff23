"""Named data sources: train and test examples, as arrays, a table or files that stream.

Every default config trains on data that ships with a dependency (scikit-learn's bundled sets)
so that it runs offline. The Keras datasets are read by the same parsers whether the file was
downloaded by `keras.utils.get_file` (with Keras' own checksum) or given as a local
`data.path`; ragged arrays go through Keras' restricted unpickler, which rebuilds NumPy arrays
and nothing else.

Examples are NumPy arrays for the bundled and Keras sets, a pandas DataFrame for CSV tables
(`common.data.tables`), and a `FileSet` of paths for image and text folders
(`common.data.files`), which streams from disk. All three have a length and can be indexed by
an array of positions (`take`), which is all the splits need.

This module imports neither TensorFlow nor scikit-learn at import time: `check_source` runs
during config validation, which must answer instantly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from common.config.schema import DataConfig
from common.data import files, tables
from common.errors import ConfigError, UserError, unknown_name

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
KERAS_SEED = 113  # the shuffle seed keras.datasets uses, so splits match theirs


@dataclass
class Dataset:
    """Train and test examples; validation is carved out of train by `common.data.splits`,
    unless the source gives it (`x_val`, `y_val`: an image folder's validation/ sub-folder).
    `x_*` are arrays, a DataFrame (a table) or a FileSet (files that stream)."""

    x_train: Any
    y_train: np.ndarray
    x_test: Any
    y_test: np.ndarray
    class_names: list[str] | None = None
    x_val: Any = None
    y_val: np.ndarray | None = None

    @property
    def num_classes(self) -> int | None:
        return len(self.class_names) if self.class_names else None


def take(x: Any, index: np.ndarray) -> Any:
    """Rows `index` of arrays, a DataFrame or a FileSet."""
    if hasattr(x, "iloc"):
        return x.iloc[index].reset_index(drop=True)
    return x[index]


def holdout_split(x: Any, y: np.ndarray, fraction: float, seed: int, stratify: bool):
    """(x_kept, x_held, y_kept, y_held): a seeded, optionally stratified cut of `fraction`."""
    from sklearn.model_selection import train_test_split

    if len(x) != len(y):
        raise UserError(
            f"the inputs hold {len(x)} examples but the targets {len(y)}; give one target per "
            "example."
        )
    try:
        kept, held = train_test_split(
            np.arange(len(y)),
            test_size=fraction,
            random_state=seed,
            stratify=y if stratify else None,
        )
    except ValueError as error:  # too few examples (per class) for the fraction asked
        reason = " ".join(str(error).split())  # scikit-learn's messages may span lines
        raise UserError(
            f"{len(y)} examples are too few to hold out {fraction:.0%} of them"
            f"{' with every class on both sides' if stratify else ''} ({reason}). "
            "Bring more data, or change data.test_split / data.validation_split."
        ) from None
    return take(x, kept), take(x, held), y[kept], y[held]


# --------------------------------------------------------------------------------------------
# scikit-learn's bundled datasets (offline)
# --------------------------------------------------------------------------------------------


def _load_sklearn(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    from sklearn import datasets as sklearn_datasets

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


# --------------------------------------------------------------------------------------------
# Keras datasets: downloaded and cached by Keras, or read from `data.path`
# --------------------------------------------------------------------------------------------

KERAS_FILES = {
    "imdb": ("imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    "reuters": ("reuters.npz", "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"),
    "boston_housing": (
        "boston_housing.npz",
        "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
    ),
    "mnist": ("mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
}


def keras_file(name: str, data: DataConfig) -> str:
    """The local copy of a Keras dataset file: `data.path`, or Keras' verified download."""
    if data.path:
        return str(user_path(data.path))
    import keras

    filename, file_hash = KERAS_FILES[name]
    return keras.utils.get_file(filename, origin=KERAS_ORIGIN + filename, file_hash=file_hash)


def read_npz(path: str, keys: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Arrays of an .npz; ragged (object) arrays through Keras' restricted unpickler, which
    rebuilds NumPy arrays of plain Python values and refuses anything else. `keys`: the
    arrays the dataset needs, each named if missing."""
    import pickle
    import zipfile

    from keras.src.datasets import npz_utils

    try:
        arrays = dict(npz_utils.load_npz(path))
    except (pickle.UnpicklingError, ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        reason = " ".join(str(error).split())
        raise ConfigError(
            "data.path", f"cannot read {path} as a Keras dataset file: {reason}"
        ) from None
    missing = [key for key in keys if key not in arrays]
    if missing:
        raise ConfigError(
            "data.path",
            f"{path} lacks the arrays {', '.join(missing)} (it holds {', '.join(sorted(arrays))})"
            "; give the file Keras downloads for this dataset.",
        )
    return arrays


def _as_numbers(array: np.ndarray, dtype: str, key: str, path: str) -> np.ndarray:
    """`array` as `dtype`, or a ConfigError naming the array: a file that is not the
    dataset's is named here, not as a NumPy error later."""
    try:
        return np.asarray(array).astype(dtype)
    except (ValueError, TypeError):
        raise ConfigError(
            "data.path", f"{path}: the array {key} does not hold numbers of one shape."
        ) from None


def multi_hot(sequences: np.ndarray | list, num_words: int) -> np.ndarray:
    """Word-index sequences -> a 0/1 matrix, as in "Deep Learning with Python", ch. 4."""
    matrix = np.zeros((len(sequences), num_words), dtype="uint8")
    for row, sequence in enumerate(sequences):
        matrix[row, np.asarray(sequence, dtype="int64")] = 1
    return matrix


def _word_indices(sequences: np.ndarray, num_words: int) -> list[np.ndarray]:
    """Keras' encoding: start_char=1, oov_char=2, word indices offset by index_from=3."""
    encoded = []
    for sequence in sequences:
        words = np.asarray(sequence, dtype="int64") + 3
        words[words >= num_words] = 2
        encoded.append(np.concatenate([[1], words]))
    return encoded


def _shuffled(rng: np.random.RandomState, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    order = np.arange(len(arrays[0]))
    rng.shuffle(order)
    return tuple(array[order] for array in arrays)


def _split_at(fraction: float, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    cut = int(len(arrays[0]) * (1 - fraction))
    return tuple(part for array in arrays for part in (array[:cut], array[cut:]))


def _load_imdb(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    arrays = read_npz(keras_file("imdb", data), ("x_train", "y_train", "x_test", "y_test"))
    rng = np.random.RandomState(KERAS_SEED)
    x_train, y_train = _shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, y_test = _shuffled(rng, arrays["x_test"], arrays["y_test"])
    return Dataset(
        multi_hot(_word_indices(x_train, data.num_words), data.num_words),
        y_train.astype("int32"),
        multi_hot(_word_indices(x_test, data.num_words), data.num_words),
        y_test.astype("int32"),
        ["negative", "positive"],
    )


def _load_reuters(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    arrays = read_npz(keras_file("reuters", data), ("x", "y"))
    x, y = _shuffled(np.random.RandomState(KERAS_SEED), arrays["x"], arrays["y"])
    x = multi_hot(_word_indices(x, data.num_words), data.num_words)
    x_train, x_test, y_train, y_test = _split_at(data.test_split, x, y.astype("int32"))
    num_topics = int(y.max()) + 1
    return Dataset(x_train, y_train, x_test, y_test, [f"topic_{i}" for i in range(num_topics)])


def _load_boston_housing(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    path = keras_file("boston_housing", data)
    arrays = read_npz(path, ("x", "y"))
    x = _as_numbers(arrays["x"], "float32", "x", path)
    y = _as_numbers(arrays["y"], "float32", "y", path)
    x, y = _shuffled(np.random.RandomState(KERAS_SEED), x, y)
    x_train, x_test, y_train, y_test = _split_at(data.test_split, x, y)
    return Dataset(x_train, y_train, x_test, y_test)


def _pixels(x: np.ndarray, data: DataConfig) -> np.ndarray:
    """uint8 28x28 images -> floats in [0, 1], as (28, 28, 1) images or 784 flat features."""
    x = x.astype("float32") / 255.0
    return x[..., None] if data.image_layout == "image" else x.reshape(len(x), -1)


def _load_mnist(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    path = keras_file("mnist", data)
    arrays = read_npz(path, ("x_train", "y_train", "x_test", "y_test"))
    x_train, x_test = (_as_numbers(arrays[k], "uint8", k, path) for k in ("x_train", "x_test"))
    return Dataset(
        _pixels(x_train, data),
        _as_numbers(arrays["y_train"], "int32", "y_train", path),
        _pixels(x_test, data),
        _as_numbers(arrays["y_test"], "int32", "y_test", path),
        [str(digit) for digit in range(10)],
    )


FASHION_MNIST_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


def _read_idx(path: str, offset: int) -> np.ndarray:
    """The uint8 payload of a gzipped IDX file (8-byte header for labels, 16 for images)."""
    import gzip

    try:
        with gzip.open(path, "rb") as file:
            return np.frombuffer(file.read(), np.uint8, offset=offset)
    except (OSError, EOFError, ValueError) as error:
        message = f"cannot read {path} as a gzipped IDX file: {error}"
        raise ConfigError("data.path", message) from None


def _load_fashion_mnist(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """Four gzipped IDX files, as keras.datasets.fashion_mnist reads them: downloaded by
    `keras.utils.get_file`, or from the folder `data.path`."""
    if data.path:
        paths = [str(user_path(data.path) / filename) for filename in FASHION_MNIST_FILES]
    else:
        import keras

        paths = [
            keras.utils.get_file(
                filename, origin=KERAS_ORIGIN + filename, cache_subdir="datasets/fashion-mnist"
            )
            for filename in FASHION_MNIST_FILES
        ]
    y_train, y_test = _read_idx(paths[0], 8), _read_idx(paths[2], 8)
    x_train, x_test = _read_idx(paths[1], 16), _read_idx(paths[3], 16)
    if x_train.size != len(y_train) * 28 * 28 or x_test.size != len(y_test) * 28 * 28:
        raise ConfigError("data.path", f"the images in {data.path} do not match their labels.")
    x_train, x_test = x_train.reshape(-1, 28, 28), x_test.reshape(-1, 28, 28)
    return Dataset(
        _pixels(x_train, data),
        y_train.astype("int32"),
        _pixels(x_test, data),
        y_test.astype("int32"),
        FASHION_MNIST_CLASSES,
    )


CIFAR10_FILES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch")
CIFAR10_CLASSES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]


def _load_cifar10(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """The CIFAR-10 python batches (32x32 RGB), as keras.datasets.cifar10 reads them: from
    Keras' download (extracted), or from the folder `data.path` holding the six batch files.
    Each batch is read by Keras' `load_batch`, whose unpickler rebuilds NumPy arrays only."""
    from keras.src.datasets.cifar import load_batch

    if data.path:
        folder = user_path(data.path)
    else:
        import keras

        folder = Path(
            keras.utils.get_file(
                "cifar-10-batches-py",
                origin="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                untar=True,
            )
        )
    try:
        batches = [load_batch(str(folder / filename)) for filename in CIFAR10_FILES]
    except (OSError, ValueError, KeyError, EOFError) as error:
        message = f"cannot read {folder} as the CIFAR-10 python batches: {error}"
        raise ConfigError("data.path", message) from None
    except Exception as error:  # the restricted unpickler refused something
        raise ConfigError("data.path", f"{folder}: refused to load ({error}).") from None

    def images(parts):
        x = np.concatenate([x for x, _ in parts]).transpose(0, 2, 3, 1).astype("float32") / 255.0
        return x if data.image_layout == "image" else x.reshape(len(x), -1)

    def labels(parts):
        return np.concatenate([np.asarray(y, dtype="int32") for _, y in parts])

    train, test = batches[:5], batches[5:]
    return Dataset(images(train), labels(train), images(test), labels(test), CIFAR10_CLASSES)


# --------------------------------------------------------------------------------------------
# Local files: CSV and NPZ
# --------------------------------------------------------------------------------------------


MIN_ROWS = 5  # a table this short cannot be split into train, validation and test


def _load_csv(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    x, y, class_names, _ = tables.load_table(
        user_path(data.path), data.target, data.columns, stratify, data.features
    )
    if len(y) < MIN_ROWS:
        rows = f"{len(y)} row" + ("" if len(y) == 1 else "s")
        raise ConfigError(
            "data.path",
            f"{data.path} has {rows} of data; at least {MIN_ROWS} are needed to split off test "
            "and validation examples. Bring more rows.",
        )
    x_train, x_test, y_train, y_test = holdout_split(x, y, data.test_split, seed, stratify)
    return Dataset(x_train, y_train, x_test, y_test, class_names)


def _load_folder(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """An image or text folder: class sub-folders, or train/ [validation/] [test/] of them."""
    kind = "image" if name == "image_folder" else "text"
    root = user_path(data.path)
    given = files.split_folders(root)
    if "train" not in given:
        folder = files.index_folder(root, kind, data.image_size, data.color_mode, data.num_words)
        x_train, x_test, y_train, y_test = holdout_split(
            folder.files, folder.labels, data.test_split, seed, stratify=True
        )
        return Dataset(x_train, y_train, x_test, y_test, folder.class_names)
    train = files.index_folder(
        given["train"], kind, data.image_size, data.color_mode, data.num_words
    )
    size = train.files.image_size
    parts = {
        split: files.index_folder(path, kind, size, data.color_mode, data.num_words)
        for split, path in given.items()
        if split != "train"
    }
    for split, part in parts.items():
        if part.class_names != train.class_names:
            raise ConfigError(
                "data.path",
                f"{given[split]} has classes {part.class_names}, train/ has "
                f"{train.class_names}; the splits must have the same class folders.",
            )
    x_train, y_train = train.files, train.labels
    if "test" in parts:
        x_test, y_test = parts["test"].files, parts["test"].labels
    else:
        x_train, x_test, y_train, y_test = holdout_split(
            x_train, y_train, data.test_split, seed, stratify=True
        )
    validation = parts.get("validation")
    return Dataset(
        x_train,
        y_train,
        x_test,
        y_test,
        train.class_names,
        x_val=validation.files if validation else None,
        y_val=validation.labels if validation else None,
    )


NPZ_LAYOUTS = (("x_train", "y_train", "x_test", "y_test"), ("x", "y"))
PLAIN_KINDS = "biuf"  # booleans, integers and floats: what trains without conversion


def _objects(path: str, key: str = "") -> str:
    where = f" in {key}" if key else ""
    return (
        f"{path} holds Python objects{where} (pickled data), which are not loaded; save plain "
        "numeric arrays, e.g. np.savez(path, x=x.astype('float32'), y=y)."
    )


def _plain_npz(path: str) -> dict[str, np.ndarray]:
    """The arrays of a user's .npz, read with allow_pickle=False: a file holding Python
    objects is refused by name, never unpickled."""
    import zipfile

    try:
        with open(path, "rb") as file:
            magic = file.read(6)
    except OSError as error:
        raise ConfigError("data.path", f"cannot read {path}: {error.strerror or error}.") from None
    if magic[:1] == b"\x80":  # a pickle's protocol marker
        raise ConfigError("data.path", _objects(path))
    if not magic.startswith((b"PK", b"\x93NUMPY")):
        raise ConfigError(
            "data.path",
            f"{path} is not an .npz file (NumPy's np.savez format); save the arrays with "
            "np.savez(path, x=x, y=y).",
        )
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError:  # an .npy of objects
        raise ConfigError("data.path", _objects(path)) from None
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        reason = " ".join(str(error).split())
        raise ConfigError("data.path", f"cannot read {path} as an .npz file: {reason}") from None
    if isinstance(loaded, np.ndarray):
        raise ConfigError(
            "data.path",
            f"{path} is a single .npy array; save named arrays with np.savez(path, x=x, y=y).",
        )
    arrays = {}
    with loaded:
        for key in loaded.files:
            try:
                arrays[key] = loaded[key]
                if not isinstance(arrays[key], np.ndarray):  # a zip member that is no .npy
                    raise ValueError(key)
            except ValueError as error:
                if "allow_pickle" in str(error):
                    raise ConfigError("data.path", _objects(path, key)) from None
                raise ConfigError("data.path", f"{path}: the array {key} is damaged.") from None
            except (OSError, EOFError, zipfile.BadZipFile):
                raise ConfigError("data.path", f"{path}: the array {key} is damaged.") from None
    return arrays


def _check_npz(arrays: dict[str, np.ndarray], keys: tuple[str, ...], path: str) -> None:
    """Numbers, one example per row, as many targets as inputs, and train and test alike."""
    for key in keys:
        array = arrays[key]
        if array.dtype.kind not in PLAIN_KINDS:
            raise ConfigError(
                "data.path",
                f"{path}: the array {key} holds {array.dtype} values; save plain numeric "
                "arrays (class labels as integers 0, 1, ...).",
            )
        if array.ndim == 0 or len(array) == 0:
            raise ConfigError(
                "data.path", f"{path}: the array {key} holds no examples (shape {array.shape})."
            )
    for x_key, y_key in zip(keys[::2], keys[1::2], strict=True):
        if len(arrays[x_key]) != len(arrays[y_key]):
            raise ConfigError(
                "data.path",
                f"{path}: {x_key} has {len(arrays[x_key])} examples but {y_key} has "
                f"{len(arrays[y_key])}; give one target per example.",
            )
    if len(keys) == 4 and arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise ConfigError(
            "data.path",
            f"{path}: x_train examples have shape {arrays['x_train'].shape[1:]} but x_test "
            f"examples {arrays['x_test'].shape[1:]}; they must match.",
        )


def _load_npz_file(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    arrays = _plain_npz(str(user_path(data.path)))
    for keys in NPZ_LAYOUTS:
        if set(keys) <= arrays.keys():
            _check_npz(arrays, keys, data.path)
            break
    else:
        raise ConfigError(
            "data.path",
            f"{data.path} holds {sorted(arrays)}; expected x_train, y_train, x_test, y_test "
            "or x, y.",
        )
    if len(keys) == 4:
        return Dataset(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"])
    x_train, x_test, y_train, y_test = holdout_split(
        arrays["x"], arrays["y"], data.test_split, seed, stratify
    )
    return Dataset(x_train, y_train, x_test, y_test)


Loader = Callable[[str, DataConfig, int, bool], Dataset]


def _load_sequences(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """Time series and token sequences, for the rnn recipe: see `common.data.series`."""
    from common.data import series

    return series.LOADERS[name](name, data, seed, stratify)


DATASETS: dict[str, Loader] = {
    "breast_cancer": _load_sklearn,
    "digits": _load_sklearn,
    "wine": _load_sklearn,
    "iris": _load_sklearn,
    "diabetes": _load_sklearn,
    "imdb": _load_imdb,
    "reuters": _load_reuters,
    "boston_housing": _load_boston_housing,
    "mnist": _load_mnist,
    "fashion_mnist": _load_fashion_mnist,
    "cifar10": _load_cifar10,
    "csv": _load_csv,
    "npz": _load_npz_file,
    "image_folder": _load_folder,
    "text_folder": _load_folder,
    "seattle_weather": _load_sequences,
    "jena_climate": _load_sequences,
    "timeseries_csv": _load_sequences,
    "imdb_sequences": _load_sequences,
}
NEEDS_PATH = ("csv", "npz", "image_folder", "text_folder", "timeseries_csv")
# Time series: cut into windows by the rnn recipe, split in time order (`common.data.series`)
SERIES = ("seattle_weather", "jena_climate", "timeseries_csv")
STREAMING = ("image_folder", "text_folder")  # FileSets: decoded batch by batch, never whole
# `data.path` is a folder holding these files
FOLDERS = {"fashion_mnist": FASHION_MNIST_FILES, "cifar10": CIFAR10_FILES}


def user_path(text: str) -> Path:
    """`data.path` as a Path, `~` expanded; a path that cannot name a file (control
    characters, an unknown `~user`) is refused here, so later messages print it on one line."""
    if not text.isprintable():
        raise ConfigError(
            "data.path", f"{text!r} holds a line break or control character; fix the path."
        )
    try:
        return Path(text).expanduser()
    except RuntimeError:  # ~user of no known user
        raise ConfigError("data.path", f"{text}: cannot expand '~' (no such user).") from None


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
    elif path and not _exists(path):
        raise ConfigError("data.path", f"file not found: {path}")
    if data.dataset == "csv":
        header = tables.header(path)
        if data.target is None:
            raise ConfigError(
                "data.target", f"set the column of {path} to predict; columns: {header}."
            )
        for key, column in [
            ("data.target", data.target),
            *[("data.features", name) for name in data.features or []],
        ]:
            if column not in header:
                raise ConfigError(key, unknown_name(f"column in {path}:", column, header))
    if data.dataset in STREAMING and data.split != "holdout":
        raise ConfigError(
            "data.split",
            f"{data.split} needs the examples in memory; {data.dataset} streams from disk. "
            "Use data.split=holdout.",
        )
    if data.dataset in SERIES or data.dataset == "imdb_sequences":
        from common.data import series

        series.check_source(data)


def load(data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """Load `data.dataset`; `stratify` keeps class proportions in the test split."""
    check_source(data)
    return DATASETS[data.dataset](data.dataset, data, seed, stratify)
