"""What a convnet's convolutions hold: the first layer's filters, and every layer's maps.

    first_layer_filters(model, path)              one tile per kernel of the first Conv2D
    intermediate_activations(model, image, path)  feature maps of each convolution (at most 8,
                                                  evenly spaced) for one image

"Deep Learning with Python" (F. Chollet), chapter 9: the first filters show the edges and
colours a network looks for; the maps show how an image is abstracted layer by layer.
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
import matplotlib
import numpy as np
from keras import layers

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from common.reporting.figures import save_figure
from common.reporting.images import save_grid, tile
from common.reporting.probing import CONVOLUTIONS, recording, walk


def first_layer_filters(model: keras.Model, path: Path) -> Path:
    """The first Conv2D's kernels as a grid, one tile per filter, each scaled to [0, 1];
    in colour for 3 input channels, gray for 1 (other counts: their mean, in gray)."""
    convolution = next((la for _, la in walk(model) if isinstance(la, layers.Conv2D)), None)
    if convolution is None:
        raise ValueError(f"model {model.name!r} has no Conv2D layer.")
    kernel = keras.ops.convert_to_numpy(convolution.kernel).astype("float32")
    if kernel.shape[2] not in (1, 3):
        kernel = kernel.mean(axis=2, keepdims=True)
    filters = np.moveaxis(kernel, -1, 0)  # (filters, height, width, input channels)
    low = filters.min(axis=(1, 2, 3), keepdims=True)
    high = filters.max(axis=(1, 2, 3), keepdims=True)
    filters = (filters - low) / np.where(high > low, high - low, 1.0)
    return save_grid(path, tile(filters, columns=math.ceil(math.sqrt(len(filters)))))


def intermediate_activations(
    model: keras.Model,
    image: np.ndarray,
    path: Path,
    max_channels: int = 16,
    max_layers: int = 8,
) -> Path:
    """One row per convolution (at most `max_layers`, evenly spaced) of its first
    `max_channels` feature maps for one `image` (as the model takes it), each map scaled to
    [0, 1] on its own, in viridis."""
    convolutions = [(name, la) for name, la in walk(model) if isinstance(la, CONVOLUTIONS)]
    if not convolutions:
        raise ValueError(f"model {model.name!r} has no 2-D convolution.")
    if len(convolutions) > max_layers:
        picks = np.linspace(0, len(convolutions) - 1, max_layers).round().astype(int)
        convolutions = [convolutions[k] for k in picks]
    with recording([la for _, la in convolutions]) as recorded:
        model(np.asarray(image, dtype="float32")[None], training=False)
    grids, titles = [], []
    for (name, _), output in zip(convolutions, recorded, strict=True):
        maps = keras.ops.convert_to_numpy(output)[0].astype("float32")  # (height, width, c)
        shown = np.moveaxis(maps[..., :max_channels], -1, 0)[..., None]
        low = shown.min(axis=(1, 2, 3), keepdims=True)
        high = shown.max(axis=(1, 2, 3), keepdims=True)
        shown = (shown - low) / np.where(high > low, high - low, 1.0)
        grids.append(tile(shown, columns=min(len(shown), 8))[..., 0])
        titles.append(
            f"{name}: {maps.shape[0]}×{maps.shape[1]}, {len(shown)} of {maps.shape[-1]} channels"
        )
    ratios = [grid.shape[0] / grid.shape[1] for grid in grids]
    figure, axes = plt.subplots(
        len(grids),
        1,
        figsize=(8, sum(8 * r + 0.5 for r in ratios)),
        squeeze=False,
        gridspec_kw={"height_ratios": ratios},
    )
    for axis, grid, title in zip(axes[:, 0], grids, titles, strict=True):
        axis.imshow(grid, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        axis.set_title(title, fontsize=9)
        axis.set_xticks([])
        axis.set_yticks([])
        axis.axis("off")
    figure.suptitle("Feature maps of each convolution for one test image")
    return save_figure(figure, path)
