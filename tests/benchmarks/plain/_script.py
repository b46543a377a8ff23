"""What the plain scripts share, and nothing a keras.io example would not write for itself:
the command line (epochs, where to save, where to write epoch times), the data, and the one
callback the benchmark needs, an epoch timer.

The data come from `common.data` (the source, its test split and the validation split) with
the cookbook's seeds and stratification, so both sides train on identical arrays; a keras.io
script would load one of Keras' bundled datasets and slice off a validation part instead.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import keras

from common.config import load_config
from common.config.schema import Config
from common.data import catalogue, splits
from common.data.dataset import Dataset
from common.data.splits import Split
from common.training.defaults import STRATIFIED_TASKS


def arguments(recipe: str) -> argparse.Namespace:
    """`--epochs` (default: the config's), `--output` (the saved model's folder) and
    `--timings` (a JSON file the epoch timer appends to; none: no file)."""
    parser = argparse.ArgumentParser(description=f"plain keras.io-style {recipe} script")
    parser.add_argument("--epochs", type=int, default=load_config(recipe).trainer.epochs)
    parser.add_argument("--output", type=Path, default=None, help="default: a new temp folder")
    parser.add_argument("--timings", type=Path, default=None)
    args = parser.parse_args()
    args.output = args.output or Path(tempfile.mkdtemp(prefix="plain-"))
    args.output.mkdir(parents=True, exist_ok=True)
    return args


def load(recipe: str, task: str, epochs: int) -> tuple[Config, Dataset, Split]:
    """The default config (its settings are what the script copies), the data set and its
    holdout split, drawn exactly as the driver draws them."""
    config = load_config(recipe, [f"trainer.epochs={epochs}"])
    stratify = task in STRATIFIED_TASKS
    dataset = catalogue.load(config.data, config.split_seed, stratify=stratify)
    return config, dataset, splits.holdout(dataset, config.data, config.split_seed, stratify)


def steps_per_epoch(examples: int, batch_size: int) -> int:
    """What a decaying schedule needs to reach its end on the last step, as the cookbook's."""
    return max(1, -(-examples // batch_size))


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock time at the end of every epoch (after validation, before Keras' own progress
    bar), appended to `path` with the number of training examples per epoch of this fit."""

    def __init__(self, path: Path | None, examples: int):
        super().__init__()
        self.path = path
        self.examples = examples
        self.ends: list[float] = []

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append(time.time())

    def on_train_end(self, logs=None):
        if self.path is None:
            return
        fits = json.loads(self.path.read_text()) if self.path.is_file() else []
        fits.append({"examples": self.examples, "epoch_ends": self.ends})
        self.path.write_text(json.dumps(fits))
