"""The sections of one run's report, from the files its folder holds, and the run as a whole.

    run_html(run)                      header, verdict, metrics, K-fold, curves, predictions, the
                                       recipe's scores and pictures, exports, config, environment
    run_html(run, "run-2-", level=2)   the same, one heading level lower, as one of several

Each section reads one file (metrics.json, export/metrics.json, config.yaml, environment.json,
the PNGs the recipe drew) and is left out, or replaced by a note, when the file is missing.
The sections that plot a CSV are in `common.reporting.charts`.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from common.reporting.charts import curves_section, predictions_section
from common.reporting.page import fmt, image, note, png_file, section, table
from common.reporting.run_folders import Run, read_json
from common.reporting.verdict_section import verdict_section

SERIES_FRAME = re.compile(r"epoch_(\d+)\.png$")  # per-epoch grids: only the last is shown
SKIPPED_PICTURES = {"learning_curve.png"}  # redrawn here with every metric and the folds
SKIPPED_FOLDERS = {"logs", "backup", "keras_tuner"}


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
        meta += note(f"Training failed{f' at {at}' if at else ''}: {run.failed.get('reason')}")
    return title + meta


def _metrics_section(run: Run, prefix: str) -> str:
    """Test metrics beside the baseline and the reference model, one metric a row."""
    metrics = run.metrics or {}
    test = metrics.get("test") or {}
    if not test:
        return section("metrics", "Test metrics", note("no test metrics recorded"), prefix)
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
    body = table(header, rows) + f'<p class="meta">{html.escape(epochs)}</p>'
    if metrics.get("reference_note"):
        body += note(str(metrics["reference_note"]))
    return section("metrics", "Test metrics", body, prefix)


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
            f"{fmt(score['mean'])} ± {fmt(score['std'])}",
            f"{fmt(base.get(name, {}).get('mean'))} ± {fmt(base.get(name, {}).get('std'))}",
        ]
        for name, score in summary.items()
    ]
    body = table(["metric", "model (mean ± std)", "baseline (mean ± std)"], rows)
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
        body += table(header, fold_rows)
    title = f"{len(folds) or '?'}-fold validation"
    return section("kfold", title, body, prefix)


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
        figures.append(image(png_file(path), caption))
    body = f'<div class="gallery">{"".join(figures)}</div>'
    return section("pictures", "The recipe's pictures", body, prefix)


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
    return section("recipe-scores", "The recipe's scores", table(["key", "value"], rows), prefix)


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(data, dict):
        return [item for k, v in data.items() for item in _flatten(v, f"{prefix}{k}.")]
    if isinstance(data, list):
        return [(prefix.rstrip("."), json.dumps(data)[:200])]
    return [(prefix.rstrip("."), data)]


def _export_section(run: Run, prefix: str) -> str:
    """Each exported format's file, size and test scores (export/metrics.json)."""
    exported = read_json(run.path / "export" / "metrics.json")
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
    formats_table = table(["format", "file", "size", *names], rows)
    return section("export", "Exported models (test split)", formats_table, prefix)


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
    config = section(
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
    body = table(["", "value"], rows) if rows else note("no environment.json")
    return config + section("environment", "Environment (environment.json)", body, prefix)


def run_html(run: Run, prefix: str = "", level: int = 1) -> str:
    """Every section of one run; `prefix` keeps ids apart when several runs share a page."""
    parts = [
        _header(run, level),
        verdict_section(run, prefix),
        _metrics_section(run, prefix),
        _kfold_section(run, prefix),
        curves_section(run, prefix),
        predictions_section(run, prefix),
        _extra_section(run, prefix),
        _pictures_section(run, prefix),
        _export_section(run, prefix),
        _setup_sections(run, prefix),
    ]
    return "".join(parts)
