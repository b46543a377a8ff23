"""The U-Net (Ronneberger et al., 2015): an encoder that halves the image `depth` times, a
decoder that doubles it back, and skip connections that hand each decoder level the encoder's
features of the same size.

    x = unet.unet(x, depth=3, filters=16)    # (h, w, c) -> (h, w, filters) features

Why the skips: the encoder's pooled features know *what* is in a region but have lost *where*
its edges are; concatenating the full-resolution features of the way down gives the decoder
both, so masks come out sharp. Each level is two 3x3 convolutions (BatchNorm, ReLU), filters
doubling per level down and halving up, as in the paper and the U-Net of deeplearning.ai's
convolutional course; the way up is a strided `Conv2DTranspose` (learned) or `UpSampling2D`
(bilinear, then a convolution), by `upsampling`. The caller adds the per-pixel head.

Only `keras.layers`, so it also trains on the JAX backend.
"""

from __future__ import annotations

import keras
from keras import layers

UPSAMPLINGS = ("transpose", "bilinear")


def double_conv(
    x: keras.KerasTensor, filters: int, name: str, batch_norm: bool = True
) -> keras.KerasTensor:
    """Two 3x3 "same" convolutions, each followed by [BatchNorm and] ReLU."""
    for index in (1, 2):
        x = layers.Conv2D(
            filters, 3, padding="same", use_bias=not batch_norm, name=f"{name}_conv_{index}"
        )(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"{name}_bn_{index}")(x)
        x = layers.Activation("relu", name=f"{name}_relu_{index}")(x)
    return x


def unet(
    x: keras.KerasTensor,
    depth: int,
    filters: int,
    *,
    upsampling: str = "transpose",
    batch_norm: bool = True,
    dropout: float = 0.0,
) -> keras.KerasTensor:
    """U-Net features for every pixel of `x`, whose height and width must be divisible by
    2**depth. `filters` at the first level, doubled per level down to the bottleneck;
    `dropout` before the bottleneck."""
    skips = []
    for level in range(depth):
        x = double_conv(x, filters * 2**level, f"down_{level + 1}", batch_norm)
        skips.append(x)
        x = layers.MaxPooling2D(name=f"down_{level + 1}_pool")(x)
    if dropout:
        x = layers.Dropout(dropout, name="bottleneck_dropout")(x)
    x = double_conv(x, filters * 2**depth, "bottleneck", batch_norm)
    for level in reversed(range(depth)):
        width, name = filters * 2**level, f"up_{level + 1}"
        if upsampling == "transpose":
            x = layers.Conv2DTranspose(width, 2, strides=2, padding="same", name=f"{name}_up")(x)
        else:
            x = layers.UpSampling2D(interpolation="bilinear", name=f"{name}_up")(x)
        x = layers.Concatenate(name=f"{name}_skip")([x, skips[level]])
        x = double_conv(x, width, name, batch_norm)
    return x
