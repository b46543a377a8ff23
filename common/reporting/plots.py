"""The learning-curve PNG: loss and the first metric, training beside validation, per epoch."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from common.training.runs import read_history  # noqa: E402


def learning_curve(history_csv: Path, output: Path, title: str) -> Path | None:
    rows = read_history(history_csv)
    if not rows:
        return None
    epochs = [int(row["epoch"]) + 1 for row in rows]
    names = [k for k in rows[0] if k not in ("epoch", "learning_rate") and not k.startswith("val_")]
    figure, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.6), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        axis.plot(epochs, [float(row[name]) for row in rows], label="training")
        # CSVLogger writes "NA" for validation columns when a fit has no validation data.
        # A legend only beside a second line (placing it costs a third of the plot's time).
        if rows[0].get(f"val_{name}", "NA") != "NA":
            axis.plot(epochs, [float(row[f"val_{name}"]) for row in rows], label="validation")
            axis.legend()
        axis.set_xlabel("epoch")
        axis.set_title(f"{name} (training)" if len(axis.lines) == 1 else name)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(output, dpi=100)
    plt.close(figure)
    return output
