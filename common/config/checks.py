"""Cross-key checks of a typed config: rules no single field's type or bounds can state, one
small function and one actionable message each. `CHECKS` run in order after typing.

Whether the data exists and fits (a dataset's name, a CSV's columns) is the data room's check,
`common.data.catalogue.check_source`, which `cookbook` runs right after these.
"""

from __future__ import annotations

import re
from pathlib import Path

from common.config.quoting import short
from common.config.schema import Config
from common.errors import ConfigError

SEED_RANGE = (0, 2**32 - 1)  # what NumPy, scikit-learn and Keras accept as a seed


def check_seeds(config: Config) -> None:
    """Seeds within NumPy's range: a seed it refuses would fail only after the data loads."""
    for key, seed in (("seed", config.seed), ("data.split_seed", config.data.split_seed)):
        if seed is not None and not SEED_RANGE[0] <= seed <= SEED_RANGE[1]:
            raise ConfigError(key, f"must be between 0 and 2**32 - 1, got {short(seed)}.")


def check_output_paths(config: Config) -> None:
    """Runs are written to `<output.dir>/<name>/...` and nowhere else: a name is one plain
    folder name, and the runs root does not climb with `..`."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", config.name):
        raise ConfigError(
            "name",
            f"{config.name!r} is not a plain folder name (letters, digits, '.', '_', '-'; no "
            "'/' or '..'): runs go to output.dir/<name>/.",
        )
    if ".." in Path(config.output.dir).parts:
        raise ConfigError(
            "output.dir",
            f"{config.output.dir!r} climbs out with '..'; name the runs folder directly "
            "(an absolute path is fine).",
        )


def check_splits(config: Config) -> None:
    data = config.data
    if data.split == "holdout" and data.test_split + data.validation_split >= 1:
        raise ConfigError(
            "data.validation_split",
            f"test_split + validation_split must leave training data, "
            f"got {data.test_split} + {data.validation_split}.",
        )


def check_plateau(config: Config) -> None:
    schedule = config.optimizer.schedule.name
    if config.trainer.reduce_on_plateau.enabled and schedule not in ("constant", "step"):
        raise ConfigError(
            "trainer.reduce_on_plateau.enabled",
            "cannot adjust a learning-rate schedule; set optimizer.schedule.name to constant "
            "or step, or turn reduce_on_plateau off.",
        )


def check_step_schedule(config: Config) -> None:
    schedule = config.optimizer.schedule
    if schedule.name != "step":
        return
    if not schedule.boundaries or len(schedule.boundaries) != len(schedule.factors):
        raise ConfigError(
            "optimizer.schedule.factors",
            "a step schedule needs one factor per boundary epoch, e.g. boundaries: [80, 120] "
            f"and factors: [0.1, 0.01]; got {schedule.boundaries} and {schedule.factors}.",
        )
    if sorted(set(schedule.boundaries)) != schedule.boundaries:
        raise ConfigError(
            "optimizer.schedule.boundaries",
            f"epochs must increase, got {schedule.boundaries}.",
        )


def check_class_weight(config: Config) -> None:
    weight = config.trainer.class_weight
    if isinstance(weight, str) and weight != "balanced":
        raise ConfigError(
            "trainer.class_weight", f"expected 'balanced' or a mapping, got {weight!r}."
        )


def check_stream(config: Config) -> None:
    """A CSV that streams brings its own validation part, hashed from the rows: there is no
    training + validation table to refit on (auto streaming is refused by the driver)."""
    if config.data.stream and config.trainer.refit:
        raise ConfigError(
            "trainer.refit",
            "retrains on training + validation in memory, and data.stream=true reads the CSV "
            "in chunks; set trainer.refit=false, or data.stream=false for a file that fits.",
        )


# The sources that take their split as files (`common.data.given_parts`).
GIVEN_SPLIT_SOURCES = ("csv", "npz", "text_folder", "image_folder", "timeseries_csv")


def check_given_split(config: Config) -> None:
    """`data.test_path`/`data.validation_path`: the split as files, for the user's own data."""
    data = config.data
    if data.validation_path and not data.test_path:
        raise ConfigError(
            "data.validation_path",
            "goes with data.test_path (the given split); set the test file too, or leave "
            "validation to data.validation_split.",
        )
    if data.test_path and data.dataset not in GIVEN_SPLIT_SOURCES:
        raise ConfigError(
            "data.test_path",
            f"is read for data.dataset {', '.join(GIVEN_SPLIT_SOURCES)}; {data.dataset!r} "
            "comes with its own test split or takes data.test_split.",
        )
    if data.test_path and data.stream:
        raise ConfigError(
            "data.test_path", "is read in memory; set data.stream=false, or put the rows in shards."
        )


def check_optimizer(config: Config) -> None:
    optimizer = config.optimizer
    if optimizer.weight_decay is not None and optimizer.name != "adamw":
        raise ConfigError(
            "optimizer.weight_decay",
            "is used by adamw only; set optimizer.name=adamw or remove it.",
        )
    if optimizer.beta_1 is not None and optimizer.name not in ("adam", "adamw"):
        raise ConfigError(
            "optimizer.beta_1", "is used by adam and adamw only; change optimizer.name or drop it."
        )


CHECKS = (
    check_seeds,
    check_output_paths,
    check_splits,
    check_plateau,
    check_step_schedule,
    check_class_weight,
    check_stream,
    check_given_split,
    check_optimizer,
)
