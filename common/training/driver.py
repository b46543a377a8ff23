"""The one driver every recipe runs through.

    config -> strategy -> data -> split(s) -> build in scope -> fit -> evaluate -> artifacts

Holdout: one model, validated on a held-out part of the training data, then scored once on the
test split. K-fold: one model per fold scores the configuration (mean ± std); then a final model
is trained on all training data for the mean best epoch count, and scored on the test split
(with `trainer.ensemble`, the folds' models averaged take its place: `ensemble.of_folds`).
Each fit resumes from its BackupAndRestore folder, so a killed run continues where it stopped;
Ctrl-C or SIGTERM once the run folder is known raises `RunStopped`, which names it.

In a cluster (MultiWorkerMirroredStrategy) every worker runs this same driver; only the chief
writes the run folder. The others write to a temporary folder that is removed at the end and
keep just their BackupAndRestore state in `backup/<role>/`, seeded from the chief's on a
restart so that every worker resumes from the same epoch.

The steps live beside it: `startup` (strategy, backend choices, the run folder), `fitting`
(one fit and its callbacks), `kfold` (the folds), `results` (scores, files, summaries).
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from common.config.run_info import RunInfo
from common.config.schema import Config
from common.data import pipeline, splits
from common.data.dataset import Dataset, joinable
from common.data.splits import Split
from common.distribute import strategies
from common.errors import RunStopped, Terminated, UserError
from common.modeling import predicting
from common.reporting import plots, run_files, warning_log
from common.training import callbacks as callbacks_module
from common.training import ensemble, judging, runs
from common.training.fitting import Fitted, best_epoch, build, fit
from common.training.kfold import final_epochs, run_kfold
from common.training.recipe import Recipe, load_recipe
from common.training.results import (
    first_line,
    load_model,
    print_summary,
    reference_scores,
    scores_and_outputs,
    write_predictions,
)
from common.training.startup import (
    Workspace,
    check_dataset,
    environment,
    open_workspace,
    reopen_backend_choices,
    set_up,
)

# Tasks whose test outputs go to test_predictions.csv (the report's curves and residuals).
PREDICTION_TASKS = ("binary", "multiclass", "regression")


def train(config: Config, run_dir: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Train `config` in a new run folder, or in `run_dir` (resuming it if unfinished).
    The data is loaded and checked first: bad data leaves no run folder behind.

    Raises:
        RunStopped: on Ctrl-C or SIGTERM once the run folder is known (from the start when
            resuming `run_dir`), carrying it for the resume hint.
    """
    known = run_dir  # the folder a stop can be resumed from, once there is one
    try:
        automatic, moved = reopen_backend_choices(config, run_dir)
        strategy = set_up(config)
        recipe = load_recipe(config.recipe)
        if config.trainer.ensemble and recipe.task not in ensemble.TASKS:
            raise UserError(
                "trainer.ensemble averages class probabilities or values, which "
                f"{config.recipe} models do not output: set trainer.ensemble=false."
            )
        dataset = recipe.dataset(config)
        check_dataset(dataset, recipe.task)
        check_refit(config, dataset)
        config.data.cache = pipeline.resolved_cache(config.data.cache, dataset.x_train)
        fresh = run_dir is None
        group = Path(config.output.dir) / config.name
        previous_latest = runs.latest_target(group) if fresh else None
        workspace = open_workspace(config, strategy, run_dir)
        known = run_dir = workspace.run_dir
        if workspace.is_chief:
            warning_log.attach(run_dir)
        if (run_dir / "metrics.json").is_file():
            print(f"{run_dir} already finished; nothing to resume.")
            return run_dir, json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
        if moved and workspace.is_chief:
            runs.write_config(run_dir, config)  # this backend's choices, as resolved now
        in_cluster = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        print(f"Run folder: {run_dir}" + (f" ({workspace.role})" if in_cluster else ""))
        if workspace.is_chief:
            (run_dir / "failed.json").unlink(missing_ok=True)
        try:
            metrics = train_and_score(recipe, config, strategy, workspace, dataset, automatic)
        except Terminated:
            raise  # a stop, not a failure: the backup resumes it
        except Exception as error:
            if workspace.is_chief and record_failure(run_dir, error, fresh, previous_latest):
                known = None  # removed: nothing left to resume
            raise
        finally:
            if not workspace.is_chief:
                shutil.rmtree(workspace.write_dir, ignore_errors=True)
    except (KeyboardInterrupt, Terminated) as stop:
        if known is None:
            raise
        raise RunStopped(known, "train", isinstance(stop, Terminated)) from stop
    print_summary(run_dir, metrics)
    return run_dir, metrics


def check_refit(config: Config, dataset: Dataset) -> None:
    """`trainer.refit` needs a validation part to pick its epoch count, and parts it can join
    (not a stream's), checked before any run folder."""
    if not config.trainer.refit:
        return
    if not (joinable(dataset.x_train) and joinable(dataset.y_train)):
        raise UserError(
            "trainer.refit retrains on training + validation joined in memory, and this "
            "CSV streams: set trainer.refit=false (or data.stream=false, for one file that "
            "fits in memory)."
        )
    given = dataset.x_val is not None and len(dataset.x_val) > 0
    carved = config.data.validation_split > 0
    if config.data.split == "holdout" and not (given or carved):
        raise UserError(
            "trainer.refit picks the epoch count on a validation part, and this run has none "
            "(data.validation_split=0): set data.validation_split=0.2 (or give "
            "data.validation_path), or data.split=kfold, whose final model always trains on "
            "all the training data."
        )


def record_failure(
    run_dir: Path, error: Exception, fresh: bool, previous_latest: str | None
) -> bool:
    """A new run that failed before finishing an epoch is removed (and `latest` points back
    where it was); a run with epochs to keep is marked failed, with the reason, and resumable.
    Returns whether the run folder was removed."""
    started = any(run_files.read_history(path) for path in run_dir.rglob("history.csv"))
    if fresh and not started:
        runs.remove_unstarted(run_dir, previous_latest)
        return True
    reason = str(error) if isinstance(error, UserError) else f"{type(error).__name__}: {error}"
    runs.mark_failed(run_dir, first_line(reason))
    return False


def train_and_score(
    recipe: Recipe,
    config: Config,
    strategy,
    workspace: Workspace,
    dataset: Dataset,
    automatic: list[str] | None = None,
) -> dict[str, Any]:
    """The run inside its workspace: the folds (K-fold), the final model, its scores beside the
    baseline's and the reference's, the recipe's report, and metrics.json last."""
    folder = workspace.write_dir
    if workspace.is_chief:
        run_files.write_json(folder / "environment.json", environment(config, strategy, automatic))
        if dataset.class_names:  # one name per line, in label order (TF Serving's labels.txt)
            run_files.write_text(folder / "labels.txt", "\n".join(dataset.class_names) + "\n")
    metrics: dict[str, Any] = {"config": config.name, "recipe": config.recipe, "task": recipe.task}

    split = splits.final_model_split(dataset, config.data, config.split_seed, recipe.stratify)
    epochs = config.trainer.epochs
    if config.data.split != "holdout":
        metrics.update(run_kfold(recipe, config, strategy, dataset, workspace))
        epochs = final_epochs(config, metrics["folds"])
    if config.data.split != "holdout" and config.trainer.ensemble:
        # The folds' models, averaged, are the run's model: no final fit on all the data.
        model, metrics["ensemble"] = ensemble.of_folds(
            recipe, config, dataset, workspace, metrics["folds"]
        )
        fitted = Fitted(model, [], holds_best=True)
        metrics["epochs"] = round(float(np.mean([f.get("epochs", 0) for f in metrics["folds"]])))
    else:
        fitted = final_fit(recipe, config, strategy, split, workspace, epochs)
        model = fitted.model
        metrics["epochs"] = len(fitted.history)
    validation = None
    if split.has_validation:
        monitor = callbacks_module.monitor_name(config, True)
        metrics["best_epoch"] = best_epoch(fitted.history, monitor)
        validation_data = recipe.batches(split.x_val, split.y_val, config, False)
        metrics["validation"], validation = scores_and_outputs(model, validation_data)
    test_data = recipe.batches(dataset.x_test, dataset.y_test, config, False)
    if config.trainer.refit and split.has_validation:
        model, split, fitted = refit(
            recipe, config, strategy, split, dataset, workspace, metrics, model
        )
    # One pass over the test split gives its scores and test_predictions.csv.
    metrics["test"], test = scores_and_outputs(model, test_data)
    metrics["baseline"] = recipe.baseline(split, dataset.x_test, dataset.y_test, config.trainer)
    metrics.update(recipe.report(model, dataset, RunInfo.of(config, folder), test))
    task = metrics.get("task", recipe.task)
    reference_values = None
    if config.trainer.reference and workspace.is_chief:
        reference = reference_scores(config, task, split, dataset)
        reference_values = reference.pop("reference_per_example", None)
        metrics.update(reference)
    if workspace.is_chief and task in PREDICTION_TASKS:
        if test is None:
            test = predicting.predict_split(model, test_data)
        write_predictions(test, task, folder / "test_predictions.csv", dataset.test_names)
    # Every worker scores the training split (a replicated model's evaluate is collective).
    passes = {"test": test, "validation": validation}
    verdict = judging.run_verdict(
        recipe, config, model, split, dataset, metrics, fitted.history, passes, reference_values
    )
    if verdict is not None:
        metrics["verdict"] = verdict
        if workspace.is_chief and config.output.tensorboard.enabled:
            judging.write_summary(folder / "logs", verdict, metrics["epochs"])
    if config.output.plot:
        plots.learning_curve(folder / "history.csv", folder / "learning_curve.png", config.name)
    if workspace.is_chief:  # metrics.json first: a kill after it leaves a finished run
        run_files.write_json(folder / "metrics.json", metrics)
    shutil.rmtree(workspace.backup(split).parent, ignore_errors=True)
    with contextlib.suppress(OSError):  # the last worker to finish removes the empty folder
        (workspace.run_dir / "backup").rmdir()
    return metrics


def final_fit(
    recipe: Recipe, config: Config, strategy, split: Split, workspace: Workspace, epochs: int
) -> Fitted:
    """The run's model: the holdout fit, or (K-fold) all training data for `epochs`; its
    `model` holds the best epoch's weights (best.keras: without validation, the last's)."""
    folder = workspace.write_dir
    if split.name == "final":
        print(f"\nfinal model: all {len(split.x_train)} training examples, {epochs} epochs")
    log_dir = folder / "logs" / ("final" if split.name == "final" else "")
    fitted = fit(recipe, config, strategy, split, workspace, folder, log_dir, epochs)
    best_path = folder / ("best.keras" if split.has_validation else "last.keras")
    if (folder / "validated.keras").is_file():  # resumed after a refit replaced best.keras
        best_path = folder / "validated.keras"
    if not split.has_validation:
        with run_files.atomic_path(folder / "best.keras") as temporary:
            shutil.copyfile(folder / "last.keras", temporary)
    if not fitted.holds_best:  # resumed past its best epoch, or replicated
        fitted = Fitted(load_model(best_path), fitted.history, holds_best=True)
    return fitted


def refit(recipe, config, strategy, split, dataset, workspace, metrics, validated):
    """`trainer.refit`: the validated model's scores go under metrics["validated"]; a fresh
    model trains on training + validation (carved or given: a validation file, folder or
    period) for the best epoch count and becomes the run's model (best.keras; the validated
    one stays as validated.keras)."""
    folder = workspace.write_dir
    test_data = recipe.batches(dataset.x_test, dataset.y_test, config, False)
    metrics["validated"] = {
        "test": scores_and_outputs(validated, test_data)[0],
        "validation": metrics.get("validation"),
        "best_epoch": metrics["best_epoch"],
        "epochs": metrics["epochs"],
    }
    epochs = metrics["best_epoch"]
    whole = splits.training_and_validation(split)
    print(f"\nrefit: a fresh model on all {len(whole.x_train)} training examples, {epochs} epochs")
    fitted = fit(
        recipe,
        config,
        strategy,
        whole,
        workspace,
        folder / "refit",
        folder / "logs" / "refit",
        epochs,
    )
    model = fitted.model if fitted.holds_best else load_model(folder / "refit" / "last.keras")
    if workspace.is_chief and (folder / "best.keras").is_file():
        if not (folder / "validated.keras").is_file():
            shutil.copyfile(folder / "best.keras", folder / "validated.keras")
        with run_files.atomic_path(folder / "best.keras") as temporary:
            shutil.copyfile(folder / "refit" / "last.keras", temporary)
    metrics["refit"] = {"epochs": epochs, "train_examples": len(whole.x_train)}
    metrics["epochs"] = len(fitted.history)
    return model, whole, fitted


def check(config: Config) -> dict[str, Any]:
    """Validate, build under the strategy and run one training step; writes no run folder."""
    strategy = set_up(config)
    recipe = load_recipe(config.recipe)
    split = splits.holdout(recipe.dataset(config), config.data, config.split_seed, recipe.stratify)
    model = build(recipe, config, strategy, split, config.trainer.epochs)
    data = recipe.batches(split.x_train, split.y_train, config, True)
    history = model.fit(data.take(1), epochs=1, shuffle=False, verbose=0)
    # `loss`, or the first loss a custom train_step logs (a GAN's `discriminator_loss`).
    logs = history.history
    loss = float((logs.get("loss") or next(v for k, v in logs.items() if k.endswith("loss")))[-1])
    return {
        "recipe": config.recipe,
        "parameters": model.count_params(),
        "loss_after_one_step": loss,
        **strategies.describe(strategy),
    }
