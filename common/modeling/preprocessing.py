"""Raw examples in, features out: the preprocessing that lives inside every saved model.

    inputs, features = model_input(split.x_train)

The first layers of a model take what a user has — rows of numbers, a table with gaps and
text categories, image pixels as loaded from files, raw strings — and turn them into features,
with every statistic and vocabulary learned from the training split only. Because this is part
of the model, `best.keras`, the SavedModel export and `cookbook predict` all take raw inputs.

    arrays      Normalization (constant features keep unit variance), or as they are
    table       per column, as keras.io's "Structured data classification with FeatureSpace":
                numbers: training-mean imputation + a was-missing flag + Normalization;
                categories: StringLookup, one-hot (an Embedding past `ONE_HOT_LIMIT` values);
                gaps and unseen values go to the out-of-vocabulary index
    images      pixels from files (0..255) rescaled to [0, 1]; in-memory images as they are
    text        TextVectorization: multi-hot bag of words and bigrams, or integer sequences
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from common.data.columns import input_names
from common.data.files import FileSet
from common.data.stream import CsvPart, NumericStats
from common.errors import UserError

ONE_HOT_LIMIT = 32  # categorical columns with more values are embedded instead
EMBEDDING_DIM = 8


@keras.saving.register_keras_serializable(package="cookbook")
class Impute(layers.Layer):
    """Fills NaN with a constant learned from the training split (its mean) and, with
    `indicator`, appends a was-missing flag. keras.ops only: TensorFlow and JAX alike."""

    def __init__(self, value: float = 0.0, indicator: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.value = float(value)
        self.indicator = indicator

    def call(self, x):
        missing = ops.isnan(x)
        filled = ops.where(missing, ops.full_like(x, self.value), x)
        if not self.indicator:
            return filled
        return ops.concatenate([filled, ops.cast(missing, x.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] * (2 if self.indicator else 1))

    def get_config(self):
        return {**super().get_config(), "value": self.value, "indicator": self.indicator}


@keras.saving.register_keras_serializable(package="cookbook")
class TableFeatures(layers.Concatenate):
    """The encoded columns side by side, and the table's column names as the user wrote them:
    `columns` maps each input name (safe, unique: `common.data.columns`) to its column, so
    `cookbook predict` and the exports' columns.json take and name the user's columns."""

    def __init__(self, columns: dict[str, str] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.columns = dict(columns or {})

    def get_config(self):
        return {**super().get_config(), "columns": self.columns}


def table_columns(model: keras.Model) -> dict[str, str]:
    """{column as the user wrote it: the model's input name} of a table model (a model saved
    before inputs had safe names: its input names are the columns)."""
    for layer in model.layers:
        if isinstance(layer, TableFeatures) and layer.columns:
            return {column: name for name, column in layer.columns.items()}
        if isinstance(layer, keras.Model) and (inner := table_columns(layer)):
            return inner  # an ensemble's member (`common.training.ensemble`)
    return {name: name for name in model.input} if isinstance(model.input, dict) else {}


def standardizer(x_train: np.ndarray, name: str = "normalization") -> layers.Normalization:
    """Normalization from training statistics; a feature constant there keeps unit variance
    (as scikit-learn's StandardScaler does): Normalization would otherwise divide it by 1e-7,
    and one unseen non-zero value would reach the network as ~1e6."""
    variance = np.nanvar(x_train, axis=0, dtype="float64")
    return layers.Normalization(
        mean=np.nanmean(x_train, axis=0, dtype="float64").astype("float32"),
        variance=np.where(variance > 0, variance, 1.0).astype("float32"),
        name=name,
    )


def array_input(x_train: np.ndarray, normalize: bool, name: str = "features"):
    inputs = keras.Input(shape=x_train.shape[1:], name=name)
    if not normalize:  # e.g. multi-hot text or pixels already in [0, 1]
        return inputs, inputs
    return inputs, standardizer(x_train)(inputs)


def numeric_column(name: str, values: np.ndarray):
    """Imputed (with a was-missing flag when training had gaps), then standardised; `name`:
    the column's input name."""
    inputs = keras.Input(shape=(1,), name=name, dtype="float32")
    gaps = bool(np.isnan(values).any())
    mean = float(np.nanmean(values)) if not np.isnan(values).all() else 0.0
    x = Impute(mean, indicator=gaps, name=f"{name}_impute")(inputs)
    filled = np.where(np.isnan(values), mean, values)[:, None]
    statistics = np.concatenate([filled, np.isnan(values)[:, None]], axis=1) if gaps else filled
    return inputs, standardizer(statistics.astype("float32"), name=f"{name}_normalize")(x)


def numeric_from_statistics(name: str, stats: NumericStats):
    """`numeric_column` from a streaming pass's statistics (`common.data.stream`): the same
    layers, with the filled column's and the was-missing flag's mean and variance computed
    from the count, mean, variance and gaps instead of the values."""
    inputs = keras.Input(shape=(1,), name=name, dtype="float32")
    total = max(stats.count + stats.gaps, 1)
    mean, variance = [stats.mean], [stats.variance * stats.count / total]  # gaps sit at the mean
    if stats.gaps:
        missing = stats.gaps / total
        mean, variance = [*mean, missing], [*variance, missing * (1 - missing)]
    x = Impute(stats.mean, indicator=bool(stats.gaps), name=f"{name}_impute")(inputs)
    normalize = layers.Normalization(
        mean=np.asarray(mean, "float32"),
        variance=np.where(np.asarray(variance) > 0, variance, 1.0).astype("float32"),
        name=f"{name}_normalize",
    )
    return inputs, normalize(x)


def stream_input(x_train: CsvPart):
    """`table_input` for a CSV that streams: adapted from the pass's training statistics
    and vocabularies, never from the table."""
    stream, inputs, encoded = x_train.stream, {}, []
    names = input_names(stream.kinds)
    for column, name in names.items():
        if stream.kinds[column] == "numeric":
            inputs[name], feature = numeric_from_statistics(name, stream.numeric[column])
        else:
            inputs[name], feature = categorical_column(name, stream.vocabularies[column])
        encoded.append(feature)
    columns = {name: column for column, name in names.items()}
    return inputs, TableFeatures(columns, name="features")(encoded)


def categorical_column(name: str, values):
    """StringLookup over the training values (or a pass's vocabulary); "" (a gap) and unseen
    values are out of vocabulary. One-hot, or an Embedding when there are many values."""
    inputs = keras.Input(shape=(1,), name=name, dtype="string")
    vocabulary = sorted({str(v) for v in values} - {""})
    if len(vocabulary) <= ONE_HOT_LIMIT:
        lookup = layers.StringLookup(
            vocabulary=vocabulary, output_mode="one_hot", name=f"{name}_lookup"
        )
        return inputs, lookup(inputs)
    lookup = layers.StringLookup(vocabulary=vocabulary, name=f"{name}_lookup")
    x = layers.Embedding(len(vocabulary) + 1, EMBEDDING_DIM, name=f"{name}_embedding")(
        lookup(inputs)
    )
    return inputs, layers.Flatten(name=f"{name}_flatten")(x)


def table_input(x_train) -> tuple[dict[str, keras.KerasTensor], keras.KerasTensor]:
    """One input per column of a DataFrame, by the column's input name, encoded and
    concatenated by `TableFeatures`, which keeps the user's names."""
    inputs, encoded = {}, []
    names = input_names(x_train.columns)
    for column, name in names.items():
        values = x_train[column].to_numpy()
        if x_train[column].dtype.kind == "f":
            inputs[name], feature = numeric_column(name, values.astype("float32"))
        else:
            inputs[name], feature = categorical_column(name, values)
        encoded.append(feature)
    columns = {name: column for column, name in names.items()}
    return inputs, TableFeatures(columns, name="features")(encoded)


def text_input(
    x_train: FileSet,
    vocabulary_size: int,
    output_mode: str = "multi_hot",
    sequence_length: int | None = None,
):
    """Raw strings -> TextVectorization adapted on the training texts: a multi-hot bag of
    words and bigrams ("Deep Learning with Python", ch. 11), or integer sequences for an
    Embedding (`output_mode="int"`).

    The layer is made with the adapted vocabulary, so that Keras keeps it in the model's
    config (JSON, exact for any text) rather than in a vocabulary file: Keras writes that file
    one token per line and reads it back split at every line boundary Python knows (\x1c,
    \x85, U+2028, ...), dropping an empty last token, so a text holding one, or a NUL byte
    (standardised to ""), made a best.keras that saved but did not load."""
    import tensorflow as tf  # lazy: only text adapts through tf.data; JAX never loads it

    settings = {
        "max_tokens": vocabulary_size,
        "output_mode": output_mode,
        "ngrams": 2 if output_mode == "multi_hot" else None,
        "output_sequence_length": sequence_length if output_mode == "int" else None,
    }
    adapting = layers.TextVectorization(**settings)
    texts = tf.data.Dataset.from_tensor_slices(x_train.paths).map(x_train.load).batch(256)
    adapting.adapt(texts)
    tokens = [str(t) for t in adapting.get_vocabulary(include_special_tokens=False) if t]
    if not tokens:
        raise UserError(
            f"the {len(x_train)} training texts hold no words to learn a vocabulary from (each "
            "is empty or only symbols); bring texts with words in them."
        )
    inputs = keras.Input(shape=(1,), dtype="string", name="text")
    vectorizer = layers.TextVectorization(**settings, vocabulary=tokens, name="vectorize")
    return inputs, vectorizer(inputs)


def image_input(x_train):
    """Images from files arrive as 0..255 pixels and are rescaled here, so the model takes
    files as loaded; in-memory images are already in [0, 1]."""
    inputs = keras.Input(shape=x_train.shape[1:], name="image")
    if isinstance(x_train, FileSet):
        return inputs, layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    return inputs, inputs


def model_input(x_train, normalize: bool = True):
    """(inputs, features) for whatever the training examples are."""
    if hasattr(x_train, "iloc"):
        return table_input(x_train)
    if isinstance(x_train, CsvPart):
        return stream_input(x_train)
    if isinstance(x_train, FileSet):
        if x_train.kind == "text":
            return text_input(x_train, x_train.vocabulary_size)
        return image_input(x_train)
    return array_input(x_train, normalize)
