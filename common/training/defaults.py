"""The defaults of the recipe contract's optional hooks (`common.training.recipe`): the standard
data, pipeline, compile and baseline of a task, for recipes that only say what their network
looks like. A default that needs the recipe's task takes it as the keyword `task`; the loaded
`Recipe` binds it."""

from __future__ import annotations

from typing import Any

import numpy as np

from common.config.run_info import RunInfo
from common.config.schema import DataConfig, TrainerConfig
from common.data import catalogue, pipeline
from common.data.dataset import Dataset
from common.data.splits import Split
from common.modeling import tasks

STRATIFIED_TASKS = ("binary", "multiclass")  # splits keep their class proportions


def default_load_data(data: DataConfig, seed: int, *, task: str) -> Dataset:
    return catalogue.load(data, seed, stratify=task in STRATIFIED_TASKS)


def default_prepare(dataset: Dataset, data: DataConfig) -> Dataset:
    return dataset


def default_make_dataset(
    x: Any, y: np.ndarray | None, data: DataConfig, training: bool, seed: int, options: Any
):
    return pipeline.make_dataset(
        x,
        y,
        data.batch_size,
        shuffle=training and data.shuffle,
        seed=seed,
        cache=data.cache,
    )


def default_compile_model(model, optimizer, trainer: TrainerConfig, *, task: str) -> None:
    model.compile(
        optimizer=optimizer,
        loss=tasks.loss(task, trainer.loss),
        metrics=tasks.metrics(task),
        jit_compile=trainer.jit_compile,
        steps_per_execution=trainer.steps_per_execution,
    )


def default_baseline(
    split: Split, x: Any, y: np.ndarray, trainer: TrainerConfig, *, task: str
) -> dict[str, float]:
    return tasks.baseline(task, split.y_train, y, split.num_classes, trainer.loss)


def default_baseline_predictions(
    split: Split, x: Any, y: np.ndarray, trainer: TrainerConfig, *, task: str
) -> np.ndarray | None:
    if task not in tasks.TASKS:
        return None
    return tasks.baseline_predictions(task, split.y_train, len(y), split.num_classes)


def default_callbacks(run: RunInfo, split: Split) -> list:
    return []


def default_report(model, dataset: Dataset, run: RunInfo, test) -> dict:
    return {}
