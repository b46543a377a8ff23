"""The regularised dense stack the tabular recipes share, for the Functional API.

Only `keras.layers` live here, so every recipe's model also builds and trains on the JAX
backend. What comes before it — normalisation, table encoding, text vectorisation — is
`common.modeling.inputs`.
"""

from __future__ import annotations

import keras
from keras import layers

from common.modeling.options import DenseStackOptions


def regularizer(l1: float, l2: float) -> keras.regularizers.Regularizer | None:
    return keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None


def dense_stack(x: keras.KerasTensor, options: DenseStackOptions) -> keras.KerasTensor:
    """Dense -> [BatchNorm] -> activation -> [Dropout], once per entry of `options.units`,
    configured by the model keys the tabular recipes share: units, activation, dropout, l1,
    l2, batch_norm, input_noise. Image-shaped features are flattened first."""
    if len(x.shape) > 2:
        x = layers.Flatten(name="flatten")(x)
    if options.input_noise:
        x = layers.GaussianNoise(options.input_noise, name="input_noise")(x)
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
