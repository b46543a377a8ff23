"""Validation splits over a loaded source: a stratified, disjoint holdout, and K-fold that covers
every training example once per repeat."""

from __future__ import annotations

import numpy as np
import pytest

from common.config import load_config
from common.data import catalogue, splits


def test_holdout_is_stratified_and_disjoint():
    config = load_config("binary", ["data.validation_split=0.2"])
    data = catalogue.load(config.data, config.seed, stratify=True)
    split = splits.holdout(data, config.data, config.seed, stratify=True)
    total = len(data.x_train) + len(data.x_test)
    assert len(split.x_val) == pytest.approx(total * config.data.validation_split, abs=2)
    assert abs(split.y_val.mean() - split.y_train.mean()) < 0.03
    train_rows = {row.tobytes() for row in split.x_train}
    assert not any(row.tobytes() in train_rows for row in split.x_val)


def test_kfold_covers_every_example_once_per_repeat():
    config = load_config(
        "regression", ["data.split=iterated_kfold", "data.folds=3", "data.repeats=2"]
    )
    data = catalogue.load(config.data, config.seed, stratify=False)
    folds = list(splits.kfold(data, config.data, config.seed, stratify=False))
    assert [f.name for f in folds] == [f"fold-{i}" for i in range(1, 7)]
    first_repeat = sum(len(f.x_val) for f in folds[:3])
    assert first_repeat == len(data.x_train)
    assert not np.array_equal(folds[0].y_val, folds[3].y_val)  # reshuffled between repeats
