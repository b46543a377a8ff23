"""The convolution stack the image recipes share, and the image-drawing output layer.

    x = conv.conv_stack(x, [16, 32], 3, name="conv")                     # halve, halve
    x = conv.conv_stack(x, [32, 16], 3, name="up", transpose=True)       # double, double

One `Conv2D` (or `Conv2DTranspose`) with "same" padding per entry of `filters`, strided by 2
unless told otherwise, so each layer halves (or doubles) the height and width: the DCGAN way
of resizing, with no pooling (the autoencoder, both GAN players). With `strides=1` and a
pooling layer after each call it is a VGG-style block (the convnet). What comes around each
convolution — normalisation, activation, dropout, a minibatch statistic — the caller names and
passes in `before` and `after`, so every recipe keeps its own layers and layer names.
`image_output` is the sigmoid-pixel last layer of the networks that draw images (the
autoencoder's decoder, the GAN's generator).

Only `keras.layers` live here, so every model built with it also trains on the JAX backend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
from keras import layers

# (index from 1, convolution's name) -> the layers to apply, created when called.
Around = Callable[[int, str], Sequence[layers.Layer]]


def conv_stack(
    x: keras.KerasTensor,
    filters: Sequence[int],
    kernel_size: int,
    *,
    name: str,
    numbered: bool = True,
    strides: int = 2,
    transpose: bool = False,
    activation: str | None = None,
    use_bias: bool = True,
    before: Around | None = None,
    after: Around | None = None,
) -> keras.KerasTensor:
    """Apply `before(index, conv_name)`, the convolution named `{name}_{index}` (just `name`
    when not `numbered`, for a single layer), then `after(index, conv_name)`, once per entry
    of `filters`. `activation` goes inside the convolution layer itself; an activation layer
    of its own goes in `after`. Layers are created in the order they are applied, so seeded
    initial weights do not depend on how the stack is written."""
    if not numbered and len(filters) > 1:
        raise ValueError(f"{len(filters)} convolutions cannot all be named {name!r}")
    convolution = layers.Conv2DTranspose if transpose else layers.Conv2D
    for index, width in enumerate(filters, start=1):
        conv_name = f"{name}_{index}" if numbered else name
        for layer in before(index, conv_name) if before else ():
            x = layer(x)
        x = convolution(
            width,
            kernel_size,
            strides=strides,
            padding="same",
            activation=activation,
            use_bias=use_bias,
            name=conv_name,
        )(x)
        for layer in after(index, conv_name) if after else ():
            x = layer(x)
    return x


def image_output(x: keras.KerasTensor, channels: int, kernel_size: int) -> keras.KerasTensor:
    """The last layer of a network that draws images (a decoder, a generator): a Conv2D to
    `channels` sigmoid pixels in [0, 1], the range of the data, named "image" and kept in
    float32 so that mixed precision leaves the loss stable."""
    return layers.Conv2D(
        channels,
        kernel_size,
        padding="same",
        activation="sigmoid",
        dtype="float32",
        name="image",
    )(x)
