"""The files keras.datasets downloads, read as Keras reads them: shared by the multi-hot Keras
sets (`common.data.keras_sets`) and the rnn recipe's word sequences (`common.data.sequences`),
which read the same imdb.npz two ways.

A file comes from `data.path`, or from `keras.utils.get_file`, which verifies Keras' own
checksum. Ragged arrays go through Keras' restricted unpickler, which rebuilds NumPy arrays and
nothing else. Shuffling uses Keras' seed and the word indices Keras' offsets, so that the
examples, their order and their encoding match `keras.datasets.*.load_data()`.
"""

from __future__ import annotations

import pickle
import zipfile

import numpy as np

from common.config.schema import DataConfig
from common.data.paths import user_path
from common.errors import ConfigError

KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
KERAS_SEED = 113  # the shuffle seed keras.datasets uses, so splits match theirs

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
    import keras  # lazy: config checks import this module without TensorFlow

    filename, file_hash = KERAS_FILES[name]
    return keras.utils.get_file(filename, origin=KERAS_ORIGIN + filename, file_hash=file_hash)


def read_npz(path: str, keys: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Arrays of an .npz; ragged (object) arrays through Keras' restricted unpickler, which
    rebuilds NumPy arrays of plain Python values and refuses anything else. `keys`: the
    arrays the dataset needs, each named if missing."""
    from keras.src.datasets import npz_utils  # lazy: config checks import this module

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


def shuffled_together(rng: np.random.RandomState, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """`arrays` (inputs and their targets) in one random order, as keras.datasets shuffles
    them with `np.random.RandomState(KERAS_SEED)`."""
    order = np.arange(len(arrays[0]))
    rng.shuffle(order)
    return tuple(array[order] for array in arrays)


def keras_word_indices(sequences: np.ndarray, num_words: int) -> list[np.ndarray]:
    """Word indices in Keras' encoding: start_char=1, oov_char=2 (for every index at or past
    `num_words`), word indices offset by index_from=3."""
    encoded = []
    for sequence in sequences:
        words = np.asarray(sequence, dtype="int64") + 3
        words[words >= num_words] = 2
        encoded.append(np.concatenate([[1], words]))
    return encoded
