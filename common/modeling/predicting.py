"""A model's outputs over a whole split, one batch at a time.

Keras' `predict` under `steps_per_execution=N` (the cookbook's default on one device is 32)
unrolls N predict steps into the one graph it traces, and traces again for a shorter last
group: for the rnn recipe's GRU, predicting its 12 test batches took 3.3 s, nearly all of it
tracing. `predict_on_batch` traces a single step once, and every later pass (the report,
test_predictions.csv) reuses it. It also skips the data adapter and callbacks that every
`predict` call sets up, which the GAN's sample grid paid after each epoch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np


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


def predict(model, data: Any, batch_size: int = 256) -> np.ndarray:
    """The model's outputs for every example of `data` (see `batches_of`), in order."""
    outputs = [np.asarray(model.predict_on_batch(batch)) for batch in batches_of(data, batch_size)]
    return np.concatenate(outputs)
