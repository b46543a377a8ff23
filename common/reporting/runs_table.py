"""`cookbook runs`: every run under a folder, one line each, without starting TensorFlow.

    print_runs(None, "runs")       every config's runs, oldest first per config
    print_runs("binary", "runs")   runs/binary/ only

A plain-text table (run, config, recipe, key metric, model, baseline, reference, verdict,
epochs, started, status) that answers at once: it reads only the JSON and YAML files of each folder,
so nothing here imports matplotlib, pandas or scikit-learn.
"""

from __future__ import annotations

from pathlib import Path

from common.errors import UserError
from common.reporting.page import fmt
from common.reporting.run_folders import Run, read_run, run_folders


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


def _runs_row(run: Run) -> dict[str, str]:
    reference = run.score("reference")
    reference_text = fmt(reference)
    if reference is not None and run.metrics and run.metrics.get("reference_model"):
        reference_text += f" ({run.metrics['reference_model']})"
    finished = run.metrics is not None
    return {
        "run": run.shown,
        "config": run.name,
        "recipe": str(run.config.get("recipe", "-")),
        "metric": run.key_metric if finished else "-",
        "model": fmt(run.score("test")),
        "baseline": fmt(run.score("baseline")),
        "reference": reference_text,
        "verdict": verdict_cell((run.metrics or {}).get("verdict")),
        "epochs": fmt((run.metrics or {}).get("epochs")),
        "started": str(run.environment.get("started_at", "-")),
        "status": run.status,
    }


def verdict_cell(verdict: dict | None) -> str:
    """'fine', 'did not learn', ... with a mark for the baseline: ✓ beaten beyond noise, ✗ not."""
    if not verdict:
        return "-"
    mark = "✓" if verdict.get("beats_baseline") else "✗"
    return f"{mark} {verdict.get('diagnosis', '?')}"


def _text_table(rows: list[dict[str, str]]) -> str:
    """Left-aligned columns, as wide as their widest cell, two spaces apart."""
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(row[c]) for row in rows)) for c in columns}
    lines = [columns] + [[row[c] for c in columns] for row in rows]
    return "\n".join(
        "  ".join(cell.ljust(widths[c]) for c, cell in zip(columns, line, strict=True)).rstrip()
        for line in lines
    )
