"""The Keras datasets (imdb, reuters, boston_housing, mnist, fashion_mnist, cifar10), read by
the same parsers whether Keras downloaded the file or `data.path` names a local copy, into the
arrays `keras.datasets.*.load_data()` returns: the same examples, order and encoding.

imdb and reuters come as multi-hot rows (the "Deep Learning with Python" encoding); images as
floats in [0, 1], as images or flat rows (`data.image_layout`). A file that is not the
dataset's is named as a `ConfigError` on `data.path`, never as a NumPy error later.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from common.config.schema import DataConfig
from common.data.dataset import Dataset
from common.data.keras_files import (
    KERAS_ORIGIN,
    KERAS_SEED,
    keras_file,
    keras_word_indices,
    read_npz,
    shuffled_together,
)
from common.data.paths import user_path
from common.errors import ConfigError


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


def _split_at(fraction: float, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    cut = int(len(arrays[0]) * (1 - fraction))
    return tuple(part for array in arrays for part in (array[:cut], array[cut:]))


def load_imdb(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    arrays = read_npz(keras_file("imdb", data), ("x_train", "y_train", "x_test", "y_test"))
    rng = np.random.RandomState(KERAS_SEED)
    x_train, y_train = shuffled_together(rng, arrays["x_train"], arrays["y_train"])
    x_test, y_test = shuffled_together(rng, arrays["x_test"], arrays["y_test"])
    return Dataset(
        multi_hot(keras_word_indices(x_train, data.num_words), data.num_words),
        y_train.astype("int32"),
        multi_hot(keras_word_indices(x_test, data.num_words), data.num_words),
        y_test.astype("int32"),
        ["negative", "positive"],
    )


def load_reuters(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    arrays = read_npz(keras_file("reuters", data), ("x", "y"))
    x, y = shuffled_together(np.random.RandomState(KERAS_SEED), arrays["x"], arrays["y"])
    x = multi_hot(keras_word_indices(x, data.num_words), data.num_words)
    x_train, x_test, y_train, y_test = _split_at(data.test_split, x, y.astype("int32"))
    num_topics = int(y.max()) + 1
    return Dataset(x_train, y_train, x_test, y_test, [f"topic_{i}" for i in range(num_topics)])


def load_boston_housing(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    path = keras_file("boston_housing", data)
    arrays = read_npz(path, ("x", "y"))
    x = _as_numbers(arrays["x"], "float32", "x", path)
    y = _as_numbers(arrays["y"], "float32", "y", path)
    x, y = shuffled_together(np.random.RandomState(KERAS_SEED), x, y)
    x_train, x_test, y_train, y_test = _split_at(data.test_split, x, y)
    return Dataset(x_train, y_train, x_test, y_test)


def _pixels(x: np.ndarray, data: DataConfig) -> np.ndarray:
    """uint8 28x28 images -> floats in [0, 1], as (28, 28, 1) images or 784 flat features."""
    x = x.astype("float32") / 255.0
    return x[..., None] if data.image_layout == "image" else x.reshape(len(x), -1)


def load_mnist(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
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
    try:
        with gzip.open(path, "rb") as file:
            return np.frombuffer(file.read(), np.uint8, offset=offset)
    except (OSError, EOFError, ValueError) as error:
        message = f"cannot read {path} as a gzipped IDX file: {error}"
        raise ConfigError("data.path", message) from None


def load_fashion_mnist(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """Four gzipped IDX files, as keras.datasets.fashion_mnist reads them: downloaded by
    `keras.utils.get_file`, or from the folder `data.path`."""
    if data.path:
        paths = [str(user_path(data.path) / filename) for filename in FASHION_MNIST_FILES]
    else:
        import keras  # lazy: config checks import this module without TensorFlow

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


def load_cifar10(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """The CIFAR-10 python batches (32x32 RGB), as keras.datasets.cifar10 reads them: from
    Keras' download (extracted), or from the folder `data.path` holding the six batch files.
    Each batch is read by Keras' `load_batch`, whose unpickler rebuilds NumPy arrays only."""
    from keras.src.datasets.cifar import load_batch  # lazy: config checks import this

    if data.path:
        folder = user_path(data.path)
    else:
        import keras  # lazy: config checks import this module without TensorFlow

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
