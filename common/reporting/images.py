"""Image grids: a batch of small images as one picture, in the run folder and in TensorBoard.

Generative recipes are judged by eye as well as by numbers. `tile` lays a batch out on a grid
(8x8 digits are enlarged so they stay visible), `save_grid` writes it with
`keras.utils.save_img`, and the `ImageGrid` callback does both once per epoch, logging the grid
with `tf.summary.image` so TensorBoard's Images tab shows training progress.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

BORDER = 0.5  # mid-grey lines between tiles, visible on black and on white backgrounds


def tile(images: np.ndarray, columns: int, min_size: int = 32) -> np.ndarray:
    """(count, height, width, channels) in [0, 1] -> one (rows * h, columns * w, channels)
    grid; images smaller than `min_size` pixels are enlarged by nearest neighbour."""
    images = np.clip(np.asarray(images, dtype="float32"), 0.0, 1.0)
    count, height, width, channels = images.shape
    scale = max(1, math.ceil(min_size / height))
    images = images.repeat(scale, axis=1).repeat(scale, axis=2)
    height, width = height * scale, width * scale
    rows = math.ceil(count / columns)
    shape = (rows * (height + 1) + 1, columns * (width + 1) + 1, channels)
    grid = np.full(shape, BORDER, dtype="float32")
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = 1 + row * (height + 1), 1 + column * (width + 1)
        grid[top : top + height, left : left + width] = image
    return grid


def save_grid(path: Path, grid: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    keras.utils.save_img(path, grid * 255.0, scale=False)
    return path


class ImageGrid(keras.callbacks.Callback):
    """After every epoch, `draw(model)` -> a grid, saved as `png_pattern.format(epoch=N)` and
    logged to TensorBoard as the image `tag` (step = epoch index, like Keras' epoch scalars)."""

    def __init__(
        self,
        draw: Callable[[keras.Model], np.ndarray],
        png_pattern: Path,
        log_dir: Path | None,
        tag: str,
    ):
        super().__init__()
        self.draw = draw
        self.png_pattern = str(png_pattern)
        self.log_dir = log_dir
        self.tag = tag
        self.writer = None

    def on_train_begin(self, logs=None):
        if self.log_dir is not None:
            self.writer = tf.summary.create_file_writer(str(self.log_dir))

    def on_epoch_end(self, epoch, logs=None):
        grid = self.draw(self.model)
        save_grid(Path(self.png_pattern.format(epoch=epoch + 1)), grid)
        if self.writer is not None:
            with self.writer.as_default():
                tf.summary.image(self.tag, grid[None], step=epoch)
            self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
            self.writer = None
