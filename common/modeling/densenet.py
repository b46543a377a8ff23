"""DenseNet-BC for small images, as "Advanced Deep Learning with Keras" (Atienza, ch. 2) builds
it for CIFAR-10, after Huang et al. 2017 ("Densely Connected Convolutional Networks").

Every layer of a dense block sees the feature maps of all layers before it (concatenated) and
adds `growth_rate` new ones. "B": each layer is a bottleneck, BN-ReLU-Conv1x1 (4 x growth_rate
filters) then BN-ReLU-Conv3x3 (growth_rate). "C": between blocks a transition,
BN-Conv1x1-AveragePooling, compresses the maps by `compression` (0.5). Depth 100 with 3 blocks
is 16 bottleneck layers per block: (depth - 4) / (2 x 3). keras.layers only.
"""

from __future__ import annotations

from keras import layers


def bottleneck(x, growth_rate: int, dropout: float, name: str):
    y = layers.BatchNormalization(name=f"{name}_bn1")(x)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv2D(
        4 * growth_rate, 1, padding="same", kernel_initializer="he_normal", name=f"{name}_conv1"
    )(y)
    if dropout:
        y = layers.Dropout(dropout, name=f"{name}_drop1")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    y = layers.Activation("relu", name=f"{name}_relu2")(y)
    y = layers.Conv2D(
        growth_rate, 3, padding="same", kernel_initializer="he_normal", name=f"{name}_conv2"
    )(y)
    if dropout:
        y = layers.Dropout(dropout, name=f"{name}_drop2")(y)
    return layers.Concatenate(name=f"{name}_concat")([x, y])


def transition(x, filters: int, dropout: float, name: str):
    """BN-Conv1x1-AveragePooling: fewer maps (compression), half the size."""
    y = layers.BatchNormalization(name=f"{name}_bn")(x)
    y = layers.Conv2D(
        filters, 1, padding="same", kernel_initializer="he_normal", name=f"{name}_conv"
    )(y)
    if dropout:
        y = layers.Dropout(dropout, name=f"{name}_drop")(y)
    return layers.AveragePooling2D(2, name=f"{name}_pool")(y)


def densenet_bc(
    inputs,
    depth: int = 100,
    growth_rate: int = 12,
    blocks: int = 3,
    compression: float = 0.5,
    dropout: float = 0.0,
):
    layers_per_block = (depth - 4) // (2 * blocks)
    filters = 2 * growth_rate
    x = layers.BatchNormalization(name="stem_bn")(inputs)
    x = layers.Activation("relu", name="stem_relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", kernel_initializer="he_normal", name="stem_conv")(
        x
    )
    x = layers.Concatenate(name="stem_concat")([inputs, x])
    for block in range(blocks):
        for index in range(layers_per_block):
            x = bottleneck(x, growth_rate, dropout, f"block{block + 1}_layer{index + 1}")
        if block == blocks - 1:
            break
        filters = int((filters + layers_per_block * growth_rate) * compression)
        x = transition(x, filters, dropout, f"transition{block + 1}")
    return x
