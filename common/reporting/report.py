"""`cookbook report` and `cookbook runs`: look at finished runs without starting TensorFlow.

    write_report(["runs/binary/latest"], None)   -> runs/binary/<id>/report.html
    write_report(["runs/binary/"], None)         -> ./report.html, every finished run compared
    print_runs(None, "runs")                     -> a plain-text table of every run

The report is one self-contained HTML file (inline CSS, images as base64 PNG data URIs, no
scripts), so it can be mailed, attached to a ticket or opened offline. Everything in it is read
from the run folder: metrics.json, history.csv (and folds/*/history.csv), config.yaml,
environment.json, labels.txt, test_predictions.csv, export/metrics.json, failed.json and the
PNGs the recipe drew. Scores from predictions come from scikit-learn, pictures from matplotlib
(Agg); both are imported only when a report is written, so `cookbook runs` answers at once.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import UserError
from common.training import runs as runs_module

KEY_METRICS = {"binary": "accuracy", "multiclass": "accuracy", "regression": "mae"}
SERIES_FRAME = re.compile(r"epoch_(\d+)\.png$")  # per-epoch grids: only the last is shown
SKIPPED_PICTURES = {"learning_curve.png"}  # redrawn here with every metric and the folds
NUMBER = re.compile(r"^[-+]?[\d,.]+( ± [-+]?[\d,.]+)?( KiB)?$")
SKIPPED_FOLDERS = {"logs", "backup", "keras_tuner"}
CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
       background: #fff; margin: 0 auto; max-width: 1080px; padding: 24px 32px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 21px; margin: 40px 0 8px;
  border-bottom: 2px solid #d0d7de; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 24px 0 6px; color: #353c44; }
.meta { color: #59636e; margin: 0 0 16px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; }
th { background: #f0f3f6; } td.n { text-align: right; }
.pair { display: flex; flex-wrap: wrap; gap: 0 32px; align-items: flex-start; }
tr:nth-child(even) td { background: #f8f9fb; }
img { max-width: 100%; height: auto; display: block; margin: 6px 0 2px;
      border: 1px solid #eaeef2; }
figure { margin: 12px 0 20px; } figcaption { color: #59636e; font-size: 13px; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: 10px 14px; overflow-x: auto;
      font-size: 13px; line-height: 1.4; }
.status { display: inline-block; padding: 1px 10px; border-radius: 10px; font-size: 13px;
          font-weight: 600; color: #fff; vertical-align: middle; }
.finished { background: #1a7f37; } .failed { background: #cf222e; }
.unfinished { background: #9a6700; }
.note { color: #59636e; font-style: italic; }
.run { margin-top: 48px; }
.gallery { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
a { color: #0969da; }
"""


# --------------------------------------------------------------------------------------------
# Reading run folders
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    """What a run folder holds, read once; `metrics` is None until the run finishes."""

    path: Path
    shown: str  # the path as the user named it (or as found under a group)
    config: dict[str, Any]
    metrics: dict[str, Any] | None
    environment: dict[str, Any] = field(default_factory=dict)
    failed: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return str(self.config.get("name") or self.path.parent.name)

    @property
    def status(self) -> str:
        if self.failed is not None:
            return f"failed: {self.failed.get('reason', 'unknown reason')}"
        return "finished" if self.metrics is not None else "unfinished"

    @property
    def task(self) -> str:
        return str((self.metrics or {}).get("task", ""))

    @property
    def key_metric(self) -> str:
        """accuracy / mae for the standard tasks, else loss, else the first test metric."""
        test = (self.metrics or {}).get("test", {})
        name = KEY_METRICS.get(self.task, "loss")
        return name if name in test or not test else next(iter(test))

    def score(self, section: str) -> float | None:
        """The key metric in metrics.json's `section` (test, baseline, reference)."""
        value = (self.metrics or {}).get(section, {})
        value = value.get(self.key_metric) if isinstance(value, dict) else None
        return float(value) if isinstance(value, (int, float)) else None


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{path} is not valid JSON ({error}); remove or repair it.") from None


def read_run(path: Path, shown: str | None = None) -> Run:
    """A run folder's files; a folder without config.yaml is not a run."""
    from common.config import read_yaml

    folder = path.resolve()
    if not (folder / "config.yaml").is_file():
        raise UserError(f"{shown or path} is not a run folder (no config.yaml).")
    return Run(
        path=folder,
        shown=shown or str(path),
        config=read_yaml(folder / "config.yaml") or {},
        metrics=_read_json(folder / "metrics.json"),
        environment=_read_json(folder / "environment.json") or {},
        failed=_read_json(folder / "failed.json"),
    )


def run_folders(group: Path) -> list[Path]:
    """The training runs in a group folder, oldest first: not `latest` and other symlinks, not
    KerasTuner sweeps, not stray files."""
    return sorted(
        child
        for child in group.iterdir()
        if child.is_dir()
        and not child.is_symlink()
        and not runs_module.is_sweep(child)
        and (child / "config.yaml").is_file()
    )


def _expand(argument: str) -> list[Run]:
    """One RUN argument: a run folder, or a group folder whose finished runs all count."""
    path = Path(argument)
    if not path.exists():
        raise UserError(f"{argument} not found; name a run folder, e.g. runs/binary/latest.")
    if (path / "config.yaml").is_file():
        if runs_module.is_sweep(path.resolve()):
            raise UserError(
                f"{argument} is a KerasTuner sweep, not a training run; report a run folder."
            )
        run = read_run(path, argument)
        if run.metrics is None and run.failed is None:
            raise UserError(
                f"{argument} is unfinished (no metrics.json); "
                f"finish it with `cookbook train --resume {argument}`."
            )
        return [run]
    if not path.is_dir() or not any(
        (child / "config.yaml").is_file() for child in path.iterdir() if child.is_dir()
    ):
        raise UserError(f"{argument} is not a run folder (no config.yaml).")
    found = [read_run(child, str(child)) for child in run_folders(path)]
    finished = [run for run in found if run.metrics is not None]
    if not finished:
        raise UserError(
            f"{argument} holds no finished runs; train one with `cookbook train {path.name}`."
        )
    return finished


# --------------------------------------------------------------------------------------------
# HTML pieces
# --------------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    """Numbers to 4 decimals (thousands grouped), anything else as text; None is '-'."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.1f}" if abs(value) >= 1000 else f"{value:.4f}"
    return str(value)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(_cell(c, i == 0) for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Markup(str):
    """A table cell that is HTML already (a link), not text to escape."""


def _cell(value: Any, label: bool = False) -> str:
    """Numbers (and "mean ± std", sizes) right-aligned so their digits line up; a row's
    label (its first cell) stays left-aligned even when it is a class number."""
    if isinstance(value, Markup):
        return f"<td>{value}</td>"
    text = _fmt(value)
    numeric = not label and (isinstance(value, (int, float)) or NUMBER.match(text))
    return f'<td class="n">{html.escape(text)}</td>' if numeric else f"<td>{html.escape(text)}</td>"


def _section(kind: str, title: str, body: str, prefix: str) -> str:
    """A section whose class names its kind (tests and readers find `section.roc`); a run's
    sections sit one heading level lower when several runs share the page (`prefix`)."""
    level = 3 if prefix else 2
    return (
        f'<section class="{kind}" id="{prefix}{kind}"><h{level}>{html.escape(title)}</h{level}>'
        f"{body}</section>"
    )


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


def _image(data_uri: str, caption: str) -> str:
    alt = html.escape(caption, quote=True)
    return (
        f'<figure><img src="{data_uri}" alt="{alt}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _png_file(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _png_figure(figure) -> str:
    """A matplotlib figure as a data URI (and closed, so long reports do not pile up memory)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _pyplot():
    """pyplot on the Agg backend: no display, and no GUI toolkit import."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# --------------------------------------------------------------------------------------------
# Sections of one run
# --------------------------------------------------------------------------------------------


def _status_badge(run: Run) -> str:
    kind = run.status.split(":")[0]
    return f'<span class="status {kind}">{html.escape(run.status)}</span>'


def _header(run: Run, level: int) -> str:
    started = run.environment.get("started_at", "-")
    recipe = run.config.get("recipe", "?")
    title = f"<h{level}>{html.escape(run.name)} {_status_badge(run)}</h{level}>"
    task = f" · task {run.task}" if run.task else ""
    meta = (
        f'<p class="meta">{html.escape(run.shown)} · recipe {html.escape(str(recipe))}'
        f"{html.escape(task)} · started {html.escape(str(started))}</p>"
    )
    if run.failed is not None:
        at = run.failed.get("at")
        meta += _note(f"Training failed{f' at {at}' if at else ''}: {run.failed.get('reason')}")
    return title + meta


def _metrics_section(run: Run, prefix: str) -> str:
    """Test metrics beside the baseline and the reference model, one metric a row."""
    metrics = run.metrics or {}
    test = metrics.get("test") or {}
    if not test:
        return _section("metrics", "Test metrics", _note("no test metrics recorded"), prefix)
    baseline = metrics.get("baseline") or {}
    reference = metrics.get("reference") or {}
    header = ["metric", "model"] + (["baseline"] if baseline else [])
    if reference:
        header.append(f"reference ({metrics.get('reference_model', 'reference')})")
    validation = metrics.get("validation") or {}
    if validation:
        header.append("validation")
    rows = []
    for name, value in test.items():
        row = [name, value] + ([baseline.get(name)] if baseline else [])
        if reference:
            row.append(reference.get(name))
        if validation:
            row.append(validation.get(name))
        rows.append(row)
    epochs = f"{metrics.get('epochs', '-')} epochs"
    if "best_epoch" in metrics:
        epochs += f", best epoch {metrics['best_epoch']}"
    body = _table(header, rows) + f'<p class="meta">{html.escape(epochs)}</p>'
    if metrics.get("reference_note"):
        body += _note(str(metrics["reference_note"]))
    return _section("metrics", "Test metrics", body, prefix)


def _kfold_section(run: Run, prefix: str) -> str:
    """Mean ± std over the folds beside the baseline, then one row per fold."""
    metrics = run.metrics or {}
    if "kfold" not in metrics:
        return ""
    summary = metrics["kfold"]
    base = metrics.get("kfold_baseline", {})
    rows = [
        [
            name,
            f"{_fmt(score['mean'])} ± {_fmt(score['std'])}",
            f"{_fmt(base.get(name, {}).get('mean'))} ± {_fmt(base.get(name, {}).get('std'))}",
        ]
        for name, score in summary.items()
    ]
    body = _table(["metric", "model (mean ± std)", "baseline (mean ± std)"], rows)
    folds = metrics.get("folds") or []
    if folds:
        names = list(folds[0].get("validation", {}))
        fold_rows = [
            [fold.get("fold", index + 1)]
            + [fold.get("validation", {}).get(n) for n in names]
            + [fold.get("baseline", {}).get(n) for n in names]
            + [fold.get("best_epoch")]
            for index, fold in enumerate(folds)
        ]
        header = ["fold", *names, *(f"baseline {n}" for n in names), "best epoch"]
        body += _table(header, fold_rows)
    title = f"{len(folds) or '?'}-fold validation"
    return _section("kfold", title, body, prefix)


def _read_csv(path: Path):
    """A CSV as a DataFrame, or None when it is missing, empty or cut short (a run killed while
    writing it): a report shows what there is. CSVLogger's "NA" cells become NaN."""
    import pandas as pd

    if not path.is_file():
        return None
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError):
        return None
    return frame if len(frame) else None


def _read_history(path: Path):
    frame = _read_csv(path)
    return frame if frame is not None and _curve_names(frame) else None


def _curve_names(frame) -> list[str]:
    """loss first, then each metric; val_ columns are drawn with their training twin."""
    names = [c for c in frame.columns if c not in ("epoch", "learning_rate")]
    names = [c for c in names if not c.startswith("val_") or c[4:] not in frame.columns]
    names.sort(key=lambda n: (n != "loss", n))
    if "learning_rate" in frame.columns and frame["learning_rate"].nunique() > 1:
        names.append("learning_rate")
    return names


def _curves_figure(histories: dict[str, Any], title: str) -> str:
    """One subplot per metric; training solid, validation dashed; one colour per history."""
    plt = _pyplot()
    names = _curve_names(next(iter(histories.values())))
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
        _epoch_axis(axis)
        axis.legend(fontsize=8)
    for axis in axes.flat[len(names) :]:
        axis.set_visible(False)
    figure.suptitle(title)
    return _png_figure(figure)


def _epoch_axis(axis) -> None:
    """Whole epochs on the x axis (a 2-epoch run would otherwise be ticked 1.0, 1.2, ...)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_xlabel("epoch")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.grid(alpha=0.3)


def _curves_section(run: Run, prefix: str) -> str:
    """Learning curves of the model, and of each fold for K-fold runs."""
    body = ""
    history = _read_history(run.path / "history.csv")
    final = "final model" if (run.path / "folds").is_dir() else run.name
    if history is not None:
        body += _image(_curves_figure({final: history}, final), "history.csv")
    folds = {
        folder.name: frame
        for folder in sorted((run.path / "folds").glob("*"))
        if (frame := _read_history(folder / "history.csv")) is not None
    }
    if folds:
        body += _image(_curves_figure(folds, "K-fold: each fold"), "folds/*/history.csv")
    return _section("learning-curves", "Learning curves", body or _note("no history.csv"), prefix)


def _read_predictions(run: Run):
    return _read_csv(run.path / "test_predictions.csv")


def _class_names(run: Run, count: int) -> list[str]:
    names = runs_module.read_labels(run.path) or []
    return names if len(names) == count else [str(index) for index in range(count)]


def _predictions_section(run: Run, prefix: str) -> str:
    """Confusion matrix, per-class scores, ROC/PR or residuals from test_predictions.csv."""
    if run.task not in ("binary", "multiclass", "regression"):
        return ""
    frame = _read_predictions(run)
    if frame is None or "target" not in frame:
        return _section(
            "predictions", "Test predictions", _note("no test predictions recorded"), prefix
        )
    if "prediction" in frame:
        return _residuals_section(frame, prefix)
    if "probability" in frame:
        import numpy as np

        probabilities = np.stack([1.0 - frame["probability"], frame["probability"]], axis=1)
    else:
        columns = sorted(
            (c for c in frame.columns if c.startswith("prob_")), key=lambda c: int(c[5:])
        )
        probabilities = frame[columns].to_numpy()
    if probabilities.shape[1] < 2:
        note = _note("test_predictions.csv has no probability columns")
        return _section("predictions", "Test predictions", note, prefix)
    target = frame["target"].to_numpy().astype(int)
    names = _class_names(run, probabilities.shape[1])
    sections = _classification_sections(target, probabilities, names, prefix)
    if probabilities.shape[1] == 2:
        sections += _binary_curves(target, probabilities[:, 1], names, prefix)
    return sections


def _classification_sections(target, probabilities, names: list[str], prefix: str) -> str:
    """The confusion matrix (counts) and scikit-learn's classification report as a table."""
    from sklearn.metrics import ConfusionMatrixDisplay, classification_report

    plt = _pyplot()
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
    matrix = _section(
        "confusion-matrix",
        "Confusion matrix",
        _image(_png_figure(figure), "rows: true class, columns: predicted class"),
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
    table = _table(["class", "precision", "recall", "F1", "support"], rows)
    scores_section = _section("per-class", "Per-class scores", table, prefix)
    return f'<div class="pair">{matrix}{scores_section}</div>'


def _binary_curves(target, positive, names: list[str], prefix: str) -> str:
    """ROC and precision-recall curves of P(class 1), through scikit-learn's displays."""
    from sklearn.metrics import PrecisionRecallDisplay, RocCurveDisplay

    plt = _pyplot()
    if len(set(target.tolist())) < 2:
        return _section("roc", "ROC curve", _note("the test split holds one class only"), prefix)
    figure, axis = plt.subplots(figsize=(4.3, 4.0))
    RocCurveDisplay.from_predictions(target, positive, name=f"model ({names[1]})", ax=axis)
    axis.plot([0, 1], [0, 1], ":", color="grey", label="chance")
    axis.set(xlabel="false positive rate", ylabel=f"true positive rate ({names[1]})")
    axis.legend(loc="lower right")
    roc = _section("roc", "ROC curve", _image(_png_figure(figure), "test split"), prefix)
    figure, axis = plt.subplots(figsize=(4.3, 4.0))
    PrecisionRecallDisplay.from_predictions(
        target, positive, name=f"model ({names[1]})", ax=axis, plot_chance_level=True
    )
    axis.set(xlabel=f"recall ({names[1]})", ylabel=f"precision ({names[1]})")
    axis.legend(loc="lower left")
    pr = _section(
        "precision-recall",
        "Precision-recall curve",
        _image(_png_figure(figure), "test split"),
        prefix,
    )
    return f'<div class="pair">{roc}{pr}</div>'


def _residuals_section(frame, prefix: str) -> str:
    """Predicted against true, and residuals against predicted (scikit-learn's display)."""
    from sklearn.metrics import PredictionErrorDisplay

    plt = _pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(10.0, 4.4))
    for axis, kind in zip(axes, ("actual_vs_predicted", "residual_vs_predicted"), strict=True):
        PredictionErrorDisplay.from_predictions(
            frame["target"], frame["prediction"], kind=kind, ax=axis, subsample=None
        )
    axes[0].set_title("predicted vs true")
    axes[1].set_title("residuals (true - predicted)")
    caption = f"test split: {len(frame)} examples"
    return _section("residuals", "Residuals", _image(_png_figure(figure), caption), prefix)


def _pictures(run_dir: Path) -> list[Path]:
    """The recipe's PNGs, top level first; of a per-epoch series folder, only its last frame."""
    found = [
        path
        for path in run_dir.rglob("*.png")
        if not SKIPPED_FOLDERS & set(path.relative_to(run_dir).parts[:-1])
        and path.relative_to(run_dir).as_posix() not in SKIPPED_PICTURES
    ]
    last_frames: dict[Path, Path] = {}
    kept = []
    for path in found:
        if SERIES_FRAME.search(path.name):
            best = last_frames.get(path.parent)
            if best is None or path.name > best.name:
                last_frames[path.parent] = path
        else:
            kept.append(path)
    kept += last_frames.values()
    return sorted(kept, key=lambda p: (len(p.relative_to(run_dir).parts), p.as_posix()))


def _pictures_section(run: Run, prefix: str) -> str:
    pictures = _pictures(run.path)
    if not pictures:
        return ""
    figures = []
    for path in pictures:
        caption = path.relative_to(run.path).as_posix()
        if SERIES_FRAME.search(path.name):
            frames = len([p for p in path.parent.glob("*.png") if SERIES_FRAME.search(p.name)])
            caption += f" (last of {frames} per-epoch frames)"
        figures.append(_image(_png_file(path), caption))
    body = f'<div class="gallery">{"".join(figures)}</div>'
    return _section("pictures", "The recipe's pictures", body, prefix)


def _extra_section(run: Run, prefix: str) -> str:
    """Whatever else the recipe put in metrics.json (reconstruction, quality scores), flat."""
    known = {
        "config",
        "recipe",
        "task",
        "test",
        "baseline",
        "reference",
        "reference_model",
        "reference_note",
        "validation",
        "epochs",
        "best_epoch",
        "kfold",
        "kfold_baseline",
        "folds",
    }
    rows = [
        [key, value]
        for key, value in _flatten({k: v for k, v in (run.metrics or {}).items() if k not in known})
    ]
    if not rows:
        return ""
    return _section("recipe-scores", "The recipe's scores", _table(["key", "value"], rows), prefix)


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, dict):
        return [item for k, v in data.items() for item in _flatten(v, f"{prefix}{k}.")]
    if isinstance(data, list):
        return [(prefix.rstrip("."), json.dumps(data)[:200])]
    return [(prefix.rstrip("."), data)]


def _export_section(run: Run, prefix: str) -> str:
    """Each exported format's file, size and test scores (export/metrics.json)."""
    exported = _read_json(run.path / "export" / "metrics.json")
    formats = (exported or {}).get("formats") or {}
    if not formats:
        return ""
    names = list(dict.fromkeys(n for entry in formats.values() for n in entry.get("test", {})))
    rows = [
        [
            name,
            entry.get("file"),
            f"{entry['size_bytes'] / 1024:,.1f} KiB" if "size_bytes" in entry else None,
            *(entry.get("test", {}).get(n) for n in names),
        ]
        for name, entry in formats.items()
    ]
    table = _table(["format", "file", "size", *names], rows)
    return _section("export", "Exported models (test split)", table, prefix)


ENVIRONMENT_KEYS = [
    "started_at",
    "python",
    "tensorflow",
    "keras",
    "backend",
    "strategy",
    "replicas",
    "devices",
    "seed",
    "deterministic",
    "precision",
    "global_batch_size",
    "host",
    "command",
]


def _setup_sections(run: Run, prefix: str) -> str:
    """The config as trained (config.yaml) and where it ran (environment.json)."""
    config_text = (run.path / "config.yaml").read_text(encoding="utf-8")
    config = _section(
        "config", "Config (config.yaml)", f"<pre>{html.escape(config_text)}</pre>", prefix
    )
    environment = run.environment
    keys = [k for k in ENVIRONMENT_KEYS if k in environment]
    keys += [k for k in environment if k not in keys]
    rows = [
        [key, " ".join(map(str, v)) if isinstance(v, list) else v]
        for key in keys
        for v in [environment[key]]
    ]
    body = _table(["", "value"], rows) if rows else _note("no environment.json")
    return config + _section("environment", "Environment (environment.json)", body, prefix)


def run_html(run: Run, prefix: str = "", level: int = 1) -> str:
    """Every section of one run; `prefix` keeps ids apart when several runs share a page."""
    parts = [
        _header(run, level),
        _metrics_section(run, prefix),
        _kfold_section(run, prefix),
        _curves_section(run, prefix),
        _predictions_section(run, prefix),
        _extra_section(run, prefix),
        _pictures_section(run, prefix),
        _export_section(run, prefix),
        _setup_sections(run, prefix),
    ]
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# Several runs: the comparison
# --------------------------------------------------------------------------------------------


def _comparison_section(found: list[Run]) -> str:
    """One row per run, then every run's validation loss on one plot."""
    rows = [
        [
            Markup(f'<a href="#run-{index}-">{index}. {html.escape(run.path.name)}</a>'),
            run.name,
            run.key_metric,
            run.score("test"),
            run.score("baseline"),
            run.score("reference"),
            (run.metrics or {}).get("epochs"),
            run.status,
        ]
        for index, run in enumerate(found, start=1)
    ]
    header = ["run", "config", "metric", "model", "baseline", "reference", "epochs", "status"]
    body = _table(header, rows) + _loss_overlay(found)
    return _section("comparison", "Comparison", body, "")


def _loss_overlay(found: list[Run]) -> str:
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(10.0, 4.0))
    drawn = 0
    for index, run in enumerate(found, start=1):
        frame = _read_history(run.path / "history.csv")
        if frame is None:
            continue
        column = "val_loss" if frame.get("val_loss") is not None else "loss"
        if frame[column].isna().all():
            column = "loss"
        if column not in frame:
            continue
        suffix = "" if column == "val_loss" else " (training loss)"
        axis.plot(frame["epoch"] + 1, frame[column], label=f"{index}. {run.path.name}{suffix}")
        drawn += 1
    if not drawn:
        plt.close(figure)
        return _note("no history.csv to compare")
    _epoch_axis(axis)
    axis.set_ylabel("validation loss")
    axis.legend(fontsize=8)
    return _image(_png_figure(figure), "validation loss of each run")


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def write_report(runs: list[str], output: str | None) -> Path:
    """Write the report of `runs` (run folders or group folders) and return its path."""
    found: list[Run] = []
    for argument in runs:
        for run in _expand(argument):
            if all(run.path != seen.path for seen in found):
                found.append(run)
    single = len(found) == 1 and (Path(runs[0]) / "config.yaml").is_file()
    target = Path(output) if output else (found[0].path if single else Path.cwd()) / "report.html"
    if single:
        page = _page(f"{found[0].name} — {found[0].path.name}", run_html(found[0]))
    else:
        sections = "".join(
            f'<div class="run" id="run-{i}-">{run_html(run, f"run-{i}-", 2)}</div>'
            for i, run in enumerate(found, start=1)
        )
        page = _page(
            "Runs compared",
            f"<h1>{len(found)} runs compared</h1>" + _comparison_section(found) + sections,
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        runs_module.write_text(target, page)
    except OSError as error:
        raise UserError(f"cannot write {target} ({error.strerror}); pass --output PATH.") from None
    return _relative(target)


def _relative(path: Path) -> Path:
    """The path as short as the user would type it: relative to the current folder if inside."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


# --------------------------------------------------------------------------------------------
# `cookbook runs`
# --------------------------------------------------------------------------------------------


def _runs_row(run: Run) -> dict[str, str]:
    reference = run.score("reference")
    reference_text = _fmt(reference)
    if reference is not None and run.metrics and run.metrics.get("reference_model"):
        reference_text += f" ({run.metrics['reference_model']})"
    finished = run.metrics is not None
    return {
        "run": run.shown,
        "config": run.name,
        "recipe": str(run.config.get("recipe", "-")),
        "metric": run.key_metric if finished else "-",
        "model": _fmt(run.score("test")),
        "baseline": _fmt(run.score("baseline")),
        "reference": reference_text,
        "epochs": _fmt((run.metrics or {}).get("epochs")),
        "started": str(run.environment.get("started_at", "-")),
        "status": run.status,
    }


def print_runs(config: str | None, root: str) -> None:
    """Print one line per run under `root` (or `root/<config>`), oldest first per config."""
    base = Path(root)
    if not base.is_dir():
        raise UserError(
            f"{root} not found; train a run first (`cookbook train binary`) or pass --root."
        )
    groups = [base / config] if config else sorted(p for p in base.iterdir() if p.is_dir())
    found = [
        read_run(folder, str(folder))
        for group in groups
        if group.is_dir()
        for folder in run_folders(group)
    ]
    if not found:
        where = base / config if config else base
        print(f"no runs under {where}; train one with `cookbook train {config or 'binary'}`.")
        return
    print(_text_table([_runs_row(run) for run in found]))


def _text_table(rows: list[dict[str, str]]) -> str:
    """Left-aligned columns, as wide as their widest cell, two spaces apart."""
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(row[c]) for row in rows)) for c in columns}
    lines = [columns] + [[row[c] for c in columns] for row in rows]
    return "\n".join(
        "  ".join(cell.ljust(widths[c]) for c, cell in zip(columns, line, strict=True)).rstrip()
        for line in lines
    )
