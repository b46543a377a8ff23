"""tf.data input pipelines: shuffle, batch by the global batch size, cache, prefetch.

Under a distribution strategy, Keras splits each global batch across replicas; the auto-shard
policy is set explicitly to DATA because in-memory arrays have no files to shard by.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def _as_float(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    return tf.cast(x, tf.float32), y


def make_dataset(
    x: np.ndarray,
    y: np.ndarray | None,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    cache: bool = True,
) -> tf.data.Dataset:
    """A batched dataset over arrays; uint8 inputs (multi-hot text) are cast per batch."""
    dataset = tf.data.Dataset.from_tensor_slices((x, y) if y is not None else (x,))
    if cache:
        dataset = dataset.cache()
    if shuffle:
        dataset = dataset.shuffle(min(len(x), 10_000), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if y is not None and x.dtype != np.float32:
        dataset = dataset.map(_as_float, num_parallel_calls=tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)
