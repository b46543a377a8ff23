"""One fit: the model built in the strategy's scope, trained with the standard callbacks and
the recipe's, resumed from its backup, in one or two phases (`trainer.fine_tune`).

    build(recipe, config, strategy, split, epochs)      model, optimizer and metrics, compiled
    fit(recipe, config, strategy, split, ...)           -> Fitted(model, history, holds_best)

The driver fits the final model with it and each fold of a K-fold; the tuner builds its trials'
models with `build` and weights their classes with `class_weights`, so a trial trains as a run.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import keras
import numpy as np
from sklearn.utils.class_weight import compute_class_weight

from common.config.run_info import RunInfo
from common.config.schema import Config, ScheduleConfig, higher_is_better
from common.data.splits import Split
from common.errors import UserError
from common.modeling.optimizers import make_optimizer
from common.reporting import run_files
from common.training import batchnorm, runs
from common.training import callbacks as callbacks_module

if TYPE_CHECKING:
    from common.training.recipe import Recipe
    from common.training.startup import Workspace


@dataclass
class Fitted:
    """What a fit leaves: the model, the rows of its history.csv, and whether the model holds
    the best epoch's weights (else the caller reloads best.keras)."""

    model: keras.Model
    history: list[dict[str, str]]
    holds_best: bool


def class_weights(config: Config, split: Split, task: str) -> dict[int, float] | None:
    weight = config.trainer.class_weight
    if weight is None or task not in ("binary", "multiclass"):
        return None
    if weight == "balanced":
        classes = np.unique(split.y_train)
        values = compute_class_weight("balanced", classes=classes, y=split.y_train)
        return {int(c): float(v) for c, v in zip(classes, values, strict=True)}
    return {int(k): float(v) for k, v in weight.items()}


def build(recipe: Recipe, config: Config, strategy, split: Split, epochs: int) -> keras.Model:
    """Model, optimizer and metrics, all created inside the strategy's scope, under the
    configured dtype policy (set here because `clear_session()` between folds and between
    tuning trials resets it to float32)."""
    keras.mixed_precision.set_dtype_policy(config.trainer.precision)
    steps_per_epoch = max(1, math.ceil(len(split.x_train) / config.data.batch_size))
    replicas = strategy.num_replicas_in_sync if config.distribute.scale_learning_rate else 1
    with strategy.scope():
        try:
            model = recipe.build_model(split, config.model)
        except ValueError as error:
            if "output size would be zero or negative" not in str(error):
                raise
            shape = getattr(split.x_train, "shape", ("?",))[1:]
            raise UserError(
                f"the examples ({' x '.join(map(str, shape))}) are too small for this "
                "model's downsampling (its convolution and pooling blocks shrink them to "
                "nothing): set a larger data.image_size, or fewer blocks (model.filters)."
            ) from None
        optimizer = make_optimizer(config.optimizer, steps_per_epoch, epochs, replicas)
        compile_model(recipe, model, optimizer, config)
    return model


def compile_model(recipe: Recipe, model: keras.Model, optimizer, config: Config) -> None:
    """The recipe's `compile_model`, then the optimizer's slot variables (moments, velocities)
    made now, eagerly. Keras leaves them to the first trace of the train step when no strategy
    is set, where each becomes an initialize-once `cond` in the graph: DenseNet-40's first epoch
    took 7-11 s longer that way (BENCHMARKS.md). Skipped for a model that builds on its first
    batch."""
    recipe.compile_model(model, optimizer, config.trainer)
    compiled = getattr(model, "optimizer", None)  # the recipe may wrap or replace it
    if model.built and compiled is not None and not compiled.built:
        compiled.build(model.trainable_variables)


def fit(
    recipe: Recipe,
    config: Config,
    strategy,
    split: Split,
    workspace: Workspace,
    folder: Path,
    log_dir: Path,
    epochs: int,
    save_models: bool = True,
) -> Fitted:
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
    resumed = max(runs.backup_epoch(b, workspace.run_dir) for b in backups)
    trained = len(run_files.read_history(history_csv))
    if trained > resumed == 0 and workspace.is_chief:
        print(no_backup_note(trained, config.trainer.backup_interval))
    runs.trim_history(history_csv, resumed)
    model = build(recipe, config, strategy, split, epochs)
    train_data = recipe.batches(split.x_train, split.y_train, config, True)
    validation_data = (
        recipe.batches(split.x_val, split.y_val, config, False) if split.has_validation else None
    )
    phases = [(0, epochs, backups[0])]
    recalibration = batchnorm.recalibration(
        model, train_data, epochs, recipe.task, strategy.num_replicas_in_sync
    )
    if fine_tune.epochs:
        phases.append((epochs, epochs + fine_tune.epochs, backups[1]))
    run = RunInfo.of(config, folder)
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
            config,
            folder,
            log_dir,
            backup_dir,
            split.has_validation,
            save_models,
            first,
            run_dir=workspace.run_dir,
        )
        # Recalibration first: validation and the checkpoints see the recalibrated model.
        callbacks = recalibration + callbacks + recipe.callbacks(run, split)
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
    history = run_files.read_history(history_csv)
    # The best epoch this process trained is still in memory (a later phase's beat the
    # earlier's): evaluating it skips reloading best.keras and tracing the loaded model again.
    # Not for a model replicated by a strategy: its predict_on_batch splits a batch over the
    # replicas, so the report's batch-by-batch predictions read a loaded copy.
    if strategy.num_replicas_in_sync > 1:
        return Fitted(model, history, holds_best=False)
    best = next((s.best_weights for s in reversed(savers) if s.best_weights is not None), None)
    if best is not None:
        model.set_weights(best)
    # Without validation data, best.keras is last.keras: the model as training left it.
    holds_best = best is not None or (save_models and not split.has_validation)
    return Fitted(model, history, holds_best)


def no_backup_note(trained: int, interval: float | None) -> str:
    """Why a resumed run starts at epoch 1 although history.csv holds epochs."""
    every = "after every epoch" if not interval else f"every {interval:g} s"
    return (
        f"no backup yet: the run was killed before its first backup, so its {trained} "
        f"epoch(s) in history.csv train again from epoch 1 (backups are written {every}: "
        "trainer.backup_interval)"
    )


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
