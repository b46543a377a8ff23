"""Pictures of segmentation masks: class indices in colour, image | truth | prediction rows, and
overlays of a mask on its image.

    tiles = comparison(images, truths, predictions)     # rows of three, for images.tile(.., 3)
    overlay(image, mask)                                # the image tinted by each pixel's class

Class 0 is black and every other class gets a colour of matplotlib's `tab20` in turn, the same
in every picture of a run, so a colour means one class throughout. Images arrive as the model
reads them: pixels in 0..255, one channel (grayscale) or three.
"""

from __future__ import annotations

import matplotlib
import numpy as np

PALETTE = np.concatenate(
    [np.zeros((1, 3)), np.resize(np.asarray(matplotlib.colormaps["tab20"].colors), (255, 3))]
).astype("float32")  # (256, 3) colours in [0, 1], one per class index
OVERLAY_ALPHA = 0.5


def coloured(mask: np.ndarray) -> np.ndarray:
    """(height, width) class indices -> (height, width, 3) colours in [0, 1]."""
    return PALETTE[np.asarray(mask, dtype="int64") % len(PALETTE)]


def rgb(image: np.ndarray) -> np.ndarray:
    """(height, width, channels) pixels in 0..255 -> (height, width, 3) in [0, 1]."""
    image = np.asarray(image, dtype="float32") / 255.0
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    return np.clip(image[..., :3], 0.0, 1.0)


def comparison(images: np.ndarray, truths: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """For each example, three tiles: the image, its true mask and the predicted one."""
    tiles = [
        tile
        for image, truth, prediction in zip(images, truths, predictions, strict=True)
        for tile in (rgb(image), coloured(truth), coloured(prediction))
    ]
    return np.stack(tiles)


def overlay(image: np.ndarray, mask: np.ndarray, alpha: float = OVERLAY_ALPHA) -> np.ndarray:
    """The image with each pixel's class colour blended in, (height, width, 3) in [0, 1]."""
    return (1 - alpha) * rgb(image) + alpha * coloured(mask)
