"""The parts of a forecaster that follows trends and seasons: it predicts the change from the
window's last value, not the level.

A model that reads levels standardised with the training rows' statistics cannot follow a
trend: the test period lies above every level it has seen (a trending series' test MAE was 32x
persistence's). So the windows are read relative to their own last step, and the output is

    prediction = last value of the target + std change * (linear + recurrent)

(for a target that is positive throughout training, the change is a log ratio, and the
prediction is last value * exp(change): a series that grows by a percentage, prices, payrolls,
passengers, keeps its seasonal swing in proportion at levels never seen in training),

where the recurrent term starts at zero and the linear one at the baseline: an untrained
forecaster is the naive forecast the run is scored against (the last value, or the same point
one season ago), and it learns only what improves on that. The linear
term reads the whole relative window at once (the "autoregressive highway" of LSTNet, Lai et
al. 2018): the same point one season ago is one weight away, so a seasonal series is learnt
from a few dozen windows, which a recurrent layer alone needs many more for.

    SinceLastStep   each step of a window minus its last step (a log ratio for a positive target)
    LastStep        one feature's value at the window's last step
    ApplyChange     last value + change, or last value * exp(change)

`keras.layers` and `keras.ops` only; the layers are registered for safe-mode loading.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

TINY = 1e-6  # the smallest level a log ratio reads (a positive target that touches 0)


@keras.saving.register_keras_serializable(package="cookbook")
class SinceLastStep(layers.Layer):
    """(batch, steps, features) -> the same, minus each window's last step: a window of a
    trending series looks the same at any level. Feature `log_feature` (a positive target)
    becomes its log ratio to the last step instead, so a growth of 5% reads the same at 100
    as at 1,000."""

    def __init__(self, log_feature: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.log_feature = log_feature

    def call(self, windows):
        relative = windows - windows[:, -1:, :]
        if self.log_feature is None:
            return relative
        feature = self.log_feature
        logs = ops.log(ops.maximum(windows[:, :, feature : feature + 1], TINY))
        ratios = logs - logs[:, -1:, :]
        mask = ops.one_hot(feature, ops.shape(windows)[-1], dtype=windows.dtype)
        return relative * (1.0 - mask) + ratios * mask

    def get_config(self) -> dict:
        return {**super().get_config(), "log_feature": self.log_feature}


@keras.saving.register_keras_serializable(package="cookbook")
class LastStep(layers.Layer):
    """(batch, steps, features) -> (batch, 1): `feature`'s value at the last step."""

    def __init__(self, feature: int, **kwargs):
        super().__init__(**kwargs)
        self.feature = feature

    def call(self, windows):
        return windows[:, -1, self.feature : self.feature + 1]

    def get_config(self) -> dict:
        return {**super().get_config(), "feature": self.feature}


@keras.saving.register_keras_serializable(package="cookbook")
class ApplyChange(layers.Layer):
    """[last value, change] -> the forecast: last + change, or last * exp(change) for a
    target read in log ratios."""

    def __init__(self, ratio: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.ratio = ratio

    def call(self, inputs):
        last, change = inputs
        return last * ops.exp(change) if self.ratio else last + change

    def get_config(self) -> dict:
        return {**super().get_config(), "ratio": self.ratio}


def reads_ratios(windows) -> bool:
    """Whether a forecaster of these (training) windows reads its target in log ratios: when
    every target value the windows read is positive."""
    return bool(np.all(windows.rows_read[:, windows.target_feature] > 0))


def since_last_step(windows: np.ndarray, log_feature: int | None) -> np.ndarray:
    """`SinceLastStep` in NumPy, for statistics of the training windows."""
    relative = windows - windows[:, -1:, :]
    if log_feature is not None:
        logs = np.log(np.maximum(windows[:, :, log_feature], TINY))
        relative[:, :, log_feature] = logs - logs[:, -1:]
    return relative


def target_changes(y: np.ndarray, last: np.ndarray, ratio: bool) -> np.ndarray:
    """What the model predicts for each window: y - last, or log(y / last)."""
    if ratio:
        return np.log(np.maximum(y, TINY)) - np.log(np.maximum(last, TINY))
    return y - last


def applied_change(last: np.ndarray, change: np.ndarray, ratio: bool) -> np.ndarray:
    """`ApplyChange` in NumPy, the inverse of `target_changes`: the forecast in the target's
    units."""
    return last * np.exp(change) if ratio else last + change


def change_variance(relative_windows: np.ndarray) -> np.ndarray:
    """Each feature's mean square change from the window's last step (1 where it never
    changes): what `change_scaler` divides by."""
    variance = np.mean(np.square(relative_windows, dtype="float64"), axis=(0, 1))
    return np.where(variance > 0, variance, 1.0)


def change_scaler(variance: np.ndarray, name: str = "change_scale") -> layers.Layer:
    """Divide each feature's change by its spread over the training windows (no centring: a
    step with no change stays 0)."""
    return layers.Normalization(
        mean=np.zeros_like(variance, dtype="float32"),
        variance=variance.astype("float32"),
        name=name,
    )


def naive_kernel(
    shape: tuple[int, int], variance: np.ndarray, spread: float, step: int | None, feature: int
) -> np.ndarray:
    """The linear term's starting kernel that makes the forecaster a naive forecast: the
    target's value at window `step` (its change from the last step, unscaled). Zeros, the
    last value, when `step` is None or the last step."""
    kernel = np.zeros((shape[0] * shape[1], 1), dtype="float32")
    if step is not None:
        kernel[step * shape[1] + feature, 0] = np.sqrt(variance[feature]) / spread
    return kernel


def change_output(
    encoded: keras.KerasTensor,
    relative: keras.KerasTensor,
    windows: keras.KerasTensor,
    target_feature: int,
    spread: float,
    start: np.ndarray,
    ratio: bool = False,
) -> keras.KerasTensor:
    """The forecast in the target's units: its last value plus the predicted change, scaled
    by `spread` (the training changes' standard deviation). The linear term starts at `start`
    (`naive_kernel`) and the recurrent one at zero, so training starts from the baseline."""
    flat = layers.Flatten(name="flat_window")(relative)
    linear = layers.Dense(1, dtype="float32", name="linear")
    linear.build(flat.shape)
    linear.kernel.assign(start)
    recurrent = layers.Dense(1, kernel_initializer="zeros", dtype="float32", name="recurrent")(
        encoded
    )
    change = layers.Rescaling(spread, dtype="float32", name="change")(
        layers.Add(dtype="float32", name="scaled_change")([linear(flat), recurrent])
    )
    last = LastStep(target_feature, dtype="float32", name="last_value")(windows)
    return ApplyChange(ratio, dtype="float32", name="prediction")([last, change])
