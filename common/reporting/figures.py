"""Titled picture grids saved as PNG with matplotlib: the inspection pictures' layout.

    picture_grid(images, titles, path, columns=8, title="Most confidently wrong test images")

Images may hold 0..255 or [0, 1] pixels, gray or colour (`displayable` brings them to [0, 1]
for showing). The grid is drawn on one axes whose units are inches, which lays out and saves
in a tenth of the time of one small axes per image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def displayable(image: np.ndarray) -> np.ndarray:
    """[0, 1] pixels to show: 0..255 input is divided by 255; one channel becomes 2-D."""
    picture = np.asarray(image, dtype="float32")
    if picture.max(initial=0.0) > 1.0:
        picture = picture / 255.0
    picture = np.clip(picture, 0.0, 1.0)
    if picture.ndim == 3 and picture.shape[-1] == 1:
        return picture[..., 0]
    return picture[..., :3] if picture.ndim == 3 else picture


def picture_grid(
    pictures: Sequence[np.ndarray], titles: Sequence[str], path: Path, columns: int, title: str
) -> Path:
    """Images on a grid of `columns`, each with a small title (gray for one channel), drawn
    on one axes whose units are inches: a figure of one small axes per image took a second to
    lay out and save, this a tenth of that."""
    columns = max(1, min(columns, len(pictures)))
    rows = max(1, math.ceil(len(pictures) / columns))
    cell_width, cell_height, title_band, top = 1.9, 2.0, 0.3, 0.5
    width, height = cell_width * columns, cell_height * rows
    figure = plt.figure(figsize=(width, height + top))
    axis = figure.add_axes((0.0, 0.0, 1.0, height / (height + top)))
    for index, (picture, name) in enumerate(zip(pictures, titles, strict=False)):
        shown = displayable(picture)
        row, column = divmod(index, columns)
        left, upper = column * cell_width, row * cell_height  # y grows downwards
        box_width, box_height = cell_width - 0.15, cell_height - title_band - 0.1
        scale = min(box_width / shown.shape[1], box_height / shown.shape[0])
        shown_width, shown_height = shown.shape[1] * scale, shown.shape[0] * scale
        x0 = left + (cell_width - shown_width) / 2
        y0 = upper + title_band + (box_height - shown_height) / 2
        axis.imshow(
            shown,
            cmap="gray" if shown.ndim == 2 else None,
            vmin=0,
            vmax=1,
            interpolation="nearest",
            extent=(x0, x0 + shown_width, y0 + shown_height, y0),
        )
        axis.text(left + cell_width / 2, upper + title_band - 0.05, name, ha="center",
                  va="bottom", fontsize=8)  # fmt: skip
    if not len(pictures):
        axis.text(width / 2, height / 2, "none", ha="center", va="center", fontsize=14)
    axis.set_xlim(0, width)
    axis.set_ylim(height, 0)
    axis.set_aspect("auto")
    axis.axis("off")
    figure.suptitle(title, fontsize=10, y=1 - 0.15 / (height + top))
    return save_figure(figure, path, tight=False)


def save_figure(figure: Any, path: Path, tight: bool = True) -> Path:
    """`figure` as a PNG at `path` (its folder made), then closed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if tight:
        figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
