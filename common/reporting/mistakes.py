"""Where a classifier errs: the confusion matrix, per-class scores, the worst mistakes.

    confusion_matrix_figure(y_true, y_pred, class_names, path)    counts, true by predicted
    per_class_report(y_true, y_pred, class_names)                 for metrics.json
    worst_misclassified_grid(images, y_true, probabilities, class_names, path)

The most confidently wrong images are the quickest way to see what a classifier has not
learnt (or which labels are wrong); they are titled "true → predicted (p)".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay, classification_report

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from common.reporting.figures import picture_grid, save_figure  # noqa: E402


def confusion_matrix_figure(
    y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str], path: Path
) -> Path:
    """The confusion matrix of integer labels as a PNG: counts, true class by predicted."""
    count = len(class_names)
    size = max(4.5, 0.45 * count + 2.5)
    figure, axis = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=np.arange(count),
        display_labels=list(class_names),
        include_values=count <= 30,
        cmap="Blues",
        colorbar=False,
        xticks_rotation=45 if count > 10 or max(map(len, class_names)) > 3 else "horizontal",
        ax=axis,
    )
    axis.set_title(f"Confusion matrix, {len(y_true)} test images")
    return save_figure(figure, path)


def per_class_report(
    y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str]
) -> dict[str, Any]:
    """scikit-learn's classification report as plain numbers for metrics.json:
    {class name: {precision, recall, f1-score, support}, "accuracy", "macro avg", ...}."""
    report = classification_report(
        y_true,
        y_pred,
        labels=np.arange(len(class_names)),
        target_names=list(class_names),
        output_dict=True,
        zero_division=0,
    )
    return {
        name: {k: int(v) if k == "support" else float(v) for k, v in value.items()}
        if isinstance(value, dict)
        else float(value)
        for name, value in report.items()
    }


def worst_misclassified(
    y_true: np.ndarray, probabilities: np.ndarray, count: int = 16
) -> np.ndarray:
    """Positions of at most `count` wrong predictions, most confident first."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != np.asarray(y_true))
    confidence = probabilities[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")[:count]]


def worst_misclassified_grid(
    images: np.ndarray,
    y_true: np.ndarray,
    probabilities: np.ndarray,
    class_names: Sequence[str],
    path: Path,
    count: int = 16,
) -> Path:
    """The `count` most confidently wrong `images`, each titled "true → predicted (p)"."""
    worst = worst_misclassified(y_true, probabilities, count)
    predicted = probabilities.argmax(axis=1)
    titles = [
        f"{class_names[y_true[i]]} → {class_names[predicted[i]]} ({probabilities[i].max():.2f})"
        for i in worst
    ]
    title = "Most confidently wrong test images: true → predicted (probability)"
    return picture_grid([images[i] for i in worst], titles, path, columns=8, title=title)
