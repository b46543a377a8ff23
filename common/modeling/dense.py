"""Reusable model blocks for the Functional API: normalised inputs and regularised dense stacks.

Only `keras.layers` and `keras.ops` live here, so every recipe's model also builds and trains
on the JAX backend. Normalisation statistics are learned from the training split only
(`Normalization.adapt`), and travel inside the saved model.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from common.modeling.options import DenseStackOptions


def tabular_input(
    x_train: np.ndarray, normalize: bool = True, name: str = "features"
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """An Input for rows of features shaped like `x_train`, standardised or as they are.

    Statistics come from the training rows only. A feature that is constant there keeps unit
    variance (as scikit-learn's StandardScaler does): Normalization would otherwise divide it
    by 1e-7, and one unseen non-zero value would reach the network as ~1e6.
    """
    inputs = keras.Input(shape=x_train.shape[1:], name=name)
    if not normalize:  # e.g. multi-hot text or pixels already in [0, 1]
        return inputs, inputs
    variance = np.var(x_train, axis=0, dtype="float64")
    normalizer = layers.Normalization(
        mean=np.mean(x_train, axis=0, dtype="float64").astype("float32"),
        variance=np.where(variance > 0, variance, 1.0).astype("float32"),
        name="normalization",
    )
    return inputs, normalizer(inputs)


def regularizer(l1: float, l2: float) -> keras.regularizers.Regularizer | None:
    return keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None


def dense_stack(x: keras.KerasTensor, options: DenseStackOptions) -> keras.KerasTensor:
    """Dense -> [BatchNorm] -> activation -> [Dropout], once per entry of `options.units`,
    configured by the model keys the tabular recipes share: units, activation, dropout, l1,
    l2, batch_norm."""
    for index, width in enumerate(options.units, start=1):
        x = layers.Dense(
            width,
            use_bias=not options.batch_norm,
            kernel_regularizer=regularizer(options.l1, options.l2),
            name=f"dense_{index}",
        )(x)
        if options.batch_norm:
            x = layers.BatchNormalization(name=f"batch_norm_{index}")(x)
        x = layers.Activation(options.activation, name=f"{options.activation}_{index}")(x)
        if options.dropout:
            x = layers.Dropout(options.dropout, name=f"dropout_{index}")(x)
    return x
