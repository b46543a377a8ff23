"""Grad-CAM: where in an image the evidence for a class lies, from a trained convnet.

    heatmap = gradcam_heatmap(model, image)          # (height, width) in [0, 1]
    picture = gradcam_overlay(image, heatmap)        # the jet heatmap blended over the image
    gradcam_grid(model, images, labels, class_names, path)

keras.io's "Grad-CAM class activation visualization" (F. Chollet; Selvaraju et al., 2017):
the last convolution's channels weighted by the mean gradient of the class score, summed,
ReLU. For the class scores to be logits, the head's softmax or sigmoid is switched off for the
pass, as keras.io does, and restored after. Gradients use `tf.GradientTape`: TensorFlow
backend.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import keras
import matplotlib
import numpy as np
import tensorflow as tf
from keras import layers

from common.reporting.figures import displayable, picture_grid
from common.reporting.probing import (
    CONVOLUTIONS,
    class_probabilities,
    get_layer,
    output_shape,
    recording,
    walk,
)


def last_conv_layer(model: keras.Model) -> str:
    """The layer Grad-CAM reads: the last convolution, or the last layer after it whose
    output is a 4-D feature map of the same size (its batch norm or activation, a residual
    add) — the map just before global pooling or flattening; a pooling layer that shrinks it
    is not taken. Searches inside nested sub-models: their layers are named "sub/layer"."""
    found, size = None, None
    for name, layer in walk(model):
        shape = output_shape(layer)
        if shape is None or len(shape) != 4:
            continue
        if isinstance(layer, CONVOLUTIONS) or (found and shape[1:3] == size):
            found, size = name, shape[1:3]
    if found is None:
        raise ValueError(f"model {model.name!r} has no 2-D convolution to compute Grad-CAM on.")
    return found


def gradcam_heatmap(
    model: keras.Model,
    image: np.ndarray,
    class_index: int | None = None,
    layer_name: str | None = None,
) -> np.ndarray:
    """Grad-CAM of one `image` (as the model takes it) for `class_index` (default: the
    predicted class), on `layer_name` (default: `last_conv_layer`). Returns a
    (height, width) map in [0, 1], resized to the image; all zeros when no part of the
    feature map speaks for the class."""
    layer = get_layer(model, layer_name or last_conv_layer(model))
    classes = None if class_index is None else [class_index]
    return _gradcam(model, layer, np.asarray(image, dtype="float32")[None], classes)[0]


def gradcam_overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4) -> np.ndarray:
    """The heatmap in the jet colormap, resized to `image` and blended over it:
    (height, width, 3) in [0, 1]. `image` may hold 0..255 or [0, 1] pixels, gray or colour."""
    picture = displayable(image)
    if picture.ndim == 2:
        picture = np.repeat(picture[..., None], 3, axis=-1)
    heatmap = np.asarray(heatmap, dtype="float32")
    if heatmap.shape != picture.shape[:2]:
        heatmap = tf.image.resize(heatmap[..., None], picture.shape[:2]).numpy()[..., 0]
    levels = np.uint8(np.clip(heatmap, 0.0, 1.0) * 255)
    jet = matplotlib.colormaps["jet"](levels)[..., :3]
    overlay = picture + alpha * jet  # then scaled back to [0, 1], as keras.io's array_to_img
    return (overlay / overlay.max()).astype("float32")


def gradcam_grid(
    model: keras.Model,
    images: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    path: Path,
    count: int = 8,
    layer_name: str | None = None,
    probabilities: np.ndarray | None = None,
) -> Path:
    """The first `count` images (true class above) over their Grad-CAM overlays for the
    predicted class ("→ predicted (p)" above). `probabilities`: the model's for `images`,
    when already predicted (another batch shape would trace the predict step again)."""
    images = np.asarray(images[:count], dtype="float32")
    layer_name = layer_name or last_conv_layer(model)
    if probabilities is None:
        probabilities = class_probabilities(model.predict_on_batch(images))
    probabilities = probabilities[: len(images)]
    predicted = probabilities.argmax(axis=1)
    heatmaps = _gradcam(model, get_layer(model, layer_name), images, predicted)
    overlays = [gradcam_overlay(i, h) for i, h in zip(images, heatmaps, strict=True)]
    titles = [f"true {class_names[label]}" for label in labels[: len(images)]]
    titles += [
        f"→ {class_names[c]} ({p[c]:.2f})" for c, p in zip(predicted, probabilities, strict=True)
    ]
    title = f"Grad-CAM on {layer_name}: evidence for the predicted class"
    return picture_grid([*images, *overlays], titles, path, len(images), title)


def _gradcam(
    model: keras.Model,
    layer: layers.Layer,
    images: np.ndarray,
    class_indices: Sequence[int] | None = None,
) -> np.ndarray:
    """keras.io's Grad-CAM for a batch: the layer's channels weighted by the mean gradient of
    each image's class score (its logit), summed, ReLU, resized (bilinear), divided by the
    maximum."""
    images = tf.convert_to_tensor(images, dtype="float32")
    with recording([layer]) as recorded, _logits(model) as logits, tf.GradientTape() as tape:
        tape.watch(images)  # frozen (non-trainable) layers are recorded too
        scores = _class_scores(model(images, training=False), logits)
        if class_indices is None:
            class_indices = tf.argmax(scores, axis=-1)
        chosen = tf.gather(scores, tf.cast(class_indices, "int32"), axis=1, batch_dims=1)
    (feature_maps,) = recorded
    gradients = tape.gradient(chosen, feature_maps)
    if gradients is None:
        raise ValueError(f"the class scores do not depend on layer {layer.name!r}.")
    feature_maps = tf.cast(feature_maps, "float32")
    weights = tf.reduce_mean(tf.cast(gradients, "float32"), axis=(1, 2), keepdims=True)
    heatmaps = tf.nn.relu(tf.reduce_sum(feature_maps * weights, axis=-1))
    heatmaps = tf.image.resize(heatmaps[..., None], images.shape[1:3])[..., 0]
    peak = tf.reduce_max(heatmaps, axis=(1, 2), keepdims=True)
    return np.clip((heatmaps / tf.where(peak > 0, peak, 1.0)).numpy(), 0.0, 1.0)


def _class_scores(outputs: tf.Tensor, logits: bool) -> tf.Tensor:
    """(batch, classes) scores to differentiate: logits, or log-probabilities when the head
    could not be switched to logits. One sigmoid unit z scores the two classes as (-z, z)."""
    outputs = tf.cast(outputs, "float32")
    if outputs.shape[-1] == 1:
        if logits:
            return tf.concat([-outputs, outputs], axis=-1)
        outputs = tf.concat([1.0 - outputs, outputs], axis=-1)
    return outputs if logits else tf.math.log(outputs + 1e-7)


@contextlib.contextmanager
def _logits(model: keras.Model) -> Iterator[bool]:
    """keras.io's `model.layers[-1].activation = None`, undone on exit: yields True while
    the output layer's softmax or sigmoid is off, False if the head has neither."""
    head = model.layers[-1]
    while isinstance(head, keras.Model):
        head = head.layers[-1]
    activation = getattr(head, "activation", None)
    if activation not in (keras.activations.softmax, keras.activations.sigmoid):
        yield False
        return
    head.activation = keras.activations.linear
    try:
        yield True
    finally:
        head.activation = activation
