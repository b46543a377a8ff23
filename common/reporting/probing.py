"""Reaching a trained classifier's layers and outputs, with no surgery on the model.

    for name, layer in walk(model): ...        # "backbone/conv5_block3_out" inside sub-models
    with recording([layer]) as recorded:       # that layer's output in one forward pass
        model(images, training=False)
    class_probabilities(model.predict_on_batch(images))   # one sigmoid unit -> two columns

For one eager forward pass, the chosen layers' `call` is wrapped to record their outputs; a
convolution inside a nested sub-model, such as a `keras.applications` backbone used as a layer,
is reached like any other, and the model is unchanged afterwards. The inspection pictures
(`common.reporting.inspect`) and `cookbook gradcam` (`common.serving.gradcam`) share these.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
from keras import layers

CONVOLUTIONS = (layers.Conv2D, layers.SeparableConv2D, layers.DepthwiseConv2D)


def get_layer(model: keras.Model, name: str) -> layers.Layer:
    """A layer by name, or by path through nested models: "backbone/conv5_block3_out"."""
    layer = model
    for part in name.split("/"):
        layer = layer.get_layer(part)
    return layer


def walk(model: keras.Model, prefix: str = "") -> Iterator[tuple[str, layers.Layer]]:
    """(path, layer) for every layer in graph order, nested models' layers in their place."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from walk(layer, f"{prefix}{layer.name}/")
        elif not isinstance(layer, layers.InputLayer):
            yield prefix + layer.name, layer


def output_shape(layer: layers.Layer) -> tuple | None:
    """The shape of the layer's one output in the model's graph (None: none, or several)."""
    try:
        output = layer.output
    except (AttributeError, ValueError):  # never called, or called more than once
        return None
    return None if isinstance(output, (list, tuple, dict)) else tuple(output.shape)


def rescales(model: keras.Model) -> bool:
    """Whether the model takes 0..255 pixels: its first layer is a Rescaling that brings them
    to [0, 1] or [-1, 1] (not, say, a backbone's Rescaling(255) of [0, 1] inputs)."""
    first = next((layer for _, layer in walk(model)), None)
    if not isinstance(first, layers.Rescaling):
        return False
    return bool(np.all(np.abs(np.asarray(first.scale, dtype="float64")) * 255.0 <= 2.0 + 1e-6))


@contextlib.contextmanager
def recording(targets: list[layers.Layer]) -> Iterator[list]:
    """While open, each target layer's first output in a forward pass is recorded into the
    yielded list (by position); the layers' own `call` is restored on exit."""
    recorded: list = [None] * len(targets)
    for position, layer in enumerate(targets):

        def call(*args, _call=layer.call, _position=position, **kwargs):
            output = _call(*args, **kwargs)
            if recorded[_position] is None:
                recorded[_position] = output
            return output

        layer.call = call
    try:
        yield recorded
    finally:
        for layer in targets:
            del layer.call


def class_probabilities(outputs: Any) -> np.ndarray:
    """(n, classes) probabilities; one sigmoid unit p becomes the two columns (1 - p, p)."""
    outputs = np.asarray(outputs, dtype="float32").reshape(len(outputs), -1)
    if outputs.shape[1] == 1:
        return np.concatenate([1.0 - outputs, outputs], axis=1)
    return outputs
