"""The regularised dense network the tabular recipes share, for the Functional API.

    model = dense.tabular_model(split, options, "binary", name="binary_classifier")

`tabular_model` is the whole of the binary, multiclass and regression recipes' networks: the
raw-feature input (`common.modeling.preprocessing`), `dense_stack`, and the task's head
(`common.modeling.tasks`), regularised like the stack. The recipes differ only in their task,
so each says which, and what it teaches.

Only `keras.layers` live here, so every recipe's model also builds and trains on the JAX
backend.
"""

from __future__ import annotations

import keras
from keras import layers

from common.data.splits import Split
from common.modeling import preprocessing, tasks
from common.modeling.options import DenseStackOptions


def regularizer(l1: float, l2: float) -> keras.regularizers.Regularizer | None:
    return keras.regularizers.L1L2(l1=l1, l2=l2) if (l1 or l2) else None


def dense_stack(x: keras.KerasTensor, options: DenseStackOptions) -> keras.KerasTensor:
    """Dense -> [BatchNorm] -> activation -> [Dropout], once per entry of `options.units`,
    configured by the model keys the tabular recipes share: units, activation, dropout, l1,
    l2, batch_norm, input_noise. Image-shaped features are flattened first."""
    if len(x.shape) > 2:
        x = layers.Flatten(name="flatten")(x)
    if options.input_noise and "float" in str(x.dtype):  # not on a text's integer word counts
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


def tabular_model(split: Split, options: DenseStackOptions, task: str, name: str) -> keras.Model:
    """Raw features [-> Normalization] -> `dense_stack` -> the `task`'s head (`tasks.head`,
    its bias started at the baseline's prediction from `split.y_train`). With `units: []` the
    head is the whole model: a regularised logistic, softmax or ridge regression."""
    inputs, x = preprocessing.model_input(split.x_train, normalize=options.normalize)
    x = dense_stack(x, options)
    outputs = tasks.head(
        x,
        task,
        split.num_classes,
        targets=split.y_train,
        kernel_regularizer=regularizer(options.l1, options.l2),
    )
    return keras.Model(inputs, outputs, name=name)
