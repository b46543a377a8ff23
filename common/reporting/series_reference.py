"""The classic reference for a forecast: a linear autoregression of the window's changes.

What a statistician fits first on a series is an AR model of its differences (of its logs, for
a series that grows by percentages). That is this reference: each window is read as the
forecaster reads it (every step minus the last one, a log ratio for a positive target:
`common.modeling.forecasting`), flattened, and `RidgeCV` (alpha by cross-validation) or
`HistGradientBoostingRegressor` predicts the target's change from the last value. The better
of the two on the validation windows (both are fitted on the training windows) is scored once
on the test windows, in the target's units, with the forecaster's metrics (MSE loss, MAE).

Windows are made as arrays here (the network streams them), so a series whose training
windows would not fit a quick fit is sampled down to `MAX_WINDOWS`, and a test part too large
to hold gets a note instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sklearn
from sklearn import metrics as sk_metrics
from sklearn.base import BaseEstimator
from sklearn.preprocessing import StandardScaler

from common.data.fingerprint import fingerprint as data_fingerprint
from common.data.windows import WindowSet
from common.modeling import forecasting
from common.reporting.reference import MAX_CELLS, candidates

MAX_WINDOWS = 20_000  # training windows sampled for the fit


def window_features(windows: WindowSet, count: int, ratio: bool) -> tuple[np.ndarray, ...]:
    """(flattened relative windows, the last value, the target) of up to `count` windows."""
    rows = windows.sample_rows(count)
    arrays = windows.windows_at(rows).astype("float64")
    feature = windows.target_feature
    relative = forecasting.since_last_step(arrays, feature if ratio else None)
    return relative.reshape(len(rows), -1), arrays[:, -1, feature], windows.target[rows]


def forecast(model: BaseEstimator, windows: WindowSet, ratio: bool) -> tuple[np.ndarray, ...]:
    """The model's forecasts of every window, in the target's units, and the targets."""
    x, last, y = window_features(windows, len(windows), ratio)
    return forecasting.applied_change(last, model.predict(x), ratio), y


def fingerprint(split, x_test: WindowSet) -> str:
    parts = [split.x_train, split.x_val, x_test]
    rows = [[w.rows.start, w.rows.stop, w.rows.step] if w is not None else [] for w in parts]
    shape = [x_test.sequence_length, x_test.sampling_rate, x_test.horizon, x_test.target_feature]
    return data_fingerprint(
        x_test.series,
        x_test.target,
        np.asarray(sum(rows, []) + shape),
        label=f"series reference 2 {sklearn.__version__}",
    )


def fit_reference(split, x_test: WindowSet) -> dict[str, Any]:
    """{"reference": {"loss", "mae"}, "reference_model": name}, or {"reference_note": why}.
    Without validation windows the ridge autoregression is the reference."""
    train = split.x_train
    if len(x_test) * train.sequence_length * train.series.shape[1] > MAX_CELLS:
        return {"reference_note": "no reference: the test windows are too many to hold"}
    print("fitting the scikit-learn reference ...")
    ratio = forecasting.reads_ratios(train)
    x, last, y = window_features(train, MAX_WINDOWS, ratio)
    changes = forecasting.target_changes(y, last, ratio)
    models = candidates("regression", StandardScaler(), is_table=False)
    if split.has_validation and len(split.x_val):
        chosen = {}
        for name, model in models.items():
            predicted, truth = forecast(model.fit(x, changes), split.x_val, ratio)
            chosen[name] = -sk_metrics.mean_absolute_error(truth, predicted)
        best = max(chosen, key=chosen.get)
    else:
        best = "RidgeCV"
        models[best].fit(x, changes)
    predicted, truth = forecast(models[best], x_test, ratio)
    scores = {
        "loss": float(sk_metrics.mean_squared_error(truth, predicted)),
        "mae": float(sk_metrics.mean_absolute_error(truth, predicted)),
    }
    name = "RidgeCV (autoregression of changes)" if best == "RidgeCV" else best
    errors = np.abs(np.asarray(truth, "float64") - predicted).round(6).tolist()
    return {"reference": scores, "reference_model": name, "reference_per_example": errors}
