"""`RunInfo`: what the recipe contract's run-level hooks (callbacks, report, sample) see of a
run: its folder and the config sections they read, not the whole config. It sits with the
config, below every room that hands it on or reads it (training builds it, reporting's hooks
and the recipes read it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.config.schema import Config, DataConfig, OutputConfig


@dataclass(frozen=True)
class RunInfo:
    """What the run-level hooks see of a run: its folder and the sections they read."""

    dir: Path  # the run folder (a fold's folder for a fold's callbacks)
    name: str  # config.name
    seed: int  # config.seed
    options: Any  # config.model, the recipe's typed Options
    data: DataConfig  # config.data
    output: OutputConfig  # config.output

    @classmethod
    def of(cls, config: Config, folder: Path) -> RunInfo:
        """The run of `config` that writes in `folder`."""
        return cls(folder, config.name, config.seed, config.model, config.data, config.output)
