"""The instances of a REST request, checked and turned into the model's input, as `cookbook
predict` reads files: the preprocessing is inside the model, so instances are raw.

    table   {"column": value, ...} per instance, by the user's column names; null for a gap
    image   {"b64": "<base64 of a PNG/JPEG/...>"}, decoded and resized as in training
    text    "a raw string"
    rows    [number, ...] of the training width

Every problem is a `BadInstances` naming the instance (by its index) and what to send instead;
the server answers it with 400 and goes on serving.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from common.data import readable
from common.data.tables import GAP_CELLS
from common.serving.inputs import input_columns

KINDS = ("table", "image", "text", "rows")


class BadInstances(ValueError):
    """A request whose instances the model cannot take: the message names which and why."""


def _some(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(name) for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class Reader:
    """Instances -> model input for one model; `example()` is a valid one-instance input (the
    start-up trace)."""

    def __init__(self, model: keras.Model, kind: str):
        if kind not in KINDS:
            raise ValueError(f"unknown input kind {kind!r}")
        self.kind = kind
        self.columns = input_columns(model) if kind == "table" else {}
        tensor = model.inputs[0]
        self.shape = tuple(tensor.shape[1:])

    def describe(self) -> dict[str, Any]:
        """What an instance looks like, for the metadata endpoint."""
        if self.kind == "table":
            return {"kind": "table", "columns": {c: kind for c, (_, kind) in self.columns.items()}}
        if self.kind == "image":
            return {"kind": "image", "size": list(self.shape[:2]), "channels": self.shape[2]}
        if self.kind == "rows":
            return {"kind": "rows", "width": int(np.prod(self.shape))}
        return {"kind": "text"}

    def example(self) -> Any:
        if self.kind == "table":
            return self.read([{column: None for column in self.columns}])
        if self.kind == "text":
            return self.read(["warm-up"])
        return np.zeros((1, *self.shape), dtype="float32")

    def read(self, instances: list[Any]) -> Any:
        if not instances:
            raise BadInstances('"instances" is empty: send at least one instance.')
        return getattr(self, f"_{self.kind}")(instances)

    def _table(self, instances: list[Any]) -> dict[str, np.ndarray]:
        values: dict[str, list[Any]] = {name: [] for name, _ in self.columns.values()}
        for index, instance in enumerate(instances):
            if not isinstance(instance, dict):
                raise BadInstances(
                    f"instance {index} is {type(instance).__name__}; send an object "
                    '{"column": value, ...} per row.'
                )
            missing = [c for c in self.columns if c not in instance]
            unknown = [c for c in instance if c not in self.columns]
            if missing or unknown:
                parts = [f"lacks the columns {_some(missing)}"] if missing else []
                parts += [f"has columns the model does not take: {_some(unknown)}"] * bool(unknown)
                raise BadInstances(
                    f"instance {index} {' and '.join(parts)}; the model takes "
                    f"{_some(list(self.columns), 20)}."
                )
            for column, (name, kind) in self.columns.items():
                values[name].append(self._cell(instance[column], column, kind, index))
        return {
            name: np.asarray(values[name], dtype="float32" if kind == "numeric" else object)[
                :, None
            ]
            for name, kind in self.columns.values()
        }

    @staticmethod
    def _cell(value: Any, column: str, kind: str, index: int) -> Any:
        if kind == "numeric":
            if value is None or (isinstance(value, str) and value.strip() in GAP_CELLS):
                return math.nan
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise BadInstances(f"instance {index}: {column!r} is {value!r}, not a number.")
            try:
                number = float(value)
            except ValueError:
                raise BadInstances(
                    f"instance {index}: {column!r} is {value!r}, not a number."
                ) from None
            if math.isinf(number):
                raise BadInstances(f"instance {index}: {column!r} is infinite.")
            return number
        return "" if value is None else str(value).strip()

    def _image(self, instances: list[Any]) -> np.ndarray:
        height, width, channels = self.shape
        images = []
        for index, instance in enumerate(instances):
            encoded = instance.get("b64") if isinstance(instance, dict) else None
            if not isinstance(encoded, str):
                raise BadInstances(
                    f'instance {index}: send an image as {{"b64": "<base64 of the file>"}}.'
                )
            try:
                contents = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise BadInstances(f"instance {index}: its b64 is not base64.") from None
            try:
                image = readable.decode_image(tf.constant(contents), channels)
            except (tf.errors.InvalidArgumentError, tf.errors.UnknownError):
                raise BadInstances(
                    f"instance {index}: not an image TensorFlow can decode (PNG, JPEG, BMP, GIF)."
                ) from None
            if image.shape[0] < 1 or image.shape[1] < 1:
                raise BadInstances(f"instance {index}: the image has no pixels.")
            images.append(tf.image.resize(image, (height, width)).numpy())
        return np.stack(images).astype("float32")

    def _text(self, instances: list[Any]) -> np.ndarray:
        for index, instance in enumerate(instances):
            if not isinstance(instance, str):
                raise BadInstances(f"instance {index} is {type(instance).__name__}; send a string.")
        return np.asarray(instances, dtype=object)[:, None]

    def _rows(self, instances: list[Any]) -> np.ndarray:
        width = int(np.prod(self.shape))
        rows = []
        for index, instance in enumerate(instances):
            try:
                row = np.asarray(instance, dtype="float32").reshape(-1)
            except (TypeError, ValueError):
                raise BadInstances(f"instance {index}: send a list of {width} numbers.") from None
            if row.size != width or not np.isfinite(row).all():
                raise BadInstances(
                    f"instance {index}: {row.size} values; the model takes {width} finite numbers."
                )
            rows.append(row.reshape(self.shape))
        return np.stack(rows)


def concatenate(parts: list[Any]) -> Any:
    """One batch from several requests' inputs (arrays, or dicts of arrays for a table)."""
    return keras.tree.map_structure(lambda *arrays: np.concatenate(arrays), *parts)


def take(batch: Any, rows: slice) -> Any:
    return keras.tree.map_structure(lambda array: array[rows], batch)


def count(batch: Any) -> int:
    return len(keras.tree.flatten(batch)[0])
