"""The standard table: for each kind of target, its head, loss, metrics and common-sense baseline.

    binary      -> Dense(1, sigmoid)   + binary cross-entropy        ; baseline: majority class
    multiclass  -> Dense(k, softmax)   + sparse categorical CE       ; baseline: majority class
    multilabel  -> Dense(k, sigmoid)   + binary cross-entropy        ; baseline: label frequencies
    regression  -> Dense(1, linear)    + mean squared error, MAE     ; baseline: mean target

A baseline is scored by the same loss and metric objects as the model, on constant
predictions made from the training targets, so the two columns in metrics.json compare alike.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

TASKS = ("binary", "multiclass", "multilabel", "regression")
CLASSIFICATION = ("binary", "multiclass", "multilabel")


def initial_bias(task: str, targets: np.ndarray | None, num_classes: int | None):
    """Start the head at the baseline: the training mean for regression, the log-odds or
    log-priors of the classes for classification ("init well", Karpathy's training recipe)."""
    if targets is None:
        return "zeros"
    if task == "regression":
        value = np.mean(targets, axis=0)
    elif task == "binary":
        prior = np.clip(np.mean(targets), 1e-3, 1 - 1e-3)
        value = np.log(prior / (1 - prior))
    elif task == "multiclass":
        counts = np.bincount(targets.astype("int64"), minlength=num_classes) + 1.0
        value = np.log(counts / counts.sum())
    else:
        return "zeros"
    return keras.initializers.Constant(np.asarray(value, dtype="float32").tolist())


def head(
    x: keras.KerasTensor,
    task: str,
    num_classes: int | None = None,
    targets: np.ndarray | None = None,
    kernel_regularizer: keras.regularizers.Regularizer | None = None,
) -> keras.KerasTensor:
    """The output layer, kept in float32 so mixed precision leaves the loss stable. Given the
    training `targets`, its bias starts at the baseline's prediction. The dense recipes
    regularise it like their hidden layers: with `units: []` it is the whole model (a
    regularised logistic, softmax or ridge regression)."""
    bias = initial_bias(task, targets, num_classes)
    if task == "binary":
        units, activation, name = 1, "sigmoid", "probability"
    elif task == "multiclass":
        units, activation, name = num_classes, "softmax", "probabilities"
    elif task == "multilabel":
        units, activation, name = num_classes, "sigmoid", "probabilities"
    elif task == "regression":
        units, activation, name = 1, None, "prediction"
    else:
        raise ValueError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    return layers.Dense(
        units,
        activation=activation,
        bias_initializer=bias,
        kernel_regularizer=kernel_regularizer,
        dtype="float32",
        name=name,
    )(x)


def loss(task: str, name: str | None = None):
    """The task's standard loss, or the Keras loss `name` (from `trainer.loss`)."""
    if name:
        return keras.losses.get(name)
    return {
        "binary": keras.losses.BinaryCrossentropy,
        "multiclass": keras.losses.SparseCategoricalCrossentropy,
        "multilabel": keras.losses.BinaryCrossentropy,
        "regression": keras.losses.MeanSquaredError,
    }[task]()


def metrics(task: str) -> list[keras.metrics.Metric]:
    if task == "binary":
        return [keras.metrics.BinaryAccuracy(name="accuracy"), keras.metrics.AUC(name="auc")]
    if task == "multiclass":
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    if task == "multilabel":
        return [
            keras.metrics.BinaryAccuracy(name="accuracy"),
            keras.metrics.AUC(name="auc", multi_label=True),
        ]
    return [keras.metrics.MeanAbsoluteError(name="mae")]


def baseline_predictions(
    task: str, y_train: np.ndarray, count: int, num_classes: int | None
) -> np.ndarray:
    """Constant predictions from the training targets alone."""
    if task == "binary":
        prior = float(np.mean(y_train))
        return np.full((count, 1), prior, dtype="float32")
    if task == "multiclass":
        prior = np.bincount(y_train.astype("int64"), minlength=num_classes) / len(y_train)
        return np.tile(prior.astype("float32"), (count, 1))
    if task == "multilabel":
        return np.tile(np.mean(y_train, axis=0, dtype="float32"), (count, 1))
    return np.full((count, 1), float(np.mean(y_train)), dtype="float32")


def score(
    task: str, y_true: np.ndarray, y_pred: np.ndarray, loss_name: str | None = None
) -> dict[str, float]:
    """Loss and metrics of `y_pred`, named as `model.evaluate(..., return_dict=True)` names them."""
    y_true = y_true.reshape(len(y_true), -1) if task in ("binary", "regression") else y_true
    results = {"loss": float(keras.ops.mean(loss(task, loss_name)(y_true, y_pred)))}
    for metric in metrics(task):
        metric.update_state(y_true, y_pred)
        results[metric.name] = float(metric.result())
    return results


def baseline(
    task: str,
    y_train: np.ndarray,
    y_eval: np.ndarray,
    num_classes: int | None,
    loss_name: str | None = None,
) -> dict[str, float]:
    predictions = baseline_predictions(task, y_train, len(y_eval), num_classes)
    return score(task, y_eval, predictions, loss_name)
