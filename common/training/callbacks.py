"""The callbacks every run gets, all Keras' own: backup for resuming, TensorBoard, CSV history,
best/last checkpoints, early stopping and reduce-on-plateau, configured from `trainer`."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import keras

from common.config.schema import Config, higher_is_better
from common.errors import UserError
from common.modeling.optimizers import step_schedule
from common.reporting import run_files
from common.reporting.run_files import read_history
from common.training import runs


def monitor_name(config: Config, has_validation: bool) -> str:
    """`trainer.monitor`, or its training-set twin when there is no validation data."""
    monitor = config.trainer.monitor
    return monitor if has_validation else monitor.removeprefix("val_")


def best_so_far(history_csv: Path, monitor: str) -> float | None:
    """The best monitored value already in history, so a resumed run keeps its best.keras."""
    values = [float(row[monitor]) for row in read_history(history_csv) if row.get(monitor)]
    values = [value for value in values if not math.isnan(value)]
    if not values:
        return None
    return max(values) if higher_is_better(monitor) else min(values)


class SaveAtEnd(keras.callbacks.Callback):
    """Write the model once, as training leaves it. (A checkpoint every epoch doubled the
    epoch time of small models; the backup already covers a crash.)"""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path

    def on_train_end(self, logs=None):
        run_files.save_model(self.model, self.path)


class SaveBest(keras.callbacks.Callback):
    """ModelCheckpoint(save_best_only=True), but the best epoch's weights are kept in memory
    and written to best.keras with each backup and at the end of training, atomically. (Saving
    the .keras archive on every improvement cost 0.3 s an epoch for the digits ResNet, more than
    half its epoch.) A kill therefore finds best.keras as of the last backup, which is where
    the resumed run restarts: the history rows past it are dropped, and their epochs train
    again. `best` is the best value of the history kept, so a resumed run replaces best.keras
    only with a better model."""

    def __init__(self, path: Path, monitor: str, best: float | None = None):
        super().__init__()
        self.path, self.monitor, self.best = path, monitor, best
        self.higher = higher_is_better(monitor)
        self.best_weights: list | None = None  # this process's best epoch, if it saw one
        self.unwritten = False

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or math.isnan(float(value)):
            return
        value = float(value)
        if self.best is None or (value > self.best if self.higher else value < self.best):
            self.best, self.best_weights = value, self.model.get_weights()
            self.unwritten = True

    def write(self) -> None:
        """best.keras from the weights in memory, if they are newer than the file."""
        if not self.unwritten:
            return
        current = self.model.get_weights()
        self.model.set_weights(self.best_weights)
        try:
            run_files.save_model(self.model, self.path)
        finally:
            self.model.set_weights(current)
        self.unwritten = False

    def on_train_end(self, logs=None):
        self.write()


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """EarlyStopping that picks up where a killed run left it: the best value so far and the
    patience already spent are replayed from history.csv, so a resumed run stops at the epoch
    an uninterrupted one would. (The best weights are on disk as best.keras, which is what the
    driver evaluates.)"""

    def __init__(self, history_csv: Path | None = None, first_epoch: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.history_csv = history_csv
        self.first_epoch = first_epoch  # a fine-tuning phase counts its own epochs only

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self.history_csv is None:
            return
        rows = [r for r in read_history(self.history_csv) if int(r["epoch"]) >= self.first_epoch]
        values = [float(row[self.monitor]) for row in rows if row.get(self.monitor, "NA") != "NA"]
        higher = higher_is_better(self.monitor)
        delta = abs(self.min_delta)
        for epoch, value in enumerate(values):
            self.wait += 1
            improved = self.best is None or (
                value > self.best + delta if higher else value < self.best - delta
            )
            if improved:
                self.best, self.best_epoch, self.wait = value, epoch, 0


class CheckedBackupAndRestore(keras.callbacks.BackupAndRestore):
    """BackupAndRestore that writes an epoch's backup only when `interval` seconds have passed
    since the last one (0: every epoch), and always after the last epoch. Writing the weights
    and optimizer state took 0.1-0.16 s per epoch for the digits convnet, a third of its 0.4 s
    epochs; every 30 s costs under 1%, and a kill loses at most 30 s of training plus the epoch
    in progress (history rows past the backup's epoch are dropped on resume and train again).
    A restore failure is one line offering `--restart`: a backup truncated on a full disk, or
    written by a model of another shape, cannot be resumed."""

    def __init__(
        self,
        backup_dir: str,
        interval: float = 0.0,
        before_backup: Callable[[], None] | None = None,
        run_dir: Path | None = None,
        **kwargs,
    ):
        super().__init__(backup_dir, **kwargs)
        self.interval = interval
        self.before_backup = before_backup  # SaveBest.write: best.keras as of this backup
        self.run_dir = run_dir  # the run a failed restore offers to train again
        self.saved_at = time.monotonic()

    def on_train_begin(self, logs=None):
        self.saved_at = time.monotonic()
        try:
            super().on_train_begin(logs)
        except (OSError, ValueError, KeyError) as error:
            raise runs.damaged_backup(self.run_dir, Path(self.backup_dir), error) from None

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.model.stop_training:  # early stopping: a resumed run has nothing left to train
            self._current_epoch = self.params.get("epochs", epoch + 1)
        last = self._current_epoch >= self.params.get("epochs", 0)
        if last or time.monotonic() - self.saved_at >= self.interval:
            if self.before_backup is not None:
                self.before_backup()
            self._save_model()
            self.saved_at = time.monotonic()


class StopOnNaN(keras.callbacks.Callback):
    """Keras' TerminateOnNaN, but stopping before the epoch is written anywhere: the first
    callback of a run raises as soon as a batch's loss is NaN or infinite, so the backup,
    history and checkpoints keep good epochs only, and the user hears what to try."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise UserError(
                f"the loss became {float(loss)} in epoch {self.epoch + 1}, batch {batch + 1}; "
                "training stopped, and `--resume` continues from the last backup. Try a lower "
                "optimizer.learning_rate, optimizer.clipnorm=1.0, or check the data for "
                "extreme values."
            )

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


def tensorboard(config: Config, log_dir: Path) -> list[keras.callbacks.Callback]:
    """Keras' TensorBoard callback as `output.tensorboard` configures it (none if disabled)."""
    settings = config.output.tensorboard
    if not settings.enabled:
        return []
    return [
        keras.callbacks.TensorBoard(
            log_dir=str(log_dir),
            histogram_freq=settings.histogram_freq,
            write_graph=settings.write_graph,
        )
    ]


def standard_callbacks(
    config: Config,
    folder: Path,
    log_dir: Path,
    backup_dir: Path,
    has_validation: bool,
    save_models: bool = True,
    first_epoch: int = 0,
    run_dir: Path | None = None,
) -> list[keras.callbacks.Callback]:
    """The callbacks of one fit phase writing in `folder` (`run_dir`: the run it belongs to,
    which a failed restore offers to train again)."""
    monitor = monitor_name(config, has_validation)
    history_csv = folder / "history.csv"
    # Without validation data the driver copies last.keras to best.keras, so a monitored
    # "best" would be wasted work (and a model such as a GAN may log no `loss` at all).
    save_best = (
        SaveBest(folder / "best.keras", monitor, best_so_far(history_csv, monitor))
        if save_models and has_validation
        else None
    )
    callbacks: list[keras.callbacks.Callback] = [
        StopOnNaN(),  # first: nothing below sees a NaN epoch
        # Early stopping, the schedule and reduce-on-plateau before the logger, so the rate
        # they set is in each epoch's row of history.csv.
        *control_callbacks(config, has_validation, history_csv, first_epoch),
        # Before the row of its epoch: history never names a best epoch that it has not seen.
        *([save_best] if save_best else []),
        # The row before the backup: a kill between the two (or inside the row's write) leaves
        # a row past the backup's epoch, which the resumed run drops (runs.trim_history).
        keras.callbacks.CSVLogger(str(history_csv), append=True),
        # delete_checkpoint=False: the driver removes the backup once metrics are written, so a
        # kill between the last epoch and the end of the run still resumes instead of restarting.
        # best.keras is written just before each backup, so the two agree on a resume.
        CheckedBackupAndRestore(
            str(backup_dir),
            config.trainer.backup_interval,
            save_best.write if save_best else None,
            run_dir,
            double_checkpoint=True,
            delete_checkpoint=False,
        ),
        *tensorboard(config, log_dir),
    ]
    if save_models:
        callbacks.append(SaveAtEnd(folder / "last.keras"))
    return callbacks


def control_callbacks(
    config: Config, has_validation: bool, history_csv: Path | None = None, first_epoch: int = 0
) -> list[keras.callbacks.Callback]:
    """Early stopping and reduce-on-plateau from `trainer`: what decides how long and how fast a
    model trains. Shared by runs and by every tuning trial, so a trial trains as a run would.
    With `history_csv`, early stopping resumes its count from the epochs already trained."""
    trainer = config.trainer
    monitor = monitor_name(config, has_validation)
    callbacks: list[keras.callbacks.Callback] = []
    stopping = trainer.early_stopping
    if stopping.enabled and has_validation:
        callbacks.append(
            ResumableEarlyStopping(
                history_csv,
                first_epoch,
                monitor=monitor,
                patience=stopping.patience,
                min_delta=stopping.min_delta,
                restore_best_weights=stopping.restore_best_weights,
            )
        )
    schedule = config.optimizer.schedule
    if schedule.name == "step":
        callbacks.append(
            keras.callbacks.LearningRateScheduler(
                step_schedule(schedule.boundaries, schedule.factors)
            )
        )
    plateau = trainer.reduce_on_plateau
    if plateau.enabled:
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor,
                factor=plateau.factor,
                patience=plateau.patience,
                min_lr=plateau.min_learning_rate,
            )
        )
    return callbacks
