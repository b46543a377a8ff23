"""The one driver every recipe runs through.

    config -> strategy -> data -> split(s) -> build in scope -> fit -> evaluate -> artifacts

Holdout: one model, validated on a held-out part of the training data, then scored once on the
test split. K-fold: one model per fold scores the configuration (mean ± std); then a final model
is trained on all training data for the mean best epoch count, and scored on the test split.
Each fit resumes from its BackupAndRestore folder, so a killed run continues where it stopped.

In a cluster (MultiWorkerMirroredStrategy) every worker runs this same driver; only the chief
writes the run folder. The others write to a temporary folder that is removed at the end and
keep just their BackupAndRestore state in `backup/<role>/`, seeded from the chief's on a
restart so that every worker resumes from the same epoch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import platform
import shutil
import socket
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from common.config.schema import Config, ScheduleConfig, higher_is_better
from common.data import pipeline, sources, splits
from common.data.splits import Split
from common.distribute import strategies
from common.errors import Terminated, UserError
from common.modeling import predicting, vision
from common.modeling.optimizers import make_optimizer
from common.modeling.options import AugmentOptions
from common.reporting import plots, reference
from common.training import backend_choices, runs
from common.training import callbacks as callbacks_module
from common.training.recipe import load_recipe

# Tasks whose test outputs go to test_predictions.csv (the report's curves and residuals).
PREDICTION_TASKS = ("binary", "multiclass", "regression")


@dataclass
class Workspace:
    """Where this process writes: `out` is the run folder on the chief, a temporary folder on
    the other workers of a cluster. Backups live in the run folder for every worker."""

    run_dir: Path
    out: Path
    role: str
    is_chief: bool

    def backup(self, split: Split) -> Path:
        return self.run_dir / "backup" / self.role / split.name

    def chief_backup(self, split: Split) -> Path:
        return self.run_dir / "backup" / "chief" / split.name


def set_up(config: Config) -> tf.distribute.Strategy:
    """Strategy first (logical devices must be configured before TensorFlow starts), then
    the strategy's defaults, seeds and determinism. The dtype policy is set by `build`."""
    strategy = strategies.make_strategy(config.distribute)
    strategies.resolve_trainer_defaults(config.trainer, strategies.resolve_name(config.distribute))
    augment = getattr(config.model, "augment", None)
    if isinstance(augment, AugmentOptions):
        vision.resolve_placement(augment)  # before config.yaml is written
    keras.utils.set_random_seed(config.seed)
    if config.trainer.deterministic:
        tf.config.experimental.enable_op_determinism()
    return strategy


def environment(
    config: Config, strategy: tf.distribute.Strategy, automatic: list[str] | None = None
) -> dict[str, Any]:
    """What ran, where and with what: environment.json. `automatic`: the backend-dependent keys
    that were `auto` (`backend_choices`), resolved for this backend."""
    return {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": sys.argv,
        "host": socket.gethostname(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "devices": [device.name for device in tf.config.list_logical_devices()],
        **strategies.describe(strategy),
        "strategy_config": config.distribute.strategy,
        "seed": config.seed,
        "deterministic": config.trainer.deterministic,
        "precision": config.trainer.precision,
        "jit_compile": config.trainer.jit_compile,
        "steps_per_execution": config.trainer.steps_per_execution,
        "global_batch_size": config.data.batch_size,
        "automatic": automatic or [],
    }


def class_weights(config: Config, split: Split, task: str) -> dict[int, float] | None:
    weight = config.trainer.class_weight
    if weight is None or task not in ("binary", "multiclass"):
        return None
    if weight == "balanced":
        from sklearn.utils.class_weight import compute_class_weight

        classes = np.unique(split.y_train)
        values = compute_class_weight("balanced", classes=classes, y=split.y_train)
        return {int(c): float(v) for c, v in zip(classes, values, strict=True)}
    return {int(k): float(v) for k, v in weight.items()}


def build(recipe, config: Config, strategy, split: Split, epochs: int) -> keras.Model:
    """Model, optimizer and metrics, all created inside the strategy's scope, under the
    configured dtype policy (set here because `clear_session()` between folds and between
    tuning trials resets it to float32)."""
    keras.mixed_precision.set_dtype_policy(config.trainer.precision)
    steps_per_epoch = max(1, math.ceil(len(split.x_train) / config.data.batch_size))
    replicas = strategy.num_replicas_in_sync if config.distribute.scale_learning_rate else 1
    with strategy.scope():
        model = recipe.build_model(split, config.model)
        optimizer = make_optimizer(config.optimizer, steps_per_epoch, epochs, replicas)
        compile_model(recipe, model, optimizer, config)
    return model


def compile_model(recipe, model: keras.Model, optimizer, config: Config) -> None:
    """The recipe's `compile_model`, then the optimizer's slot variables (moments, velocities)
    made now, eagerly. Keras leaves them to the first trace of the train step when no strategy
    is set, where each becomes an initialize-once `cond` in the graph: DenseNet-40's first epoch
    took 7-11 s longer that way (BENCHMARKS.md). Skipped for a model that builds on its first
    batch."""
    recipe.compile_model(model, optimizer, config)
    compiled = getattr(model, "optimizer", None)  # the recipe may wrap or replace it
    if model.built and compiled is not None and not compiled.built:
        compiled.build(model.trainable_variables)


def fit(
    recipe,
    config: Config,
    strategy,
    split: Split,
    workspace: Workspace,
    folder: Path,
    log_dir: Path,
    epochs: int,
    save_models: bool = True,
) -> tuple[keras.Model, list[dict[str, str]]]:
    """Train on `split`, resuming from its backup if an earlier attempt was killed. With
    `trainer.fine_tune.epochs`, a second phase fine-tunes the model's backbone: each phase has
    its own backup, so a kill in either resumes in that phase."""
    folder.mkdir(parents=True, exist_ok=True)
    backups = [workspace.backup(split)]
    fine_tune = config.trainer.fine_tune
    if fine_tune.epochs:
        backups.append(workspace.backup(split).with_name(f"{split.name}-fine_tune"))
    for backup_dir in backups:
        chief = workspace.chief_backup(split).with_name(backup_dir.name)
        if not workspace.is_chief and chief.is_dir():
            # Weights are identical on every worker; the chief's backup is the one to agree on.
            shutil.copytree(chief, backup_dir, dirs_exist_ok=True)
    history_csv = folder / "history.csv"
    runs.trim_history(history_csv, max(runs.backup_epoch(b) for b in backups))
    model = build(recipe, config, strategy, split, epochs)
    train_data = recipe.make_dataset(split.x_train, split.y_train, config, True)
    validation_data = (
        recipe.make_dataset(split.x_val, split.y_val, config, False)
        if split.has_validation
        else None
    )
    phases = [(0, epochs, backups[0])]
    if fine_tune.epochs:
        phases.append((epochs, epochs + fine_tune.epochs, backups[1]))
    savers: list[callbacks_module.SaveBest] = []
    for first, last, backup_dir in phases:
        if first:  # fine-tuning: the top of the backbone trains too, at a low rate
            unfreeze_backbone(model, fine_tune.unfreeze)
            with strategy.scope():
                settings = dataclasses.replace(
                    config.optimizer,
                    learning_rate=fine_tune.learning_rate,
                    schedule=ScheduleConfig(),
                )
                compile_model(recipe, model, make_optimizer(settings, 1, 1), config)
        callbacks = callbacks_module.standard_callbacks(
            config, folder, log_dir, backup_dir, split.has_validation, save_models, first
        ) + recipe.callbacks(folder, split, config)
        savers += [c for c in callbacks if isinstance(c, callbacks_module.SaveBest)]
        # Keras keeps the epoch a BackupAndRestore restored (`_initial_epoch`) across fits: a
        # fine-tuning phase would start at phase 1's resumed epoch instead of its own first.
        model._initial_epoch = None
        model.fit(
            train_data,
            validation_data=validation_data,
            initial_epoch=first,
            epochs=last,
            callbacks=callbacks,
            class_weight=class_weights(config, split, recipe.task),
            shuffle=False,  # tf.data shuffles (make_dataset); Keras warns if asked again
            verbose=config.trainer.verbose,
        )
    # The best epoch this process trained is still in memory (a later phase's beat the
    # earlier's): evaluating it skips reloading best.keras and tracing the loaded model again.
    # Not for a model replicated by a strategy: its predict_on_batch splits a batch over the
    # replicas, so the report's batch-by-batch predictions read a loaded copy.
    if strategy.num_replicas_in_sync > 1:
        return model, runs.read_history(history_csv), False
    best = next((s.best_weights for s in reversed(savers) if s.best_weights is not None), None)
    if best is not None:
        model.set_weights(best)
    # Without validation data, best.keras is last.keras: the model as training left it.
    holds_best = best is not None or (save_models and not split.has_validation)
    return model, runs.read_history(history_csv), holds_best


def unfreeze_backbone(model: keras.Model, top_layers: int) -> None:
    """Make the top `top_layers` layers of the layer named `backbone` trainable (0: all),
    except BatchNormalization, which stays frozen and in inference mode (keras.io "Transfer
    learning & fine-tuning": updating its statistics on a small dataset destroys them)."""
    try:
        backbone = model.get_layer("backbone")
    except ValueError:
        raise UserError(
            "trainer.fine_tune.epochs needs a model with a backbone (set model.backbone)."
        ) from None
    backbone.trainable = True
    layers = backbone.layers if hasattr(backbone, "layers") else [backbone]
    frozen = len(layers) - top_layers if top_layers else 0
    for index, layer in enumerate(layers):
        layer.trainable = index >= frozen and not isinstance(layer, keras.layers.BatchNormalization)


def best_epoch(history: list[dict[str, str]], monitor: str) -> int:
    """1-based epoch with the best monitored value."""
    values = [float(row[monitor]) for row in history]
    index = int(np.argmax(values) if higher_is_better(monitor) else np.argmin(values))
    return int(history[index]["epoch"]) + 1


def evaluate(
    recipe, config: Config, model: keras.Model, x: np.ndarray, y: np.ndarray
) -> dict[str, float]:
    """The loss and compiled metrics on (x, y). From the predict step the report and
    test_predictions.csv run anyway where that gives the same (`scores_and_outputs`):
    Keras' test step is one more trace of the whole model."""
    return scores_and_outputs(model, recipe.make_dataset(x, y, config, False))[0]


def scores_and_outputs(
    model: keras.Model, data
) -> tuple[dict[str, float], predicting.SplitOutputs | None]:
    """The scores of a dataset of (inputs, targets) batches, and the pass they were scored
    from (None where Keras' `evaluate` scored them: see `predicting.scores_from_predictions`)."""
    if predicting.scores_from_predictions(model):
        outputs = predicting.predict_split(model, data)
        return predicting.score(model, outputs), outputs
    scores = model.evaluate(data, verbose=0, return_dict=True)
    return {k: float(v) for k, v in scores.items()}, None


def load_model(path: Path) -> keras.Model:
    """A .keras file in safe mode: code inside a model file (a Lambda layer) is never run."""
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except ValueError as error:
        if "safe_mode" in str(error) or "Lambda" in str(error):
            raise UserError(
                f"{path} holds Python code (a Lambda layer) that the cookbook does not run: "
                "models load in safe mode. Rebuild it from registered layers."
            ) from None
        raise UserError(f"{path} cannot be loaded as a Keras model: {first_line(error)}") from None
    except (OSError, zipfile.BadZipFile) as error:
        raise UserError(
            f"{path} cannot be read ({type(error).__name__}); it may be cut short. "
            "Train the run again with `cookbook train --resume RUN --restart`."
        ) from None


def first_line(error: BaseException) -> str:
    return first_line_of(str(error)) or type(error).__name__


def mean_and_std(results: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    return {
        name: {
            "mean": float(np.mean([r[name] for r in results])),
            "std": float(np.std([r[name] for r in results])),
        }
        for name in results[0]
    }


def run_kfold(recipe, config, strategy, dataset, workspace: Workspace) -> dict[str, Any]:
    """Score the configuration on K folds; returns the per-fold and summary entries."""
    monitor = callbacks_module.monitor_name(config, has_validation=True)
    folds = []
    for split in splits.kfold(dataset, config.data, config.split_seed, recipe.stratify):
        # Every worker reads the chief's results, so all of them skip the same finished folds.
        result_path = workspace.run_dir / "folds" / split.name / "result.json"
        if result_path.is_file():
            folds.append(json.loads(result_path.read_text(encoding="utf-8")))
            continue
        print(
            f"\n{split.name}: {len(split.x_train)} training, {len(split.x_val)} validation examples"
        )
        model, history, _ = fit(
            recipe,
            config,
            strategy,
            split,
            workspace,
            workspace.out / "folds" / split.name,
            workspace.out / "logs" / split.name,
            config.trainer.epochs,
            save_models=False,
        )
        result = {
            "fold": split.name,
            "validation": evaluate(recipe, config, model, split.x_val, split.y_val),
            "baseline": recipe.baseline(split, split.x_val, split.y_val, config),
            "best_epoch": best_epoch(history, monitor),
        }
        if workspace.is_chief:
            runs.write_json(result_path, result)
        shutil.rmtree(workspace.backup(split), ignore_errors=True)
        folds.append(result)
        keras.backend.clear_session(free_memory=True)
    return {
        "folds": folds,
        "kfold": mean_and_std([f["validation"] for f in folds]),
        "kfold_baseline": mean_and_std([f["baseline"] for f in folds]),
    }


def open_workspace(config: Config, strategy, run_dir: Path | None) -> Workspace:
    """The run folder (new, given, or being resumed) and where this process writes."""
    role, is_chief = strategies.worker_role(strategy)
    if run_dir is None:
        if not is_chief:
            raise UserError(
                "every worker of a cluster must be given the same run folder: "
                "cookbook train CONFIG --run-dir runs/<name>/<id> (the same path on each worker)."
            )
        run_dir = runs.new_run_dir(config)
    if is_chief:
        run_dir.mkdir(parents=True, exist_ok=True)
        if not (run_dir / "config.yaml").is_file():
            runs.write_config(run_dir, config)
            runs.point_latest(run_dir)
    runs.ACTIVE = run_dir
    out = run_dir if is_chief else Path(tempfile.mkdtemp(prefix=f"cookbook-{role}-"))
    return Workspace(run_dir, out, role, is_chief)


def train(config: Config, run_dir: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Train `config` in a new run folder, or in `run_dir` (resuming it if unfinished).
    The data is loaded and checked first: bad data leaves no run folder behind."""
    automatic, moved = reopen_backend_choices(config, run_dir)
    strategy = set_up(config)
    recipe = load_recipe(config.recipe)
    dataset = recipe.dataset(config)
    check_dataset(dataset, recipe.task)
    config.data.cache = pipeline.resolved_cache(config.data.cache, dataset.x_train)
    fresh = run_dir is None
    previous_latest = runs.latest_target(Path(config.output.dir) / config.name) if fresh else None
    workspace = open_workspace(config, strategy, run_dir)
    run_dir = workspace.run_dir
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
        metrics = train_in(recipe, config, strategy, workspace, dataset, automatic)
    except Terminated:
        raise  # a stop, not a failure: the backup resumes it
    except Exception as error:
        if workspace.is_chief:
            record_failure(run_dir, error, fresh, previous_latest)
        raise
    finally:
        if not workspace.is_chief:
            shutil.rmtree(workspace.out, ignore_errors=True)
    print_summary(run_dir, metrics)
    return run_dir, metrics


def reopen_backend_choices(config: Config, run_dir: Path | None) -> tuple[list[str], bool]:
    """The backend-dependent keys that are `auto` for this run (`common.training.
    backend_choices`), and whether a resumed run moved to another backend, in which case they
    are `auto` again in `config` and `set_up` resolves them for this one."""
    carried, moved = [], False
    if run_dir is not None and (Path(run_dir) / "environment.json").is_file():
        with contextlib.suppress(OSError, ValueError):
            previous = json.loads((Path(run_dir) / "environment.json").read_text("utf-8"))
            carried, moved = backend_choices.reopen(config, previous, keras.backend.backend())
    now = backend_choices.automatic(config)
    return [key for key in backend_choices.KEYS if key in carried or key in now], moved


def record_failure(
    run_dir: Path, error: Exception, fresh: bool, previous_latest: str | None
) -> None:
    """A new run that failed before finishing an epoch is removed (and `latest` points back
    where it was); a run with epochs to keep is marked failed, with the reason, and resumable."""
    started = any(runs.read_history(path) for path in run_dir.rglob("history.csv"))
    if fresh and not started:
        runs.remove_unstarted(run_dir, previous_latest)
        runs.ACTIVE = None
    else:
        reason = str(error) if isinstance(error, UserError) else f"{type(error).__name__}: {error}"
        runs.mark_failed(run_dir, first_line_of(reason))


def first_line_of(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:500]


def train_in(
    recipe,
    config: Config,
    strategy,
    workspace: Workspace,
    dataset: sources.Dataset,
    automatic: list[str] | None = None,
) -> dict[str, Any]:
    out = workspace.out
    if workspace.is_chief:
        runs.write_json(out / "environment.json", environment(config, strategy, automatic))
        if dataset.class_names:  # one name per line, in label order (TF Serving's labels.txt)
            runs.write_text(out / "labels.txt", "\n".join(dataset.class_names) + "\n")
    metrics: dict[str, Any] = {"config": config.name, "recipe": config.recipe, "task": recipe.task}

    split = splits.final_model_split(dataset, config.data, config.split_seed, recipe.stratify)
    epochs = config.trainer.epochs
    if config.data.split != "holdout":
        metrics.update(run_kfold(recipe, config, strategy, dataset, workspace))
        best_epochs = [fold["best_epoch"] for fold in metrics["folds"]]
        stopping = config.trainer.early_stopping.enabled
        epochs = max(1, round(float(np.mean(best_epochs)))) if stopping else config.trainer.epochs
        print(f"\nfinal model: all {len(split.x_train)} training examples, {epochs} epochs")

    log_dir = out / "logs" / ("final" if split.name == "final" else "")
    model, history, holds_best = fit(
        recipe, config, strategy, split, workspace, out, log_dir, epochs
    )
    best_path = out / ("best.keras" if split.has_validation else "last.keras")
    if not split.has_validation:
        with runs.atomic_path(out / "best.keras") as temporary:
            shutil.copyfile(out / "last.keras", temporary)
    if not holds_best:  # resumed past its best epoch, or replicated
        model = load_model(best_path)

    metrics["epochs"] = len(history)
    if split.has_validation:
        metrics["best_epoch"] = best_epoch(history, callbacks_module.monitor_name(config, True))
        metrics["validation"] = evaluate(recipe, config, model, split.x_val, split.y_val)
    # One pass over the test split gives its scores and test_predictions.csv.
    test_data = recipe.make_dataset(dataset.x_test, dataset.y_test, config, False)
    metrics["test"], test = scores_and_outputs(model, test_data)
    metrics["baseline"] = recipe.baseline(split, dataset.x_test, dataset.y_test, config)
    metrics.update(recipe.report(model, dataset, out, config, test))
    task = metrics.get("task", recipe.task)
    if config.trainer.reference and workspace.is_chief:
        metrics.update(reference_scores(config, task, split, dataset))
    if workspace.is_chief and task in PREDICTION_TASKS:
        if test is None:
            test = predicting.predict_split(model, test_data)
        write_predictions(test, task, out / "test_predictions.csv")
    if config.output.plot:
        plots.learning_curve(out / "history.csv", out / "learning_curve.png", config.name)
    if workspace.is_chief:  # metrics.json first: a kill after it leaves a finished run
        runs.write_json(out / "metrics.json", metrics)
    shutil.rmtree(workspace.backup(split).parent, ignore_errors=True)
    with contextlib.suppress(OSError):  # the last worker to finish removes the empty folder
        (workspace.run_dir / "backup").rmdir()
    return metrics


def reference_scores(config: Config, task: str, split: Split, dataset) -> dict[str, Any]:
    """The scikit-learn reference, kept in `output.dir/.cache/reference/` by a fingerprint of
    its data: a sweep of model settings on one dataset fits it once (1-2 s on digits). Nothing
    for a task without one (a GAN, an autoencoder)."""
    if task not in reference.TASKS:
        return {}
    key = reference.fingerprint(task, split, dataset.x_test, dataset.y_test)
    path = runs.cache_dir(config.output.dir, "reference") / f"{key}.json"
    if key is not None and path.is_file():
        with contextlib.suppress(OSError, ValueError):
            kept = json.loads(path.read_text(encoding="utf-8"))
            print("the scikit-learn reference: kept from an earlier run on the same data")
            return kept
    print("fitting the scikit-learn reference ...")
    result = reference.fit_reference(task, split, dataset.x_test, dataset.y_test)
    if key is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        runs.write_json(path, result)
    return result


def write_predictions(test: predicting.SplitOutputs, task: str, path: Path) -> None:
    """The test split's targets beside the model's outputs, for the report's confusion matrix,
    ROC and precision-recall curves and residuals: `target,probability` (binary),
    `target,prob_0..prob_k` (multiclass) or `target,prediction` (regression)."""
    target = np.asarray(test.targets).reshape(len(test.targets), -1)[:, 0]
    output = np.asarray(test.outputs, "float64")
    output = output.reshape(len(output), -1)
    if task != "multiclass" and output.shape[1] != 1:
        return  # several outputs (e.g. a multi-step forecast): no single column to report
    names = {"binary": ["probability"], "regression": ["prediction"]}.get(
        task, [f"prob_{k}" for k in range(output.shape[1])]
    )
    lines = [",".join(["target", *names])]
    lines += [
        ",".join(f"{v:.6g}" for v in (t, *row)) for t, row in zip(target, output, strict=True)
    ]
    runs.write_text(path, "\n".join(lines) + "\n")


def check_dataset(dataset: sources.Dataset, task: str) -> None:
    """Labels that fit the task, and features that are numbers, before anything trains."""
    if task in ("binary", "multiclass"):
        classes = np.unique(dataset.y_train)
        names = dataset.class_names or [str(c) for c in classes]
        if task == "binary" and len(names) != 2:
            raise UserError(
                f"binary classification needs exactly two classes; the target has "
                f"{len(names)}: {', '.join(names[:10])}. Use the multiclass recipe for more."
            )
        if task == "binary" and not set(classes.tolist()) <= {0, 1}:
            raise UserError(
                f"binary labels must be 0 and 1; found {sorted(classes.tolist())}. Relabel "
                "them, or use a CSV target (classes are then numbered in sorted order)."
            )
        if len(classes) < 2:
            raise UserError(f"the training split has one class only ({names[0]}).")
    for name, x in (("training", dataset.x_train), ("test", dataset.x_test)):
        if isinstance(x, np.ndarray) and x.dtype.kind == "f" and not np.isfinite(x).all():
            count = int(np.size(x) - np.isfinite(x).sum())
            raise UserError(
                f"the {name} features hold {count} NaN or infinite values; clean the data "
                "(CSV tables may have gaps: they are imputed)."
            )


def print_summary(run_dir: Path, metrics: dict[str, Any]) -> None:
    print(f"\nRun: {run_dir}")
    if "kfold" in metrics:
        print(f"{len(metrics['folds'])}-fold validation (mean ± std)      baseline")
        for name, score in metrics["kfold"].items():
            base = metrics["kfold_baseline"].get(name, {}).get("mean", float("nan"))
            print(f"  {name:<12} {score['mean']:>10.4f} ± {score['std']:<10.4f} {base:>10.4f}")
    reference = metrics.get("reference", {})
    print(
        f"{'test':<14} {'model':>10} {'baseline':>12}"
        + (f" {'reference':>12}" if reference else "")
    )
    for name, value in metrics["test"].items():
        base = metrics["baseline"].get(name, float("nan"))
        line = f"  {name:<12} {value:>10.4f} {base:>12.4f}"
        if reference:
            line += f" {reference.get(name, float('nan')):>12.4f}"
        print(line)
    if reference:
        print(f"reference: scikit-learn {metrics['reference_model']} on the same split")
    elif "reference_note" in metrics:
        print(metrics["reference_note"])


def print_seed_summary(
    config: Config, seeds: list[int], results: list[tuple[Path, dict[str, Any]]]
) -> dict[str, Any]:
    """Mean ± std of the test metrics over seeds, beside the baseline and reference (the same
    split for every seed, so those do not vary); written to runs/<config>/seeds-<...>.json."""
    tests = mean_and_std([metrics["test"] for _, metrics in results])
    first = results[0][1]
    summary = {
        "config": config.name,
        "seeds": seeds,
        "runs": [str(run_dir) for run_dir, _ in results],
        "test": tests,
        "baseline": first["baseline"],
        **({"reference": first["reference"]} if "reference" in first else {}),
        **({"reference_model": first["reference_model"]} if "reference_model" in first else {}),
    }
    print(f"\n{len(seeds)} seeds ({', '.join(map(str, seeds))}) of {config.name}:")
    print(f"{'test':<14} {'mean ± std':>20} {'baseline':>10} {'reference':>10}")
    for name, score in tests.items():
        base = first["baseline"].get(name, float("nan"))
        ref = first.get("reference", {}).get(name, float("nan"))
        spread = f"{score['mean']:.4f} ± {score['std']:.4f}"
        print(f"  {name:<12} {spread:>20} {base:>10.4f} {ref:>10.4f}")
    group = Path(config.output.dir) / config.name
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = group / f"seeds-{stamp}.json"
    runs.write_json(path, summary)
    print(f"summary: {path}")
    return summary


def check(config: Config) -> dict[str, Any]:
    """Validate, build under the strategy and run one training step; writes no run folder."""
    strategy = set_up(config)
    recipe = load_recipe(config.recipe)
    split = splits.holdout(recipe.dataset(config), config.data, config.split_seed, recipe.stratify)
    model = build(recipe, config, strategy, split, config.trainer.epochs)
    data = recipe.make_dataset(split.x_train, split.y_train, config, True)
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
