"""The recipe contract: what a module in recipes/ provides, and the defaults for what it omits.

A recipe is one file that reads like a keras.io example. It must define

    TASK                          "binary" | "multiclass" | "multilabel" | "regression" — picks
                                  the head, loss, metrics and baseline from
                                  `common.modeling.tasks` — or any other name when the recipe
                                  supplies those hooks itself
    build_model(split, options)   a Keras model for `split` (its arrays, `num_classes`);
                                  `options` is the config's `model` section with attribute access

and may override any of these hooks (defaults in this module):

    load_data(config)                          -> Dataset    e.g. generate or window a series
    prepare(dataset, config)                   -> Dataset    e.g. targets = inputs (autoencoder)
    make_dataset(x, y, config, training)       -> tf.data    e.g. windows without shuffling
    compile_model(model, optimizer, config)                  e.g. a GAN's two optimizers
    baseline(split_or_dataset, x, y, config)   -> metrics    the common-sense score to beat
    callbacks(run_dir, split, config)          -> [Callback] e.g. sample grids per epoch
    report(model, dataset, run_dir, config)    -> metrics    extra entries for metrics.json
"""

from __future__ import annotations

import functools
import importlib
import inspect
import types
from pathlib import Path

import numpy as np

from common.config.schema import Config
from common.data import pipeline, sources
from common.data.splits import Split
from common.modeling import tasks

STRATIFIED_TASKS = ("binary", "multiclass")  # splits keep their class proportions


def default_load_data(config: Config, *, task: str) -> sources.Dataset:
    return sources.load(config.data, config.seed, stratify=task in STRATIFIED_TASKS)


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


def default_report(model, dataset: sources.Dataset, run_dir: Path, config: Config) -> dict:
    return {}


DEFAULTS = {
    "load_data": default_load_data,
    "prepare": default_prepare,
    "make_dataset": default_make_dataset,
    "compile_model": default_compile_model,
    "baseline": default_baseline,
    "callbacks": default_callbacks,
    "report": default_report,
}


def _default(hook: str, task: str):
    default = DEFAULTS[hook]
    if "task" in inspect.signature(default).parameters:
        return functools.partial(default, task=task)
    return default


def load_recipe(name: str) -> types.SimpleNamespace:
    """The recipe module's TASK, build_model and hooks, with defaults filled in; plus
    `stratify` (whether splits keep class proportions) and `dataset(config)`, the data a run
    trains on: `prepare(load_data(config), config)`."""
    module = importlib.import_module(f"recipes.{name}")
    hooks = {hook: getattr(module, hook, None) or _default(hook, module.TASK) for hook in DEFAULTS}
    recipe = types.SimpleNamespace(
        name=name,
        task=module.TASK,
        build_model=module.build_model,
        module=module,
        stratify=module.TASK in STRATIFIED_TASKS,
        **hooks,
    )
    recipe.dataset = lambda config: recipe.prepare(recipe.load_data(config), config)
    return recipe
