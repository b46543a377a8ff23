"""A real run stopped once its first epoch is backed up, then resumed from its run folder as
`cookbook train --resume` does: the kill-and-resume fixture of the recipes' tests.

    run_dir, metrics = killed_and_resumed(recipe_module, config)   # trainer.backup_interval=0

The "kill" is an exception raised by a callback after the first epoch's backup (the recipe's
own callbacks are extended for the run); `watchers` are callbacks added to both attempts.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import keras
import pytest

from common.config.schema import Config
from common.training import runs
from common.training.driver import train


class Killed(Exception):
    """Stands in for a kill: raised once the first epoch's backup is written."""


class KillAfterFirstEpoch(keras.callbacks.Callback):
    """Raises `Killed` at the end of the first epoch, once."""

    fired = False

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0 and not self.fired:
            self.fired = True
            raise Killed


def killed_and_resumed(
    recipe: ModuleType, config: Config, watchers: tuple[keras.callbacks.Callback, ...] = ()
) -> tuple[Path, dict[str, Any]]:
    """Train `config` until the kill, check that it left a backup and no metrics, then resume
    the run folder to the end; returns the resumed run's folder and metrics."""
    kill = KillAfterFirstEpoch()
    recipe_callbacks = recipe.callbacks
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            recipe,
            "callbacks",
            lambda run, split: [*recipe_callbacks(run, split), *watchers, kill],
        )
        with pytest.raises(Killed):
            train(config)
        run_dir, config = runs.open_run(Path(config.output.dir) / config.name / "latest")
        assert (run_dir / "backup").is_dir() and not (run_dir / "metrics.json").exists()
        return train(config, run_dir)
