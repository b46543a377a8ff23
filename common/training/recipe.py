"""The recipe contract: what a module in recipes/ provides, hook by hook, and the defaults.

A recipe is one file that reads like a keras.io example, plus its typed model options in
`recipes/options/<name>.py` (a dataclass named `Options`, imported without TensorFlow so that
configs are checked instantly). The driver (`common.training.driver`) calls the hooks below in
this order for every run, fold and tuning trial:

    load_data -> prepare -> [split] -> build_model -> compile_model -> make_dataset -> fit
    (with callbacks) -> evaluate -> baseline -> report

Required
    TASK: str
        "binary" | "multiclass" | "multilabel" | "regression" picks the head, loss, metrics and
        baseline from the standard table (`common.modeling.tasks`). Any other name (a GAN's
        "gan") means the recipe supplies `compile_model` and `baseline` itself.
    build_model(split: Split, options: Options) -> keras.Model
        The model for the data in `split` (its arrays and `num_classes`); `options` is the
        config's validated `model` section. Called inside the strategy's scope and under the
        configured dtype policy: create layers here, not at import time.

Optional (the default when omitted)
    load_data(config: Config) -> Dataset
        The examples, as train and test arrays. Default: the configured `data.dataset`
        (`common.data.sources`), with a stratified test split for classification tasks.
    prepare(dataset: Dataset, config: Config) -> Dataset
        Reshape what was loaded, e.g. targets = inputs for an autoencoder. Default: unchanged.
    make_dataset(x, y, config: Config, training: bool) -> tf.data.Dataset
        Arrays to batches. Default: cached, shuffled when `training`, batched by the global
        batch size, prefetched, with an explicit auto-shard policy (`common.data.pipeline`).
    compile_model(model, optimizer, config: Config) -> None
        Default: the task's standard loss (or `trainer.loss`) and metrics, with
        `trainer.jit_compile` and `trainer.steps_per_execution`.
    baseline(split: Split, x, y, config: Config) -> dict[str, float]
        The common-sense score to beat on (x, y), named like the model's metrics. Default: the
        task's constant prediction from the training targets (majority class, mean target).
    callbacks(run_dir: Path, split: Split, config: Config) -> list[keras.callbacks.Callback]
        Extra callbacks beside the standard ones (backup, TensorBoard, history, checkpoints,
        early stopping). Default: none.
    report(model, dataset: Dataset, run_dir: Path, config: Config, test: SplitOutputs | None)
            -> dict
        Extra entries for metrics.json and extra files in the run folder. `test` is the pass
        the test scores came from (the model's outputs on `dataset.x_test`, in order), or None
        where Keras' `evaluate` scored it. Default: none.
    sample(run_dir: Path, config: Config, count: int, label: int | None, seed: int | None)
            -> Path
        `cookbook sample RUN`: draw `count` new examples from a finished run into a picture.
        No default: the command answers that the recipe does not sample.

A module-level function whose name is close to a hook's but not one (`make_datset`) fails at
load with the list of hooks: a misspelled hook would otherwise be silently ignored.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from common.config.schema import Config
from common.data import pipeline, sources
from common.data.splits import Split
from common.errors import UserError
from common.modeling import tasks

STRATIFIED_TASKS = ("binary", "multiclass")  # splits keep their class proportions


def default_load_data(config: Config, *, task: str) -> sources.Dataset:
    return sources.load(config.data, config.split_seed, stratify=task in STRATIFIED_TASKS)


def default_prepare(dataset: sources.Dataset, config: Config) -> sources.Dataset:
    return dataset


def default_make_dataset(x: np.ndarray, y: np.ndarray | None, config: Config, training: bool):
    return pipeline.make_dataset(
        x,
        y,
        config.data.batch_size,
        shuffle=training and config.data.shuffle,
        seed=config.seed,
        cache=config.data.cache,
    )


def default_compile_model(model, optimizer, config: Config, *, task: str) -> None:
    model.compile(
        optimizer=optimizer,
        loss=tasks.loss(task, config.trainer.loss),
        metrics=tasks.metrics(task),
        jit_compile=config.trainer.jit_compile,
        steps_per_execution=config.trainer.steps_per_execution,
    )


def default_baseline(
    split: Split, x: np.ndarray, y: np.ndarray, config: Config, *, task: str
) -> dict[str, float]:
    return tasks.baseline(task, split.y_train, y, split.num_classes, config.trainer.loss)


def default_callbacks(run_dir: Path, split: Split, config: Config) -> list:
    return []


def default_report(model, dataset: sources.Dataset, run_dir: Path, config: Config, test) -> dict:
    return {}


# Optional hooks and their defaults; `None`: no default (the feature is the recipe's own).
OPTIONAL_HOOKS: dict[str, Callable | None] = {
    "load_data": default_load_data,
    "prepare": default_prepare,
    "make_dataset": default_make_dataset,
    "compile_model": default_compile_model,
    "baseline": default_baseline,
    "callbacks": default_callbacks,
    "report": default_report,
    "sample": None,
}
REQUIRED = ("TASK", "build_model")
# Every hook and the arguments it is called with, in order (the contract above).
ARGUMENTS = {
    "build_model": ("split", "options"),
    "load_data": ("config",),
    "prepare": ("dataset", "config"),
    "make_dataset": ("x", "y", "config", "training"),
    "compile_model": ("model", "optimizer", "config"),
    "baseline": ("split", "x", "y", "config"),
    "callbacks": ("run_dir", "split", "config"),
    "report": ("model", "dataset", "run_dir", "config", "test"),
    "sample": ("run_dir", "config", "count", "label", "seed"),
}
HOOKS = tuple(ARGUMENTS)


@dataclass(frozen=True)
class Recipe:
    """A loaded recipe: its hooks, defaults filled in (`sample` may be None)."""

    name: str
    task: str
    module: ModuleType
    build_model: Callable[..., Any]
    load_data: Callable[[Config], sources.Dataset]
    prepare: Callable[[sources.Dataset, Config], sources.Dataset]
    make_dataset: Callable[..., Any]
    compile_model: Callable[..., None]
    baseline: Callable[..., dict[str, float]]
    callbacks: Callable[..., list]
    report: Callable[..., dict]
    sample: Callable[..., Path] | None

    @property
    def stratify(self) -> bool:
        """Whether splits keep class proportions."""
        return self.task in STRATIFIED_TASKS

    def dataset(self, config: Config) -> sources.Dataset:
        """The data a run trains on: `prepare(load_data(config), config)`."""
        return self.prepare(self.load_data(config), config)


def _with_task(default: Callable, task: str) -> Callable:
    if "task" in inspect.signature(default).parameters:
        return functools.partial(default, task=task)
    return default


def _path(module: ModuleType) -> str:
    return f"recipes/{module.__name__.rpartition('.')[2]}.py"


def check_names(module: ModuleType) -> None:
    """Required names present, and no function named almost like a hook."""
    path = _path(module)
    missing = [name for name in REQUIRED if not hasattr(module, name)]
    if missing:
        raise UserError(
            f"{path} must define {' and '.join(missing)} (see common/training/recipe.py)."
        )
    for name, value in vars(module).items():
        if name in HOOKS or name.startswith("_") or not inspect.isfunction(value):
            continue
        if value.__module__ != module.__name__:
            continue  # imported helpers
        close = difflib.get_close_matches(name, HOOKS, n=1, cutoff=0.8)
        if close:
            raise UserError(
                f"{path} defines {name}(), which is not a hook; did you mean {close[0]}()? "
                f"Hooks: {', '.join(HOOKS)}."
            )


def check_arguments(module: ModuleType) -> None:
    """Every hook the recipe defines takes the arguments it is called with, so that a hook
    written for another contract is refused when the recipe loads, not after training."""
    path = _path(module)
    for hook, arguments in ARGUMENTS.items():
        function = getattr(module, hook, None)
        if not callable(function):
            continue
        try:
            inspect.signature(function).bind(*arguments)
        except TypeError:
            raise UserError(
                f"{path}: {hook}() is called as {hook}({', '.join(arguments)}); its signature "
                f"is {hook}{inspect.signature(function)}. See common/training/recipe.py."
            ) from None
        except ValueError:  # a builtin without a signature: called as it is
            continue


def load_recipe(name: str) -> Recipe:
    """`recipes/<name>.py` checked against the contract, with the defaults filled in."""
    module = importlib.import_module(f"recipes.{name}")
    check_names(module)
    check_arguments(module)
    hooks = {
        hook: getattr(module, hook, None) or (default and _with_task(default, module.TASK))
        for hook, default in OPTIONAL_HOOKS.items()
    }
    return Recipe(
        name=name, task=module.TASK, module=module, build_model=module.build_model, **hooks
    )
