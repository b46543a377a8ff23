"""Starting a run: what is decided before its first batch, and where it writes.

    set_up(config)                      strategy, the strategy's defaults, seeds, determinism
    reopen_backend_choices(config, ...) the `auto` keys of a resumed run on another backend
    check_dataset(dataset, task)        labels that fit the task, features that are numbers
    open_workspace(config, ...)         the run folder, and this worker's place to write

Kept apart from the fitting so that the tuner, `cookbook check`, `evaluate` and `export` start
a strategy exactly as a run does, without the run's folder or its training loop.
"""

from __future__ import annotations

import contextlib
import json
import platform
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from common.config.schema import Config
from common.data.dataset import Dataset
from common.data.splits import Split
from common.distribute import strategies
from common.errors import UserError
from common.modeling import vision
from common.modeling.options import AugmentOptions
from common.training import backend_choices, runs


def set_up(config: Config) -> tf.distribute.Strategy:
    """Strategy first (logical devices must be configured before TensorFlow starts), then
    the strategy's defaults, seeds and determinism. The dtype policy is set by `build`."""
    strategy = strategies.make_strategy(config.distribute)
    strategies.resolve_trainer_defaults(config.trainer, strategies.resolve_name(config.distribute))
    augment = getattr(config.model, "augment", None)
    if isinstance(augment, AugmentOptions):
        vision.resolve_placement(augment)  # before config.yaml is written
    keras.utils.set_random_seed(config.seed)
    if config.trainer.deterministic:
        tf.config.experimental.enable_op_determinism()
    return strategy


def environment(
    config: Config, strategy: tf.distribute.Strategy, automatic: list[str] | None = None
) -> dict[str, Any]:
    """What ran, where and with what: environment.json. `automatic`: the backend-dependent keys
    that were `auto` (`backend_choices`), resolved for this backend."""
    return {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": sys.argv,
        "host": socket.gethostname(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "devices": [device.name for device in tf.config.list_logical_devices()],
        **strategies.describe(strategy),
        "strategy_config": config.distribute.strategy,
        "seed": config.seed,
        "deterministic": config.trainer.deterministic,
        "precision": config.trainer.precision,
        "jit_compile": config.trainer.jit_compile,
        "steps_per_execution": config.trainer.steps_per_execution,
        "global_batch_size": config.data.batch_size,
        "automatic": automatic or [],
    }


def reopen_backend_choices(config: Config, run_dir: Path | None) -> tuple[list[str], bool]:
    """The backend-dependent keys that are `auto` for this run (`common.training.
    backend_choices`), and whether a resumed run moved to another backend, in which case they
    are `auto` again in `config` and `set_up` resolves them for this one."""
    carried, moved = [], False
    if run_dir is not None and (Path(run_dir) / "environment.json").is_file():
        with contextlib.suppress(OSError, ValueError):
            previous = json.loads((Path(run_dir) / "environment.json").read_text("utf-8"))
            carried, moved = backend_choices.reopen(config, previous, keras.backend.backend())
    now = backend_choices.automatic(config)
    return [key for key in backend_choices.KEYS if key in carried or key in now], moved


def check_dataset(dataset: Dataset, task: str) -> None:
    """Labels that fit the task, and features that are numbers, before anything trains."""
    if task in ("binary", "multiclass"):
        classes = np.unique(dataset.y_train)
        names = dataset.class_names or [str(c) for c in classes]
        if task == "binary" and len(names) != 2:
            raise UserError(
                f"binary classification needs exactly two classes; the target has "
                f"{len(names)}: {', '.join(names[:10])}. Use the multiclass recipe for more."
            )
        if task == "binary" and not set(classes.tolist()) <= {0, 1}:
            raise UserError(
                f"binary labels must be 0 and 1; found {sorted(classes.tolist())}. Relabel "
                "them, or use a CSV target (classes are then numbered in sorted order)."
            )
        if len(classes) < 2:
            raise UserError(f"the training split has one class only ({names[0]}).")
    for name, x in (("training", dataset.x_train), ("test", dataset.x_test)):
        if isinstance(x, np.ndarray) and x.dtype.kind == "f" and not np.isfinite(x).all():
            count = int(np.size(x) - np.isfinite(x).sum())
            raise UserError(
                f"the {name} features hold {count} NaN or infinite values; clean the data "
                "(CSV tables may have gaps: they are imputed)."
            )


@dataclass
class Workspace:
    """Where this process writes: `write_dir` is the run folder on the chief, a temporary folder
    on the other workers of a cluster. Backups live in the run folder for every worker."""

    run_dir: Path
    write_dir: Path
    role: str
    is_chief: bool

    def backup(self, split: Split) -> Path:
        return self.run_dir / "backup" / self.role / split.name

    def chief_backup(self, split: Split) -> Path:
        return self.run_dir / "backup" / "chief" / split.name


def open_workspace(config: Config, strategy, run_dir: Path | None) -> Workspace:
    """The run folder (new, given, or being resumed) and where this process writes."""
    role, is_chief = strategies.worker_role(strategy)
    if run_dir is None:
        if not is_chief:
            raise UserError(
                "every worker of a cluster must be given the same run folder: "
                "cookbook train CONFIG --run-dir runs/<name>/<id> (the same path on each worker)."
            )
        run_dir = runs.new_run_dir(config)
    if is_chief:
        run_dir.mkdir(parents=True, exist_ok=True)
        if not (run_dir / "config.yaml").is_file():
            runs.write_config(run_dir, config)
            runs.point_latest(run_dir)
    write_dir = run_dir if is_chief else Path(tempfile.mkdtemp(prefix=f"cookbook-{role}-"))
    return Workspace(run_dir, write_dir, role, is_chief)
