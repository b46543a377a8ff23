"""Using a finished run: score it again (prediction: `predict`; exports: `export`).

    cookbook evaluate runs/binary/latest            test metrics of best.keras, beside the baseline

Models load with `safe_mode=True`. The preprocessing learned at training time (normalisation,
imputation, vocabularies, rescaling) is inside the model, so exports take raw inputs too.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import NamedTuple

import keras

from common.config.schema import Config
from common.errors import UserError
from common.reporting import warning_log
from common.reporting.verdict import lines as verdict_lines
from common.training import judging, runs
from common.training.recipe import Recipe, load_recipe
from common.training.results import load_model
from common.training.startup import set_up


class FinishedRun(NamedTuple):
    """A finished run, opened: its folder, resolved config, recipe and best.keras."""

    run_dir: Path
    config: Config
    recipe: Recipe
    model: keras.Model


def open_finished(run: str) -> FinishedRun:
    """The finished run at `run`, its best.keras loaded in safe mode."""
    run_dir, config = runs.open_run(run)
    model_path = run_dir / "best.keras"
    if not model_path.is_file():
        raise UserError(f"{run_dir} has no best.keras yet; finish it with --resume first.")
    if not zipfile.is_zipfile(model_path):  # Keras would call a damaged file "not found"
        raise UserError(
            f"{model_path} is damaged: not a whole .keras file ({model_path.stat().st_size} "
            "bytes; cut short on a full disk?). Train its config again in a new run: "
            f"`cookbook train {run_dir / 'config.yaml'}`."
        )
    warning_log.attach(run_dir)
    recipe = load_recipe(config.recipe)
    return FinishedRun(run_dir, config, recipe, load_model(model_path))


def evaluate(run: str) -> dict[str, float]:
    """The test split's metrics for the run's best.keras, with the baseline recorded at training."""
    run_dir, config, recipe, model = open_finished(run)
    set_up(config)
    dataset = recipe.dataset(config)
    scores, verdict = judging.rescored(recipe, config, model, run_dir, dataset)
    recorded = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    print(f"{run_dir}: {config.name} ({config.recipe}), best.keras on the test split")
    print(f"{'test':<14} {'model':>10} {'baseline':>12}")
    for name, value in scores.items():
        print(f"  {name:<12} {value:>10.4f} {recorded['baseline'].get(name, float('nan')):>12.4f}")
    if verdict is not None:
        print("\n".join(verdict_lines(verdict)))
    return scores
