"""Precise BatchNorm statistics for short trainings: a model trained in few steps must not
predict with the moving statistics it started from.

BatchNormalization trains on each batch's own mean and variance and predicts with moving
averages (momentum 0.99) that start at mean 0, variance 1. After S steps the start still weighs
0.99^S: on a 160-image folder (5 steps an epoch, 300 steps in all) that is 0.049, while the first
convolution's true variance on [0, 1] pixels was 0.0044 — the moving variance came out 11x too
large, and the model that scored 1.000 on its training batches called 195 of 200 images one
class in inference mode (test accuracy 0.525 on a balanced folder). Recomputing the statistics
over the training batches ("precise BN": Wu & Johnson, "Rethinking 'Batch' in BatchNorm", 2021;
fvcore's `update_bn_stats`) gave 0.98 on the same weights.

So when a fit's planned steps leave the start weighing more than `RESIDUE`, each epoch ends
(and each validation pass begins) by averaging every BatchNormalization layer's batch
statistics over the training batches, equally weighted (momentum 1 - 1/k for the k-th batch).
Longer trainings (the digits defaults: 1,000+ steps) are left exactly as they were. On one
device only: under a distribution strategy the moving statistics are replica variables.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from common.modeling import tasks

MOMENTUM = 0.99  # Keras' default; the layers' own momentum is used when it differs
RESIDUE = 1e-3  # the weight of the initial statistics that is still acceptable
MAX_BATCHES = 200  # a larger dataset trains long enough to wash the start out anyway


def batchnorm_layers(model: keras.Model) -> list[keras.layers.BatchNormalization]:
    """The BatchNormalization layers that train (a frozen backbone's stay as they are)."""
    return [
        layer
        for layer in model._flatten_layers(include_self=False, recursive=True)
        if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable
    ]


def start_residue(layers: list[keras.layers.BatchNormalization], steps: int) -> float:
    """The weight the initial moving statistics keep after `steps` training steps."""
    momentum = max((layer.momentum for layer in layers), default=MOMENTUM)
    return math.exp(steps * math.log(momentum)) if momentum > 0 else 0.0


def needs_recalibration(model: keras.Model, steps: int) -> bool:
    layers = batchnorm_layers(model)
    return bool(layers) and start_residue(layers, steps) > RESIDUE


def planned_steps(train_data, epochs: int) -> int:
    """Training steps in `epochs` epochs of `train_data` (a large number if it is unknown)."""
    steps = int(train_data.cardinality())
    return steps * epochs if steps > 0 else 1 << 30


def recalibration(
    model: keras.Model, train_data, epochs: int, task: str, replicas: int
) -> list[keras.callbacks.Callback]:
    """The callbacks a fit of `model` on `train_data` for `epochs` needs for its BatchNorm
    statistics: a `RecalibrateBatchNorm` to put first, or none. Runs and tuning trials both
    use it, so a trial's validation score is the one its run would have."""
    if task not in tasks.TASKS or replicas != 1:
        return []
    if not needs_recalibration(model, planned_steps(train_data, epochs)):
        return []
    return [RecalibrateBatchNorm(train_data)]


class RecalibrateBatchNorm(keras.callbacks.Callback):
    """Each epoch's moving statistics recomputed over the training batches, before the
    validation pass and before the epoch's checkpoints see the model."""

    def __init__(self, batches, max_batches: int = MAX_BATCHES):
        super().__init__()
        self.batches, self.max_batches = batches, max_batches
        self.done = False

    def on_epoch_begin(self, epoch, logs=None):
        self.done = False

    def on_test_begin(self, logs=None):
        self.recalibrate()

    def on_epoch_end(self, epoch, logs=None):
        self.recalibrate()

    def recalibrate(self) -> None:
        if self.done:
            return
        layers = batchnorm_layers(self.model)
        momenta = [layer.momentum for layer in layers]
        try:
            for count, batch in enumerate(self.batches.take(self.max_batches), start=1):
                for layer in layers:
                    layer.momentum = 1.0 - 1.0 / count  # the k-th batch weighs 1/k
                inputs = batch[0] if isinstance(batch, tuple) else batch
                self.model(keras.tree.map_structure(np.asarray, inputs), training=True)
        finally:
            for layer, momentum in zip(layers, momenta, strict=True):
                layer.momentum = momentum
        self.done = True
