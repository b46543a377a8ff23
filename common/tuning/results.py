"""A sweep's results: leaderboard.csv (one row per trial, best first), the table printed at
the end, and best.yaml, the best trial's complete config, ready for `cookbook train`."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.config import to_yaml, with_overrides
from common.config.search_space import direction, yaml_text
from common.reporting import run_files
from common.tuning import hyperparameters
from common.tuning.hypermodel import ConfigHyperModel
from common.tuning.verdict import lines as verdict_lines
from common.tuning.verdict import sweep_verdict

if TYPE_CHECKING:
    import keras_tuner


def trial_owners(project_dir: Path) -> dict[str, str]:
    """trial id -> the tuner that ran it, from each tuner's saved state
    (`common.tuning.tuner.Sweep.get_state`)."""
    owners = {}
    for path in sorted(project_dir.glob("*.json")):
        if path.name != "oracle.json":
            state = json.loads(path.read_text(encoding="utf-8"))
            owners.update({trial_id: path.stem for trial_id in state.get("trials_run", [])})
    return owners


def leaderboard(tuner: keras_tuner.Tuner, hypermodel: ConfigHyperModel) -> list[dict[str, Any]]:
    """One row per trial, best first: the searched values as config values, any values the
    tuner adds itself (Hyperband's `tuner/epochs`, ...), the objective and the epochs."""
    oracle = tuner.oracle
    objective = hypermodel.config.tune.objective
    owners = trial_owners(Path(tuner.project_dir))
    rows = []
    for trial in oracle.get_best_trials(len(oracle.trials)):
        values = trial.hyperparameters.values
        row: dict[str, Any] = {"trial": trial.trial_id}
        for entry in hypermodel.entries:
            if entry.key in values:
                row[entry.key] = yaml_text(hyperparameters.decode(entry, values[entry.key]))
        row.update({name: value for name, value in sorted(values.items()) if name not in row})
        scored = trial.score is not None and math.isfinite(trial.score)
        row[objective] = trial.score if scored else ""
        start = values.get("tuner/initial_epoch", 0)
        row["best_epoch"] = start + trial.best_step + 1 if scored else ""
        epochs = trial.metrics.get_last_value("epochs") if trial.metrics.exists("epochs") else None
        row["epochs"] = int(epochs) if epochs is not None else ""
        row["status"] = trial.status
        row["tuner"] = owners.get(trial.trial_id, "")
        rows.append(row)
    return rows


def columns(rows: list[dict[str, Any]], hypermodel: ConfigHyperModel) -> list[str]:
    """trial, the searched keys, values the tuner adds, objective, epochs, status, tuner."""
    head = ["trial", *(entry.key for entry in hypermodel.entries)]
    tail = [hypermodel.config.tune.objective, "best_epoch", "epochs", "status", "tuner"]
    added = sorted({name for row in rows for name in row} - {*head, *tail})
    return [*head, *added, *tail]


def write_leaderboard(path: Path, rows: list[dict[str, Any]], names: list[str]) -> None:
    """Atomically (a temporary file, then a rename): a kill never leaves half a leaderboard."""
    with (
        run_files.atomic_path(path) as temporary,
        open(temporary, "w", newline="", encoding="utf-8") as file,
    ):
        writer = csv.DictWriter(file, fieldnames=names, restval="")
        writer.writeheader()
        writer.writerows(rows)


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    def cell(value: Any) -> str:
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    cells = [[cell(row.get(name, "")) for name in columns] for row in rows]
    widths = [max(len(name), *(len(line[i]) for line in cells)) for i, name in enumerate(columns)]
    lines = [columns, *cells]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def write_best(
    tuner: keras_tuner.Tuner, hypermodel: ConfigHyperModel, sweep_dir: Path
) -> Path | None:
    """best.yaml: the whole config of the best trial, named `<config>-tuned`, so that
    `cookbook train <sweep>/best.yaml` trains it under runs/<config>-tuned/."""
    best = [trial for trial in tuner.oracle.get_best_trials(1) if trial.status == "COMPLETED"]
    if not best:
        return None
    (trial,) = best
    config = hypermodel.config
    overrides = hyperparameters.trial_overrides(hypermodel.entries, trial.hyperparameters.values)
    best_config = with_overrides(config, overrides)
    best_config.name = f"{config.name}-tuned"
    path = sweep_dir / "best.yaml"
    header = (
        f"# Best trial {trial.trial_id} of the sweep in {sweep_dir} "
        f"({config.tune.objective} = {trial.score:.6g}):\n"
        f"#   {config.name} with {' '.join(overrides)}\n"
        f"# Train it: cookbook train {path}\n"
    )
    run_files.write_text(path, header + to_yaml(best_config))
    return path


def write_results(tuner: keras_tuner.Tuner, hypermodel: ConfigHyperModel, sweep_dir: Path) -> None:
    rows = leaderboard(tuner, hypermodel)
    if not rows:
        print("No trials ran.")
        return
    names = columns(rows, hypermodel)
    write_leaderboard(sweep_dir / "leaderboard.csv", rows, names)
    objective = hypermodel.config.tune.objective
    distributed = any(row["tuner"] not in ("", "tuner0") for row in rows)
    shown = [name for name in names if "/" not in name and (name != "tuner" or distributed)]
    print(f"\nSweep: {sweep_dir}  ({objective}, {direction(hypermodel.config)})")
    print(table(rows, shown))
    best = write_best(tuner, hypermodel, sweep_dir)
    if best is None:
        print("\nNo trial completed, so there is no best.yaml.")
    else:
        print(f"\nBest config: {best}\nTrain it:    cookbook train {best}")
        verdict = sweep_verdict(tuner, hypermodel, str(best))
        if verdict is not None:
            run_files.write_json(sweep_dir / "verdict.json", verdict)
            print("\n".join(verdict_lines(verdict)))
