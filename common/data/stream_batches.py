"""A `CsvPart` as tf.data batches: the shards' lines, this part's by the pass's hash, decoded
batch by batch into the model's inputs; memory holds a shuffle buffer of lines, never the table.

    files -> TextLineDataset each (header skipped), interleaved -> lines of this part (the same
    `to_hash_bucket_strong` bucket the pass computed) -> [shuffle] -> batch -> decode_csv ->
    ({input name: (batch, 1)}, class index or value) -> prefetch

Training interleaves the (shuffled) files; scoring reads them one after another, so a part's
rows come in the order of its targets (`CsvPart.y`). Under a distribution strategy the
auto-shard policy is FILE for several shards, so each worker reads its own files, and DATA
for one file.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
import tensorflow as tf

from common.data import tables
from common.data.columns import input_names
from common.data.stream import BUCKETS, HASH_SALT, CsvPart

SHUFFLE_LINES = 100_000  # lines in the shuffle buffer (about 10-20 MB of text)
FILTER_BATCH = 4096  # lines hashed at a time
PARALLEL_FILES = 4  # files read at once while training


def _workers() -> int:
    """The workers of a multi-worker run (TF_CONFIG), 1 outside a cluster."""
    cluster = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {})
    return max(1, len(cluster.get("worker", [])) + len(cluster.get("chief", [])))


def _lines(part: CsvPart, shuffle: bool, seed: int) -> tf.data.Dataset:
    """This part's lines, from every shard."""
    stream = part.stream
    files = tf.data.Dataset.from_tensor_slices(
        ([str(p) for p in stream.paths], np.asarray(stream.skips, "int64"))
    )
    if shuffle and len(stream.paths) > 1:
        files = files.shuffle(len(stream.paths), seed=seed, reshuffle_each_iteration=True)
    parallel = min(len(stream.paths), PARALLEL_FILES) if shuffle else 1
    lines = files.interleave(
        lambda path, skip: tf.data.TextLineDataset(path).skip(skip),
        cycle_length=parallel,
        **({"num_parallel_calls": tf.data.AUTOTUNE, "deterministic": True} if parallel > 1 else {}),
    )
    low, high = stream.bucket_range(part.name)
    target = stream.header.index(stream.target)

    def keep(batch: tf.Tensor) -> tf.Tensor:
        bucket = tf.strings.to_hash_bucket_strong(batch, BUCKETS, key=[stream.seed, HASH_SALT])
        mask = (bucket >= low) & (bucket < high) & (tf.strings.length(tf.strings.strip(batch)) > 0)
        if stream.unlabelled:  # rows without a target were left out of the pass
            blank = "," * (len(stream.header) - 1)  # a well-formed row for the lines dropped
            (cell,) = tf.io.decode_csv(tf.where(mask, batch, blank), [[""]], select_cols=[target])
            mask &= tf.strings.length(tf.strings.strip(cell)) > 0
        return tf.boolean_mask(batch, mask)

    lines = lines.batch(FILTER_BATCH).map(keep, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
    if part.limit is not None:
        lines = lines.take(part.limit)
    workers = _workers()
    if workers > 1 and shuffle and len(stream.paths) > 1:
        # FILE sharding gives each worker its own files (inserted after the file list, so
        # what follows is per worker); every worker must take as many steps: its files,
        # repeated, cut at an equal share of the rows.
        return lines.repeat().take(math.ceil(len(part) / workers))
    if workers > 1:
        return lines  # scored whole on every worker (sharding OFF), or one file: DATA
    return lines.apply(tf.data.experimental.assert_cardinality(len(part)))


def _decoder(part: CsvPart, labelled: bool):
    """Batched lines -> the model's inputs by input name (`common.data.columns`), and the
    targets as class indices (in `class_names` order) or float32 values."""
    stream = part.stream
    names = input_names(stream.kinds)
    wanted = sorted({stream.header.index(c) for c in (*stream.kinds, stream.target)})
    position = {stream.header[index]: slot for slot, index in enumerate(wanted)}
    classes = None
    if stream.class_names is not None:
        classes = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                stream.class_names, np.arange(len(stream.class_names), dtype="int32")
            ),
            default_value=-1,
        )

    markers = tf.constant(tables.GAP_CELLS)

    def number(cells: tf.Tensor) -> tf.Tensor:  # a gap (`tables.gaps`) is NaN
        empty = tf.reduce_any(tf.equal(cells[:, None], markers[None, :]), axis=1)
        values = tf.strings.to_number(tf.where(empty, "0", cells), tf.float32)
        return tf.where(empty, tf.constant(np.nan, tf.float32), values)

    def decode(lines: tf.Tensor):
        cells = tf.io.decode_csv(lines, [[""]] * len(wanted), select_cols=wanted)
        cells = [tf.strings.strip(column) for column in cells]
        inputs = {}
        for column, kind in stream.kinds.items():
            value = cells[position[column]]
            inputs[names[column]] = (number(value) if kind == "numeric" else value)[:, None]
        if not labelled:
            return (inputs,)
        target = cells[position[stream.target]]
        return inputs, (classes.lookup(target) if classes is not None else number(target))

    return decode


def batches(
    part: CsvPart, batch_size: int, shuffle: bool = False, seed: int = 0, labelled: bool = True
) -> tf.data.Dataset:
    """(inputs, targets) batches of `part` by the global `batch_size` (inputs only when not
    `labelled`), shuffled through a buffer of lines when asked."""
    lines = _lines(part, shuffle, seed)
    if shuffle:
        lines = lines.shuffle(SHUFFLE_LINES, seed=seed, reshuffle_each_iteration=True)
    dataset = lines.batch(batch_size).map(
        _decoder(part, labelled), num_parallel_calls=tf.data.AUTOTUNE
    )
    options = tf.data.Options()
    policy = tf.data.experimental.AutoShardPolicy
    if len(part.stream.paths) > 1:
        # Several shards: each worker reads its own files while training; a part that is
        # scored (validation) is read whole by every worker, whose metrics agree.
        chosen = policy.FILE if shuffle or _workers() == 1 else policy.OFF
    else:
        chosen = policy.DATA
    options.experimental_distribute.auto_shard_policy = chosen
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)
