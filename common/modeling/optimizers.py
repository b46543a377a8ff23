"""Optimizers and learning-rate schedules from the `optimizer` section.

Keras provides every schedule but one-cycle (Smith & Topin, 2017), which is a small
serializable `LearningRateSchedule` below so that saved models reload with it.
"""

from __future__ import annotations

import math

import keras
from keras import ops

from common.config.schema import OptimizerConfig


@keras.saving.register_keras_serializable(package="cookbook")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """Cosine warm-up from `peak / div_factor` to `peak`, then cosine annealing to
    `peak / (div_factor * 1e4)`, over `total_steps` optimizer steps."""

    def __init__(
        self, peak: float, total_steps: int, peak_fraction: float = 0.3, div_factor: float = 25.0
    ):
        self.peak = peak
        self.total_steps = total_steps
        self.peak_fraction = peak_fraction
        self.div_factor = div_factor

    def __call__(self, step):
        start = self.peak / self.div_factor
        end = start / 1e4
        step = ops.cast(step, "float32")
        warmup = max(1.0, self.total_steps * self.peak_fraction)
        anneal = max(1.0, self.total_steps - warmup)

        def cosine(low, high, fraction):  # high at fraction 0, low at fraction 1
            fraction = ops.clip(fraction, 0.0, 1.0)
            return low + (high - low) * 0.5 * (1.0 + ops.cos(math.pi * fraction))

        rising = cosine(self.peak, start, step / warmup)
        falling = cosine(end, self.peak, (step - warmup) / anneal)
        return ops.where(step < warmup, rising, falling)

    def get_config(self):
        return {
            "peak": self.peak,
            "total_steps": self.total_steps,
            "peak_fraction": self.peak_fraction,
            "div_factor": self.div_factor,
        }


def learning_rate(config: OptimizerConfig, steps_per_epoch: int, epochs: int, replicas: int = 1):
    """A float, or a schedule whose `*_epochs` settings are converted to optimizer steps."""
    peak = config.learning_rate * replicas
    schedule = config.schedule
    total_steps = max(1, steps_per_epoch * epochs)
    schedules = keras.optimizers.schedules
    if schedule.name in ("constant", "step"):  # step: a per-epoch callback (`step_schedule`)
        return peak
    if schedule.name in ("exponential", "inverse_time"):
        decay = (
            schedules.ExponentialDecay
            if schedule.name == "exponential"
            else schedules.InverseTimeDecay
        )
        return decay(
            peak,
            max(1, round(schedule.decay_epochs * steps_per_epoch)),
            schedule.decay_rate,
            staircase=schedule.staircase,
        )
    if schedule.name == "cosine":
        warmup_steps = round(schedule.warmup_epochs * steps_per_epoch)
        if warmup_steps == 0:
            return schedules.CosineDecay(peak, total_steps, alpha=schedule.alpha)
        return schedules.CosineDecay(
            0.0,
            max(1, total_steps - warmup_steps),
            alpha=schedule.alpha,
            warmup_target=peak,
            warmup_steps=warmup_steps,
        )
    if schedule.name == "one_cycle":
        return OneCycle(peak, total_steps, schedule.peak_fraction, schedule.div_factor)
    raise ValueError(f"unknown schedule {schedule.name!r}")


def step_schedule(boundaries: list[int], factors: list[float]):
    """`LearningRateScheduler`'s function for a step schedule: at each boundary epoch the rate
    is multiplied by the change of factor, so a rate that reduce-on-plateau lowered stays
    lowered, and a run resumed from its backup (which restores the rate) continues exactly."""

    def factor(epoch: int) -> float:
        passed = [f for boundary, f in zip(boundaries, factors, strict=True) if epoch >= boundary]
        return passed[-1] if passed else 1.0

    def schedule(epoch: int, rate: float) -> float:
        before = factor(epoch - 1) if epoch > 0 else 1.0
        return rate * factor(epoch) / before

    return schedule


def make_optimizer(config: OptimizerConfig, steps_per_epoch: int, epochs: int, replicas: int = 1):
    rate = learning_rate(config, steps_per_epoch, epochs, replicas)
    common = {"learning_rate": rate, "clipnorm": config.clipnorm}
    if config.name == "sgd":
        return keras.optimizers.SGD(
            momentum=0.9 if config.momentum is None else config.momentum,
            nesterov=config.nesterov,
            **common,
        )
    if config.name == "rmsprop":
        return keras.optimizers.RMSprop(momentum=config.momentum or 0.0, **common)
    if config.beta_1 is not None:  # adam and adamw only (checked with the config)
        common["beta_1"] = config.beta_1
    if config.name == "adam":
        return keras.optimizers.Adam(**common)
    if config.name == "adamw":
        decay = 0.004 if config.weight_decay is None else config.weight_decay
        return keras.optimizers.AdamW(weight_decay=decay, **common)
    raise ValueError(f"unknown optimizer {config.name!r}")
