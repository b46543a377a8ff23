"""The run folder's plots: learning curves (loss and the first metric, training beside
validation, per epoch), a forecast against persistence, a latent space coloured by label."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

from common.data.windows import WindowSet  # noqa: E402
from common.reporting.run_files import read_history  # noqa: E402


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


def forecast_plot(
    windows: WindowSet,
    predicted: np.ndarray,
    naive: np.ndarray,
    labels: tuple[str, str, str],
    path: Path,
    title: str,
) -> Path:
    """Truth, model and persistence over the target times of `windows`."""
    times = windows.target_times
    figure, axis = plt.subplots(figsize=(11, 4))
    axis.plot(times, windows.y, color="black", linewidth=1.2, label=labels[0])
    axis.plot(times, predicted, color="tab:blue", linewidth=1.2, label=labels[1])
    axis.plot(times, naive, color="tab:orange", linewidth=1, linestyle="--", label=labels[2])
    axis.set_title(title)
    axis.legend(loc="best", fontsize="small")
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def latent_plot(
    latent: np.ndarray, labels: np.ndarray, class_names: list[str] | None, path: Path, title: str
) -> Path:
    """A scatter of the latent vectors coloured by label; PCA to 2-D when the latent is larger."""
    if latent.shape[1] > 2:
        latent = PCA(n_components=2).fit_transform(latent)
        title += " (PCA projection)"
    figure, axis = plt.subplots(figsize=(6, 5))
    points = axis.scatter(latent[:, 0], latent[:, 1], c=labels, cmap="tab10", s=6)
    if class_names:
        handles, _ = points.legend_elements(num=len(class_names))
        axis.legend(handles, class_names, title="label", fontsize="small", loc="best")
    axis.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
