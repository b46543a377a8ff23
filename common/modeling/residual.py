"""ResNet v1 and v2 for small images, as "Advanced Deep Learning with Keras" (Atienza, ch. 2)
builds them for CIFAR-10, after He et al. 2015 ("Deep Residual Learning") and 2016 ("Identity
Mappings in Deep Residual Networks").

    v1  depth 6n+2: a 3x3 conv, then 3 stages of n basic blocks (two 3x3 convs, each
        conv-BN-ReLU; the sum is activated), 16/32/64 filters, stages 2 and 3 start with a
        stride-2 block whose shortcut is a strided 1x1 conv (the "transition")
    v2  depth 9n+2: pre-activation bottleneck blocks (BN-ReLU-conv 1x1, 3x3, 1x1; the sum is
        not activated), 64/128/256 output filters, a final BN-ReLU

All convolutions: he_normal initialisation and L2 weight decay (1e-4 in the book). The head
pools globally (the book's AveragePooling2D(8) is the same on 32x32 CIFAR images, and also
works on 8x8 digits). keras.layers only.
"""

from __future__ import annotations

import keras
from keras import layers


def resnet_layer(
    x,
    filters: int,
    name: str,
    kernel_size: int = 3,
    strides: int = 1,
    activation: str | None = "relu",
    batch_normalization: bool = True,
    conv_first: bool = True,
    l2: float = 1e-4,
):
    """Conv2D-BN-activation (v1) or BN-activation-Conv2D (v2, `conv_first=False`)."""
    conv = layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        kernel_initializer="he_normal",
        kernel_regularizer=keras.regularizers.L2(l2) if l2 else None,
        name=f"{name}_conv",
    )
    if conv_first:
        x = conv(x)
    if batch_normalization:
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_{activation}")(x)
    if not conv_first:
        x = conv(x)
    return x


def projection(x, filters: int, strides: int, name: str, l2: float):
    """The shortcut of a transition block: a strided 1x1 convolution, no BN, no activation."""
    return resnet_layer(
        x,
        filters,
        f"{name}_shortcut",
        kernel_size=1,
        strides=strides,
        activation=None,
        batch_normalization=False,
        l2=l2,
    )


def resnet_v1(x, depth: int, filters: int = 16, l2: float = 1e-4):
    blocks = (depth - 2) // 6
    x = resnet_layer(x, filters, "stem", l2=l2)
    for stage in range(3):
        for block in range(blocks):
            name = f"stage{stage + 1}_block{block + 1}"
            strides = 2 if stage > 0 and block == 0 else 1
            y = resnet_layer(x, filters, f"{name}_a", strides=strides, l2=l2)
            y = resnet_layer(y, filters, f"{name}_b", activation=None, l2=l2)
            if strides == 2:  # transition: match the shortcut's size and filters
                x = projection(x, filters, strides, name, l2)
            x = layers.Add(name=f"{name}_add")([x, y])
            x = layers.Activation("relu", name=f"{name}_out")(x)
        filters *= 2
    return x


def resnet_v2(x, depth: int, filters: int = 16, l2: float = 1e-4):
    blocks = (depth - 2) // 9
    x = resnet_layer(x, filters, "stem", l2=l2)
    filters_in = filters
    for stage in range(3):
        for block in range(blocks):
            name = f"stage{stage + 1}_block{block + 1}"
            activation, batch_normalization, strides = "relu", True, 1
            if stage == 0:
                filters_out = filters_in * 4
                if block == 0:  # the stem already activated
                    activation, batch_normalization = None, False
            else:
                filters_out = filters_in * 2
                if block == 0:
                    strides = 2
            y = resnet_layer(
                x,
                filters_in,
                f"{name}_a",
                kernel_size=1,
                strides=strides,
                activation=activation,
                batch_normalization=batch_normalization,
                conv_first=False,
                l2=l2,
            )
            y = resnet_layer(y, filters_in, f"{name}_b", conv_first=False, l2=l2)
            y = resnet_layer(y, filters_out, f"{name}_c", kernel_size=1, conv_first=False, l2=l2)
            if block == 0:  # transition: match the shortcut's size and filters
                x = projection(x, filters_out, strides, name, l2)
            x = layers.Add(name=f"{name}_add")([x, y])
        filters_in = filters_out
    x = layers.BatchNormalization(name="final_bn")(x)
    return layers.Activation("relu", name="final_relu")(x)
