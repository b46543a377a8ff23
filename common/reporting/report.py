"""`cookbook report`: one self-contained HTML page for a finished run, or several compared.

    write_report(["runs/binary/latest"], None)   -> runs/binary/<id>/report.html
    write_report(["runs/binary/"], None)         -> ./report.html, every finished run compared

Everything in the page is read from the run folder, without starting TensorFlow:
metrics.json, history.csv (and folds/*/history.csv), config.yaml, environment.json,
labels.txt, test_predictions.csv, export/metrics.json, failed.json and the PNGs the recipe
drew. The pieces live beside this module: `run_folders` reads a run, `page` is the HTML and
CSS, `sections` and `charts` are one run's sections, `comparison` sets several side by side.
`cookbook runs`, the plain-text table of every run, is `runs_table`.
"""

from __future__ import annotations

from pathlib import Path

from common.errors import UserError
from common.reporting.comparison import comparison_section
from common.reporting.page import page
from common.reporting.run_files import write_text
from common.reporting.run_folders import Run, expand_argument
from common.reporting.sections import run_html


def write_report(runs: list[str], output: str | None) -> Path:
    """Write the report of `runs` (run folders or group folders) and return its path."""
    found: list[Run] = []
    for argument in runs:
        for run in expand_argument(argument):
            if all(run.path != seen.path for seen in found):
                found.append(run)
    single = len(found) == 1 and (Path(runs[0]) / "config.yaml").is_file()
    target = Path(output) if output else (found[0].path if single else Path.cwd()) / "report.html"
    if single:
        text = page(f"{found[0].name} — {found[0].path.name}", run_html(found[0]))
    else:
        sections = "".join(
            f'<div class="run" id="run-{i}-">{run_html(run, f"run-{i}-", 2)}</div>'
            for i, run in enumerate(found, start=1)
        )
        text = page(
            "Runs compared",
            f"<h1>{len(found)} runs compared</h1>" + comparison_section(found) + sections,
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text(target, text)
    except OSError as error:
        raise UserError(f"cannot write {target} ({error.strerror}); pass --output PATH.") from None
    return _relative(target)


def _relative(path: Path) -> Path:
    """The path as short as the user would type it: relative to the current folder if inside."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
