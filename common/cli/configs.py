"""The configs and run folders a command works on, checked in full before TensorFlow starts.

`common.config` checks a config against its schema and its own cross-key rules; whether its
data exists and fits (a dataset's name, a CSV's columns, a folder's files) is the data room's
check (`common.data.catalogue.check_source`), which sits above config. Every command loads
through here, so a data mistake still exits 2 in a second, as any config error does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from common.config import check_sweep_values, load_config
from common.config.schema import Config
from common.data import catalogue
from common.training import runs


def check_data(config: Config) -> None:
    """The data room's checks of `config`, and of every value a sweep may give a `data` key."""
    catalogue.check_source(config.data)
    check_sweep_values(config, lambda candidate: catalogue.check_source(candidate.data), "data.")


def load(target: str, overrides: Sequence[str] = ()) -> Config:
    """`load_config(target, overrides)`, its data checked too."""
    config = load_config(target, overrides)
    check_data(config)
    return config


def open_run(folder: str | Path) -> tuple[Path, Config]:
    """An existing run or sweep folder and its config, its data checked too."""
    run_dir, config = runs.open_run(folder)
    check_data(config)
    return run_dir, config
