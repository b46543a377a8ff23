"""Finished runs as `cookbook report` and `cookbook runs` see them: one `Run` per run folder.

    run = read_run(Path("runs/binary/latest"))   # config.yaml, metrics.json, ... read once
    run.status, run.key_metric, run.score("test")
    expand_argument("runs/binary")               # a group folder: its finished runs

Both commands read the same files and answer the same questions (is it finished, which
metric matters, what did it score), so that reading is written once, here, with the user
errors for arguments that name no run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.config import read_yaml
from common.errors import UserError
from common.reporting.page import GENERATOR, page
from common.reporting.run_files import is_sweep

KEY_METRICS = {
    "binary": "accuracy",
    "multiclass": "accuracy",
    "regression": "mae",
    "segmentation": "mean_iou",
    "vae": "reconstruction_loss",
    "seq2seq": "exact_match",
}


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


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON file of the run folder (None when missing); a damaged one is the user's to fix."""
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{path} is not valid JSON ({error}); remove or repair it.") from None


def read_run(path: Path, shown: str | None = None) -> Run:
    """A run folder's files; a folder without config.yaml is not a run."""
    folder = path.resolve()
    if not (folder / "config.yaml").is_file():
        raise UserError(f"{shown or path} is not a run folder (no config.yaml).")
    return Run(
        path=folder,
        shown=shown or str(path),
        config=read_yaml(folder / "config.yaml") or {},
        metrics=read_json(folder / "metrics.json"),
        environment=read_json(folder / "environment.json") or {},
        failed=read_json(folder / "failed.json"),
    )


def run_folders(group: Path) -> list[Path]:
    """The training runs in a group folder, oldest first: not `latest` and other symlinks, not
    KerasTuner sweeps, not stray files."""
    return sorted(
        child
        for child in group.iterdir()
        if child.is_dir()
        and not child.is_symlink()
        and not is_sweep(child)
        and (child / "config.yaml").is_file()
    )


def expand_argument(argument: str) -> list[Run]:
    """One RUN argument: a run folder, or a group folder whose finished runs all count."""
    path = Path(argument)
    if not path.exists():
        raise UserError(f"{argument} not found; name a run folder, e.g. runs/binary/latest.")
    if (path / "config.yaml").is_file():
        if is_sweep(path.resolve()):
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


def report_target(arguments: list[str], output: str | None) -> Path:
    """Where `cookbook report` writes: `--output`, else `RUN/report.html` for one run folder,
    else `report.html` in the current folder (several runs, or a config's folder)."""
    if output:
        return Path(output)
    found: list[Path] = []
    for argument in arguments:
        for run in expand_argument(argument):
            if run.path not in found:
                found.append(run.path)
    single = len(found) == 1 and (Path(arguments[0]) / "config.yaml").is_file()
    return (found[0] if single else Path.cwd()) / "report.html"


def written_by_report(path: Path) -> bool:
    """Whether `path` is a page `cookbook report` wrote: it carries the generator mark in its
    head (`common.reporting.page.GENERATOR`), or (a page from before the mark) the frame of
    every report page. A page of another tool, or the user's own, has neither."""
    head, middle, end = page("\0", "\0").split("\0")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if GENERATOR in text.split("</head>", 1)[0]:
        return True
    return text.startswith(head) and middle in text and text.endswith(end)


def check_overwritable(target: Path, output: str | None) -> None:
    """`cookbook report` replaces only its own pages: any other file at `target` (the user's
    report.html, a page from an older version) is refused, naming the way out."""
    if target.is_dir():
        raise UserError(f"{target} is a folder; pass --output PATH.html to name the page.")
    if not target.exists() or written_by_report(target):
        return
    way_out = "choose another path" if output else "pass --output PATH.html to write elsewhere"
    raise UserError(
        f"{target} exists and is not a page `cookbook report` wrote; it is left as it is: "
        f"{way_out}, or remove it first."
    )
