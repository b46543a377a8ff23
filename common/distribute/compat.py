"""Make Keras 3's `fit()` work under MultiWorkerMirroredStrategy.

Keras 3.15 with TensorFlow 2.21 fails in two places as soon as a cluster has two workers:

1. `TensorFlowTrainer._maybe_symbolic_build` builds the model from the first batch, and to get
   that batch it all-reduces the whole tuple of PerReplica tensors (features *and* integer
   labels) across workers with MEAN — a collective that fails, and that is not needed: shapes
   and dtypes are all the build uses, and the local replica's batch has them.
2. `reduce_per_replica(..., reduction="mean")`, used for the logs returned by every train and
   test step, calls `strategy.reduce("MEAN", value, axis=0)` in multi-worker mode. The logs
   are scalars, which have no axis 0; the cross-replica mean of a scalar is `axis=None`.

`patch_keras()` replaces both with corrected versions, only for the Keras versions in
`VERIFIED` (checked by tests/test_distributed.py, which trains two real workers on 127.0.0.1).
For other versions it does nothing and says so, rather than patching code it has not seen.
"""

from __future__ import annotations

import warnings

import keras
import tensorflow as tf
from keras.src import tree
from keras.src.backend.tensorflow import trainer as tensorflow_trainer

VERIFIED = ("3.15.",)  # Keras versions whose internals these fixes were written against

_original_reduce_per_replica = tensorflow_trainer.reduce_per_replica
_patched = False


def _local_value(value):
    """The first local replica's tensor of a DistributedValues; other values unchanged."""
    if isinstance(value, tf.distribute.DistributedValues):
        return value.values[0]
    return value


def _maybe_symbolic_build(self, iterator=None, data_batch=None):
    """As Keras' own, but builds from the local replica's batch instead of a cross-worker
    MEAN of it (fix 1 above)."""
    if self._distribute_strategy is None:
        return
    if iterator is not None:
        for _, _, batches in iterator:
            data_batch = tree.map_structure(_local_value, next(batches))
            break
    with self.distribute_strategy.scope():
        self._symbolic_build(data_batch=data_batch)


def _rank(value) -> int | None:
    return _local_value(value).shape.rank


def reduce_per_replica(values, strategy, reduction):
    """As Keras' own, but scalars are averaged across workers with `axis=None` (fix 2)."""
    multi_worker = tensorflow_trainer._collective_all_reduce_multi_worker(strategy)
    if multi_worker and reduction in ("mean", "auto"):

        def mean(value):
            axis = None if _rank(value) == 0 else 0
            return strategy.reduce("MEAN", value, axis=axis)

        return tree.map_structure(mean, values)
    return _original_reduce_per_replica(values, strategy, reduction)


def is_verified(version: str = keras.__version__) -> bool:
    return version.startswith(VERIFIED)


def patch_keras() -> bool:
    """Apply both fixes once; returns whether they are in place."""
    global _patched
    if _patched:
        return True
    if not is_verified():
        warnings.warn(
            f"common.compat: multi-worker fixes are verified for Keras {', '.join(VERIFIED)}x "
            f"only; Keras {keras.__version__} runs unpatched.",
            stacklevel=2,
        )
        return False
    tensorflow_trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build
    tensorflow_trainer.reduce_per_replica = reduce_per_replica
    _patched = True
    return True
