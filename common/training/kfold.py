"""K-fold validation: one model per fold scores the configuration (mean ± std over the folds,
beside the baseline's), and the folds' best epochs set how long the final model trains.

    runs/<name>/<id>/folds/<fold>/result.json    each finished fold's scores; a resumed run
                                                 skips the folds it finds here
    runs/<name>/<id>/folds/<fold>/best.keras     the fold's model, kept for an ensemble of the
                                                 folds (`trainer.ensemble`)

Every worker of a cluster reads the chief's results, so all of them skip the same folds.
"""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from common.config.schema import Config
from common.data import splits
from common.data.dataset import Dataset
from common.reporting import run_files
from common.training import callbacks as callbacks_module
from common.training.fitting import best_epoch, fit
from common.training.results import evaluate, mean_and_std

if TYPE_CHECKING:
    from common.training.recipe import Recipe
    from common.training.startup import Workspace


def run_kfold(
    recipe: Recipe, config: Config, strategy, dataset: Dataset, workspace: Workspace
) -> dict[str, Any]:
    """Score the configuration on K folds; returns the per-fold and summary entries. With
    `trainer.ensemble` each fold keeps its best model, and a fold counts as finished only
    once that is written."""
    monitor = callbacks_module.monitor_name(config, has_validation=True)
    keep_models = config.trainer.ensemble
    folds = []
    for split in splits.kfold(dataset, config.data, config.split_seed, recipe.stratify):
        result_path = workspace.run_dir / "folds" / split.name / "result.json"
        kept = result_path.with_name("best.keras")
        if result_path.is_file() and (kept.is_file() or not keep_models):
            folds.append(json.loads(result_path.read_text(encoding="utf-8")))
            continue
        print(
            f"\n{split.name}: {len(split.x_train)} training, {len(split.x_val)} validation examples"
        )
        fitted = fit(
            recipe,
            config,
            strategy,
            split,
            workspace,
            workspace.write_dir / "folds" / split.name,
            workspace.write_dir / "logs" / split.name,
            config.trainer.epochs,
            save_models=keep_models,
        )
        result = {
            "fold": split.name,
            "validation": evaluate(recipe, config, fitted.model, split.x_val, split.y_val),
            "baseline": recipe.baseline(split, split.x_val, split.y_val, config.trainer),
            "best_epoch": best_epoch(fitted.history, monitor),
            "epochs": len(fitted.history),
        }
        if workspace.is_chief:
            run_files.write_json(result_path, result)
        shutil.rmtree(workspace.backup(split), ignore_errors=True)
        folds.append(result)
        keras.backend.clear_session(free_memory=True)
    return {
        "folds": folds,
        "kfold": mean_and_std([f["validation"] for f in folds]),
        "kfold_baseline": mean_and_std([f["baseline"] for f in folds]),
    }


def final_epochs(config: Config, folds: list[dict[str, Any]]) -> int:
    """The final model's epochs: the folds' mean best epoch with early stopping, else
    `trainer.epochs`."""
    if not config.trainer.early_stopping.enabled:
        return config.trainer.epochs
    return max(1, round(float(np.mean([fold["best_epoch"] for fold in folds]))))
