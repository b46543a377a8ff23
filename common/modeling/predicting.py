"""A model's outputs, and its compiled loss and metrics, over a whole split, one batch at a time.

Keras' `predict` under `steps_per_execution=N` (the cookbook's default on one device is 32)
unrolls N predict steps into the one graph it traces, and traces again for a shorter last
group: for the rnn recipe's GRU, predicting its 12 test batches took 3.3 s, nearly all of it
tracing. `predict_on_batch` traces a single step, and skips the data adapter and callbacks
that every `predict` call sets up (the GAN's sample grid paid them after each epoch).

Its step is a `tf.function(reduce_retracing=True)`: a second batch shape (the short last
batch) traces it again, shape-free. `predict_batch` pads a short batch to the full size, so
every pass over a split (the test scores, the report, test_predictions.csv) runs the one
trace. For the 40-layer DenseNet, each trace is about 2 s, and `evaluate`'s own test step
another 3 s: `score` here scores the predictions with the model's compiled loss and metrics
instead, and the driver keeps the test split's one pass (`predict_split`) for both the scores
and test_predictions.csv.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

SCORE_ROWS = 65_536  # rows a scoring step takes at once (`score`)


def batches_of(data: Any, batch_size: int) -> Iterator[Any]:
    """NumPy input batches of `data`: a tf.data dataset of inputs or of (inputs, targets), or
    an array (a list of arrays for a model with several inputs) cut into `batch_size` rows.
    NumPy, because a jitted JAX step takes arrays, not TensorFlow tensors."""
    if isinstance(data, np.ndarray | list):
        parts = data if isinstance(data, list) else [data]
        for start in range(0, len(parts[0]), batch_size):
            rows = [part[start : start + batch_size] for part in parts]
            yield rows if isinstance(data, list) else rows[0]
        return
    batches: Iterable = data.as_numpy_iterator() if hasattr(data, "as_numpy_iterator") else data
    for batch in batches:
        yield batch[0] if isinstance(batch, tuple) else batch


def rows_in(batch: Any) -> int:
    """Examples in a batch: an array, or a list or dict of arrays (one per model input)."""
    return len(keras.tree.flatten(batch)[0])


def predict_batch(model, batch: Any, size: int | None = None) -> Any:
    """`model.predict_on_batch(batch)`, with a batch shorter than `size` padded to it (its
    last example repeated: valid input of any type) and the padding's outputs dropped."""
    rows = rows_in(batch)
    if size is None or rows >= size:
        return model.predict_on_batch(batch)
    padded = keras.tree.map_structure(
        lambda part: np.concatenate([part, np.repeat(part[-1:], size - rows, axis=0)]), batch
    )
    outputs = model.predict_on_batch(padded)
    return keras.tree.map_structure(lambda output: np.asarray(output)[:rows], outputs)


def predict(model, data: Any, batch_size: int = 256) -> np.ndarray:
    """The model's outputs for every example of `data` (see `batches_of`), in order, through
    one traced step: every batch has the first batch's size."""
    outputs, size = [], None
    for batch in batches_of(data, batch_size):
        size = size or rows_in(batch)
        outputs.append(np.asarray(predict_batch(model, batch, size)))
    return np.concatenate(outputs)


def scores_from_predictions(model) -> bool:
    """Whether `score` below gives what `model.evaluate` gives: a compiled model with one
    output that keeps Keras' own test step, loss and metrics, on one replica (a replicated
    model's `predict_on_batch` splits a batch over the replicas)."""
    strategy = getattr(model, "distribute_strategy", None)  # TensorFlow's; JAX: keras.distribution
    one_replica = (
        strategy.num_replicas_in_sync == 1
        if strategy is not None
        else keras.distribution.distribution() is None
    )
    return (
        model.compiled
        and one_replica
        and len(getattr(model, "outputs", None) or ()) == 1
        and all(
            getattr(type(model), name) is getattr(keras.Model, name)
            for name in ("test_step", "compute_loss", "compute_metrics")
        )
    )


@dataclass
class SplitOutputs:
    """A split's targets and sample weights (None: none), and the model's outputs for it, in
    order, from one pass; `batch_size` is the size that pass predicted at."""

    targets: Any
    outputs: Any
    sample_weight: np.ndarray | None
    batch_size: int


def predict_split(model, data: Iterable) -> SplitOutputs:
    """One pass over a dataset of (inputs, targets[, sample weights]) batches (a tf.data
    dataset, or any iterable of such tuples): everything `score` and test_predictions.csv
    need, through one traced step."""
    targets, outputs, weights, size = [], [], [], None
    for batch in data.as_numpy_iterator() if hasattr(data, "as_numpy_iterator") else data:
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(batch)
        size = size or rows_in(x)
        outputs.append(predict_batch(model, x, size))
        targets.append(y)
        weights.append(sample_weight)
    if size is None:
        raise ValueError("predict_split: the data hold no batch")
    return SplitOutputs(
        _concatenate(targets),
        _concatenate(outputs),
        None if weights[0] is None else np.concatenate(weights),
        size,
    )


def _concatenate(batches: list[Any]) -> Any:
    return keras.tree.map_structure(
        lambda *parts: np.concatenate([np.asarray(part) for part in parts]), *batches
    )


def score(model, split: SplitOutputs) -> dict[str, float]:
    """`model.evaluate(..., return_dict=True)` from a `predict_split` pass: the compiled loss
    (averaged over examples, as Keras' loss tracker weighs each batch by its size) and the
    compiled metrics, accumulated chunk by chunk as `evaluate` does batch by batch. Keras'
    metrics keep running sums (counts, totals, confusion counts at thresholds), so the chunks
    may be larger than the batches: `SCORE_ROWS` at a time, not 782 eager steps for 200k rows
    at batch 256 (7 s of a streamed run's 46). Only where `scores_from_predictions(model)`."""
    model.reset_metrics()
    count = rows_in(split.outputs)
    total_loss, results = 0.0, {}
    chunk = max(split.batch_size, SCORE_ROWS)
    for start in range(0, count, chunk):
        rows = slice(start, start + chunk)
        y, y_pred = (
            keras.tree.map_structure(lambda part, r=rows: part[r], values)
            for values in (split.targets, split.outputs)
        )
        weight = None if split.sample_weight is None else split.sample_weight[rows]
        loss = model.compute_loss(None, y, y_pred, weight, training=False)
        total_loss += float(keras.ops.convert_to_numpy(loss)) * rows_in(y_pred)
        results = model.compute_metrics(None, y, y_pred, weight)
    scores = {
        name: float(keras.ops.convert_to_numpy(value))
        for name, value in results.items()
        if name != "loss"  # the loss tracker, never updated here
    }
    scores["loss"] = total_loss / count
    return dict(sorted(scores.items()))  # evaluate's order: tf.nest sorts a dict's keys
