"""Validation splits: one holdout, or (iterated) K-fold over the training data.

The test split is never touched here; it is held out by the source (`common.data.catalogue`)
and used once, at the end. K-fold uses scikit-learn's splitters (stratified for classification).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, RepeatedKFold, RepeatedStratifiedKFold, StratifiedKFold

from common.config.schema import DataConfig
from common.data.dataset import Dataset, holdout_split, joined, take


@dataclass
class Split:
    """What one model trains and validates on. `name` is "holdout", "fold-1", ... or "final".
    `x_*` are arrays, a DataFrame or a FileSet (see `common.data.catalogue`)."""

    name: str
    x_train: Any
    y_train: np.ndarray
    x_val: Any | None
    y_val: np.ndarray | None
    num_classes: int | None

    @property
    def has_validation(self) -> bool:
        return self.x_val is not None and len(self.x_val) > 0


def holdout(dataset: Dataset, data: DataConfig, seed: int, stratify: bool) -> Split:
    """The source's own validation split if it has one, else `data.validation_split` of all
    data carved (seeded, stratified for classification) from the training part."""
    if dataset.x_val is not None:
        return Split(
            "holdout",
            dataset.x_train,
            dataset.y_train,
            dataset.x_val,
            dataset.y_val,
            dataset.num_classes,
        )
    if data.validation_split == 0:
        return full_training(dataset, "holdout")
    # validation_split is a fraction of all data; rescale it to a fraction of the train split.
    fraction = data.validation_split / (1 - data.test_split)
    x_train, x_val, y_train, y_val = holdout_split(
        dataset.x_train, dataset.y_train, fraction, seed, stratify
    )
    return Split("holdout", x_train, y_train, x_val, y_val, dataset.num_classes)


def kfold(dataset: Dataset, data: DataConfig, seed: int, stratify: bool) -> Iterator[Split]:
    """K folds, repeated `data.repeats` times with reshuffling for iterated K-fold."""
    repeats = data.repeats if data.split == "iterated_kfold" else 1
    if stratify:
        splitter = (
            RepeatedStratifiedKFold(n_splits=data.folds, n_repeats=repeats, random_state=seed)
            if repeats > 1
            else StratifiedKFold(n_splits=data.folds, shuffle=True, random_state=seed)
        )
    else:
        splitter = (
            RepeatedKFold(n_splits=data.folds, n_repeats=repeats, random_state=seed)
            if repeats > 1
            else KFold(n_splits=data.folds, shuffle=True, random_state=seed)
        )
    x, y = dataset.x_train, dataset.y_train
    for index, (train_index, val_index) in enumerate(splitter.split(np.zeros(len(y)), y), start=1):
        yield Split(
            f"fold-{index}",
            take(x, train_index),
            y[train_index],
            take(x, val_index),
            y[val_index],
            dataset.num_classes,
        )


def full_training(dataset: Dataset, name: str = "final") -> Split:
    """All training data, no validation: the final model after K-fold model selection."""
    return Split(name, dataset.x_train, dataset.y_train, None, None, dataset.num_classes)


def training_and_validation(split: Split, name: str = "refit") -> Split:
    """A holdout's training and validation examples as one training part, no validation: what
    a refit trains on once the validation part has picked its epoch count."""
    return Split(
        name,
        joined(split.x_train, split.x_val),
        joined(split.y_train, split.y_val),
        None,
        None,
        split.num_classes,
    )


def final_model_split(dataset: Dataset, data: DataConfig, seed: int, stratify: bool) -> Split:
    """What the run's saved model trained on: the holdout split, or (K-fold) all training data."""
    if data.split == "holdout":
        return holdout(dataset, data, seed, stratify)
    return full_training(dataset)
