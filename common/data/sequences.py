"""Token sequences for the rnn recipe: words in order, not the multi-hot bags of
`common.data.keras_sets`, so that an Embedding and a recurrent layer see word order.

    imdb_sequences    keras.datasets' imdb.npz as padded word-index sequences
    text_folder       (with the rnn recipe) a folder's texts, cut to `data.sequence_length`
                      tokens by the TextVectorization inside the model: `TextSequences`
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from common.config.schema import DataConfig
from common.data import files
from common.data.dataset import Dataset
from common.data.keras_files import (
    KERAS_SEED,
    keras_file,
    keras_word_indices,
    read_npz,
    shuffled_together,
)
from common.errors import ConfigError


def check_imdb_sequences(data: DataConfig) -> None:
    """imdb_sequences pads or cuts to a length that must be given."""
    if data.sequence_length is None:
        raise ConfigError(
            "data.sequence_length",
            "imdb_sequences pads or cuts every review to this many words; set it, e.g. 200.",
        )


@dataclass(frozen=True)
class TextSequences(files.FileSet):
    """A text folder's files, to be read as word sequences of `sequence_length` tokens (the
    TextVectorization inside the model pads or cuts them); streams like any FileSet."""

    sequence_length: int | None = None

    @classmethod
    def of(cls, texts: files.FileSet, sequence_length: int | None) -> TextSequences:
        given = {field.name: getattr(texts, field.name) for field in fields(files.FileSet)}
        return cls(**given, sequence_length=sequence_length)


def load_imdb_sequences(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """IMDB reviews as word indices (Keras' encoding: 1 starts a review, 2 is out of
    vocabulary, 0 pads), padded or cut at the end to `data.sequence_length` words, so that an
    Embedding with `mask_zero=True` skips the padding. An index that no training review uses
    is out of vocabulary in the test reviews too, as TextVectorization would treat it."""
    import keras  # lazy: config checks import this module without TensorFlow

    arrays = read_npz(keras_file("imdb", data))
    rng = np.random.RandomState(KERAS_SEED)
    x_train, y_train = shuffled_together(rng, arrays["x_train"], arrays["y_train"])
    x_test, y_test = shuffled_together(rng, arrays["x_test"], arrays["y_test"])

    def padded(reviews: np.ndarray) -> np.ndarray:
        words = keras_word_indices(reviews, data.num_words)
        return keras.utils.pad_sequences(
            words, maxlen=data.sequence_length, dtype="int32", padding="post", truncating="post"
        )

    x_train, x_test = padded(x_train), padded(x_test)
    x_test[x_test > x_train.max()] = 2
    return Dataset(
        x_train,
        y_train.astype("int32"),
        x_test,
        y_test.astype("int32"),
        ["negative", "positive"],
    )
