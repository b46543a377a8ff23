"""tf.data input pipelines: shuffle, batch by the global batch size, cache, prefetch.

Three kinds of examples come in (see `common.data.catalogue`):

    arrays      sliced in memory; cached (they are in memory anyway)
    DataFrame   a table: one tensor per column, keyed by its input name (`common.data.columns`)
    FileSet     paths: shuffled as paths (cheap), then read and decoded in parallel, batch by
                batch, so memory does not grow with the folder; cached only if asked

Under a distribution strategy, Keras splits each global batch across replicas; the auto-shard
policy is set explicitly to DATA, because in-memory examples have no files to shard by and a
folder's files are not split evenly enough to shard by file.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from common.data import stream_batches
from common.data.columns import input_names
from common.data.files import FileSet
from common.data.stream import CsvPart

SHUFFLE_BUFFER = 10_000  # in-memory examples; a FileSet shuffles all of its paths


def _as_float(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    return tf.cast(x, tf.float32), y


def table_columns(table) -> dict[str, np.ndarray]:
    """A DataFrame as {input name: (rows, 1) array}: float32 numbers, or text; keyed by the
    model's names for the columns (`common.data.columns`), not the user's."""
    return {
        name: (
            table[column].to_numpy(dtype="float32")
            if table[column].dtype.kind == "f"
            else table[column].astype(str).to_numpy(dtype=object)
        )[:, None]
        for column, name in input_names(table.columns).items()
    }


def examples(x: Any) -> tf.data.Dataset | Any:
    """What `from_tensor_slices` takes for `x` (a FileSet is handled by `make_dataset`)."""
    return table_columns(x) if hasattr(x, "iloc") else x


def make_dataset(
    x: Any,
    y: np.ndarray | None,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    cache: bool | None = None,
) -> tf.data.Dataset:
    """A batched dataset over arrays, a table or files; uint8 inputs are cast per batch.
    `cache`: as `resolved_cache` decides it."""
    if isinstance(x, CsvPart):  # a CSV that streams: its lines, read and decoded batch by batch
        return stream_batches.batches(x, batch_size, shuffle, seed, labelled=y is not None)
    streaming = isinstance(x, FileSet)
    cache = resolved_cache(cache, x)
    source = x.paths if streaming else examples(x)
    dataset = tf.data.Dataset.from_tensor_slices((source, y) if y is not None else (source,))
    if streaming and not cache:
        # Shuffle paths, then read and decode: memory holds paths and a few batches.
        if shuffle:
            dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        return _finish(dataset.map(_loader(x, y is not None), tf.data.AUTOTUNE), batch_size)
    if streaming:  # cache: true, asked for: decoded examples kept after the first epoch
        dataset = dataset.map(_loader(x, y is not None), tf.data.AUTOTUNE)
    if cache:
        dataset = dataset.cache()
    if shuffle:
        buffer = len(x) if streaming else min(len(x), SHUFFLE_BUFFER)
        dataset = dataset.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    if y is not None and isinstance(x, np.ndarray) and x.dtype != np.float32:
        return _finish(dataset, batch_size, cast=True)
    return _finish(dataset, batch_size)


def resolved_cache(cache: bool | None, x: Any) -> bool:
    """`data.cache` as decided for `x`: True or False as asked; for None, in-memory examples
    are cached (they are in memory anyway) and files are not (a folder may not fit)."""
    return (not isinstance(x, FileSet | CsvPart)) if cache is None else bool(cache)


def _loader(files: FileSet, labelled: bool):
    if labelled:
        return lambda path, label: (files.load(path), label)
    return lambda path: (files.load(path),)


def _finish(dataset: tf.data.Dataset, batch_size: int, cast: bool = False) -> tf.data.Dataset:
    dataset = dataset.batch(batch_size)
    if cast:  # uint8 multi-hot text: cast per batch, not per example
        dataset = dataset.map(_as_float, num_parallel_calls=tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)
