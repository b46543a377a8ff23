"""The report's sections drawn from a run's CSV files: learning curves and test predictions.

    curves_section(run, prefix)        history.csv (and folds/*/history.csv), every metric
    predictions_section(run, prefix)   test_predictions.csv: confusion matrix, per-class
                                       scores, ROC and precision-recall, or residuals

These are the sections that plot: pandas reads the CSVs, scikit-learn's displays and
matplotlib (Agg: no display) draw, and each figure goes into the page as a PNG data URI. A CSV
that is missing, empty or cut short by a kill yields a note, not an error, so a report shows
whatever the run left. `cookbook runs` never imports this module: it answers at once.
"""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    PredictionErrorDisplay,
    RocCurveDisplay,
    classification_report,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from common.reporting.page import image, note, section, table  # noqa: E402
from common.reporting.run_files import read_labels  # noqa: E402
from common.reporting.run_folders import Run  # noqa: E402


def png_figure(figure: Any) -> str:
    """A matplotlib figure as a data URI (and closed, so long reports do not pile up memory)."""
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def epoch_axis(axis: Any) -> None:
    """Whole epochs on the x axis (a 2-epoch run would otherwise be ticked 1.0, 1.2, ...)."""
    axis.set_xlabel("epoch")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.grid(alpha=0.3)


def read_csv(path: Path):
    """A CSV as a DataFrame, or None when it is missing, empty or cut short (a run killed while
    writing it): a report shows what there is. CSVLogger's "NA" cells become NaN."""
    if not path.is_file():
        return None
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError):
        return None
    return frame if len(frame) else None


def history_frame(path: Path):
    """history.csv as a DataFrame, or None when it holds no curve to draw."""
    frame = read_csv(path)
    return frame if frame is not None and curve_names(frame) else None


def curve_names(frame) -> list[str]:
    """loss first, then each metric; val_ columns are drawn with their training twin."""
    names = [c for c in frame.columns if c not in ("epoch", "learning_rate")]
    names = [c for c in names if not c.startswith("val_") or c[4:] not in frame.columns]
    names.sort(key=lambda n: (n != "loss", n))
    if "learning_rate" in frame.columns and frame["learning_rate"].nunique() > 1:
        names.append("learning_rate")
    return names


def _curves_figure(histories: dict[str, Any], title: str) -> str:
    """One subplot per metric; training solid, validation dashed; one colour per history."""
    names = curve_names(next(iter(histories.values())))
    columns = min(3, len(names))
    rows = math.ceil(len(names) / columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(min(10.0, 1.0 + 3.4 * columns), 3.0 * rows), squeeze=False
    )
    for axis, name in zip(axes.flat, names, strict=False):
        for index, (label, frame) in enumerate(histories.items()):
            color = f"C{index}"
            prefix = f"{label} " if len(histories) > 1 else ""
            epochs = frame["epoch"] + 1 if "epoch" in frame else range(1, len(frame) + 1)
            if name in frame:
                axis.plot(epochs, frame[name], color=color, label=f"{prefix}training")
            validation = frame.get(f"val_{name}")
            if validation is not None and validation.notna().any():
                axis.plot(epochs, validation, "--", color=color, label=f"{prefix}validation")
        axis.set_title(name)
        epoch_axis(axis)
        axis.legend(fontsize=8)
    for axis in axes.flat[len(names) :]:
        axis.set_visible(False)
    figure.suptitle(title)
    return png_figure(figure)


def curves_section(run: Run, prefix: str) -> str:
    """Learning curves of the model, and of each fold for K-fold runs."""
    body = ""
    history = history_frame(run.path / "history.csv")
    final = "final model" if (run.path / "folds").is_dir() else run.name
    if history is not None:
        body += image(_curves_figure({final: history}, final), "history.csv")
    folds = {
        folder.name: frame
        for folder in sorted((run.path / "folds").glob("*"))
        if (frame := history_frame(folder / "history.csv")) is not None
    }
    if folds:
        body += image(_curves_figure(folds, "K-fold: each fold"), "folds/*/history.csv")
    return section("learning-curves", "Learning curves", body or note("no history.csv"), prefix)


def _read_predictions(run: Run):
    return read_csv(run.path / "test_predictions.csv")


def _class_names(run: Run, count: int) -> list[str]:
    names = read_labels(run.path) or []
    return names if len(names) == count else [str(index) for index in range(count)]


def predictions_section(run: Run, prefix: str) -> str:
    """Confusion matrix, per-class scores, ROC/PR or residuals from test_predictions.csv."""
    if run.task not in ("binary", "multiclass", "regression"):
        return ""
    frame = _read_predictions(run)
    if frame is None or "target" not in frame:
        return section(
            "predictions", "Test predictions", note("no test predictions recorded"), prefix
        )
    if "prediction" in frame:
        return _residuals_section(frame, prefix)
    if "probability" in frame:
        probabilities = np.stack([1.0 - frame["probability"], frame["probability"]], axis=1)
    else:
        columns = sorted(
            (c for c in frame.columns if c.startswith("prob_")), key=lambda c: int(c[5:])
        )
        probabilities = frame[columns].to_numpy()
    if probabilities.shape[1] < 2:
        missing = note("test_predictions.csv has no probability columns")
        return section("predictions", "Test predictions", missing, prefix)
    target = frame["target"].to_numpy().astype(int)
    names = _class_names(run, probabilities.shape[1])
    sections = _classification_sections(target, probabilities, names, prefix)
    if probabilities.shape[1] == 2:
        sections += _binary_curves(target, probabilities[:, 1], names, prefix)
    return sections


def _classification_sections(target, probabilities, names: list[str], prefix: str) -> str:
    """The confusion matrix (counts) and scikit-learn's classification report as a table."""
    predicted = probabilities.argmax(axis=1)
    labels = list(range(len(names)))
    size = min(12.0, 2.6 + 0.45 * len(names))
    figure, axis = plt.subplots(figsize=(size + 0.5, size))
    ConfusionMatrixDisplay.from_predictions(
        target,
        predicted,
        labels=labels,
        display_labels=names,
        ax=axis,
        colorbar=False,
        cmap="Blues",
        include_values=len(names) <= 20,
        xticks_rotation="vertical" if len(names) > 6 else "horizontal",
    )
    axis.set_title(f"test split: {len(target)} examples")
    matrix = section(
        "confusion-matrix",
        "Confusion matrix",
        image(png_figure(figure), "rows: true class, columns: predicted class"),
        prefix,
    )
    scores = classification_report(
        target, predicted, labels=labels, target_names=names, output_dict=True, zero_division=0
    )
    rows = [
        [name, values["precision"], values["recall"], values["f1-score"], int(values["support"])]
        for name, values in scores.items()
        if isinstance(values, dict)
    ]
    if "accuracy" in scores:
        rows.append(["accuracy", None, None, scores["accuracy"], len(target)])
    per_class = table(["class", "precision", "recall", "F1", "support"], rows)
    scores_section = section("per-class", "Per-class scores", per_class, prefix)
    return f'<div class="pair">{matrix}{scores_section}</div>'


def _binary_curves(target, positive, names: list[str], prefix: str) -> str:
    """ROC and precision-recall curves of P(class 1), through scikit-learn's displays."""
    if len(set(target.tolist())) < 2:
        return section("roc", "ROC curve", note("the test split holds one class only"), prefix)
    figure, axis = plt.subplots(figsize=(4.3, 4.0))
    RocCurveDisplay.from_predictions(target, positive, name=f"model ({names[1]})", ax=axis)
    axis.plot([0, 1], [0, 1], ":", color="grey", label="chance")
    axis.set(xlabel="false positive rate", ylabel=f"true positive rate ({names[1]})")
    axis.legend(loc="lower right")
    roc = section("roc", "ROC curve", image(png_figure(figure), "test split"), prefix)
    figure, axis = plt.subplots(figsize=(4.3, 4.0))
    PrecisionRecallDisplay.from_predictions(
        target, positive, name=f"model ({names[1]})", ax=axis, plot_chance_level=True
    )
    axis.set(xlabel=f"recall ({names[1]})", ylabel=f"precision ({names[1]})")
    axis.legend(loc="lower left")
    pr = section(
        "precision-recall",
        "Precision-recall curve",
        image(png_figure(figure), "test split"),
        prefix,
    )
    return f'<div class="pair">{roc}{pr}</div>'


def _residuals_section(frame, prefix: str) -> str:
    """Predicted against true, and residuals against predicted (scikit-learn's display)."""
    figure, axes = plt.subplots(1, 2, figsize=(10.0, 4.4))
    for axis, kind in zip(axes, ("actual_vs_predicted", "residual_vs_predicted"), strict=True):
        PredictionErrorDisplay.from_predictions(
            frame["target"], frame["prediction"], kind=kind, ax=axis, subsample=None
        )
    axes[0].set_title("predicted vs true")
    axes[1].set_title("residuals (true - predicted)")
    caption = f"test split: {len(frame)} examples"
    return section("residuals", "Residuals", image(png_figure(figure), caption), prefix)
