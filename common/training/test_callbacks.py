"""The backup callback's schedule, on a real Keras fit: a backup every epoch with interval 0,
only the last epoch's with a long interval, and an early stop backed up as finished; best.keras
written with the backups, holding the best epoch's weights; a backup past repair names its run."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from common.errors import UserError
from common.training import runs
from common.training.callbacks import CheckedBackupAndRestore, SaveBest


class BackupEpochs(keras.callbacks.Callback):
    """Reads the backup's epoch after every epoch (placed after the backup callback)."""

    def __init__(self, backup_dir: Path):
        super().__init__()
        self.backup_dir, self.seen = backup_dir, []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(runs.backup_epoch(self.backup_dir))


def small_model() -> keras.Model:
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse")
    return model


def fit(backup_dir: Path, interval: float, epochs: int) -> list[int]:
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    seen = BackupEpochs(backup_dir)
    callbacks = [CheckedBackupAndRestore(str(backup_dir), interval, delete_checkpoint=False), seen]
    small_model().fit(x, y, epochs=epochs, batch_size=16, callbacks=callbacks, verbose=0)
    return seen.seen


@pytest.mark.parametrize(
    ("interval", "expected"), [(0.0, [1, 2, 3, 4, 5]), (1.0e6, [0, 0, 0, 0, 5])]
)
def test_backups_follow_the_interval_and_always_cover_the_last_epoch(tmp_path, interval, expected):
    assert fit(tmp_path / "backup", interval, epochs=5) == expected


def test_an_early_stop_is_backed_up_as_finished_and_not_trained_past(tmp_path):
    backup = tmp_path / "backup"
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)

    class StopAtThree(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = epoch == 2

    seen = BackupEpochs(backup)
    model = small_model()
    kept = CheckedBackupAndRestore(str(backup), 1.0e6, delete_checkpoint=False)
    callbacks = [StopAtThree(), kept, seen]
    model.fit(x, y, epochs=10, batch_size=16, callbacks=callbacks, verbose=0)
    # The stop (early stopping's) is backed up at once, as finished: a run killed before its
    # metrics are written resumes with nothing left to train, not past its stop.
    assert seen.seen == [0, 0, 10]

    resumed = small_model().fit(
        x, y, epochs=10, batch_size=16, callbacks=[CheckedBackupAndRestore(str(backup))], verbose=0
    )
    assert resumed.history.get("loss", []) == []


def test_best_keras_is_written_with_the_backup_and_holds_the_best_epoch(tmp_path):
    """Improvements stay in memory until a backup (here only the last epoch's) writes them;
    the file then holds the best epoch's weights, and training's own weights are untouched."""
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    path = tmp_path / "best.keras"
    scores = [3.0, 1.0, 2.0, 2.0, 2.0]  # the second epoch is the best

    class Scripted(keras.callbacks.Callback):
        """Sets each epoch's score, and records the weights and whether best.keras exists."""

        def __init__(self):
            super().__init__()
            self.weights, self.written = [], []

        def on_epoch_end(self, epoch, logs=None):
            logs["score"] = scores[epoch]  # the callbacks after this one read it
            self.weights.append(self.model.get_weights())

    class Written(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = []

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append(path.is_file())

    model, scripted, written = small_model(), Scripted(), Written()
    saver = SaveBest(path, "score")
    backup = CheckedBackupAndRestore(str(tmp_path / "backup"), 1.0e6, saver.write)
    model.fit(
        x, y, epochs=5, batch_size=16, verbose=0, callbacks=[scripted, saver, backup, written]
    )
    assert written.seen == [False, False, False, False, True]
    saved = keras.saving.load_model(path, safe_mode=True).get_weights()
    for kept, best in zip(saved, scripted.weights[1], strict=True):
        np.testing.assert_array_equal(kept, best)
    for now, last in zip(model.get_weights(), scripted.weights[-1], strict=True):
        np.testing.assert_array_equal(now, last)
    assert saver.best == 1.0 and not saver.unwritten


def test_a_damaged_backup_offers_to_train_its_run_again(tmp_path):
    run_dir = tmp_path / "run"
    backup = run_dir / "backup" / "chief" / "holdout"
    backup.mkdir(parents=True)
    (backup / "training_metadata.json").write_text("{cut short")
    with pytest.raises(UserError) as error:
        runs.backup_epoch(backup, run_dir)
    assert f"`cookbook train --resume {run_dir} --restart`" in str(error.value)
