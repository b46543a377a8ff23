"""A config's search space as a KerasTuner `HyperModel`: a trial's values become overrides of
the base config, whose model the driver's own `common.training.fitting.build` builds and
compiles under the configured strategy, and which trains with the config's early stopping and
learning-rate callbacks, as `cookbook train` would.

Trials are scored on the holdout split of `data.validation_split` — for K-fold configs too: a
sweep compares configurations on one fixed split, and `cookbook train best.yaml` then scores the
winner with the config's own protocol. The split is loaded once, and again only when a trial
changes the data.
"""

from __future__ import annotations

import dataclasses

import keras
import keras_tuner

from common.config import search_space, with_overrides
from common.config.schema import Config
from common.config.search_space import yaml_text
from common.data import splits
from common.data.splits import Split
from common.errors import ConfigError
from common.training import batchnorm, fitting
from common.training.callbacks import control_callbacks
from common.training.recipe import load_recipe
from common.tuning import hyperparameters


class ObjectiveError(ConfigError, keras_tuner.errors.FatalError):
    """`tune.objective` is not a metric the trials report: KerasTuner stops the search on a
    FatalError (instead of marking every trial invalid), and the CLI reports a ConfigError."""


class ConfigHyperModel(keras_tuner.HyperModel):
    """The search space of a config: `build(hp)` turns a trial's values into overrides of the
    base config and builds that config's model; `fit` trains it as `cookbook train` would."""

    def __init__(self, config: Config, strategy):
        super().__init__(name=config.name)
        self.config = config
        self.recipe = load_recipe(config.recipe)
        self.strategy = strategy
        self.entries = search_space.entries(config)
        self._configs: dict[tuple[str, ...], Config] = {}
        self._split: tuple[str, Split] | None = None

    def overrides(self, hp: keras_tuner.HyperParameters) -> list[str]:
        values = {entry.key: hyperparameters.declare(entry, hp) for entry in self.entries}
        return hyperparameters.trial_overrides(self.entries, values)

    def trial_config(self, hp: keras_tuner.HyperParameters) -> Config:
        overrides = tuple(self.overrides(hp))
        if overrides not in self._configs:
            self._configs[overrides] = with_overrides(self.config, overrides)
        return self._configs[overrides]

    def epochs(self, config: Config) -> int:
        """Epochs per trial: `tune.epochs`, else the trial's `trainer.epochs`."""
        return self.config.tune.epochs or config.trainer.epochs

    def split(self, config: Config) -> Split:
        """The holdout split, loaded once and again only when a trial changes the data."""
        data = {
            k: v
            for k, v in dataclasses.asdict(config.data).items()
            if k not in ("batch_size", "shuffle", "cache")
        }
        key = yaml_text([config.recipe, config.split_seed, data])
        if self._split is None or self._split[0] != key:
            dataset = self.recipe.dataset(config)
            holdout = splits.holdout(dataset, config.data, config.split_seed, self.recipe.stratify)
            self._split = key, holdout
        return self._split[1]

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        config = self.trial_config(hp)
        split, epochs = self.split(config), self.epochs(config)
        model = fitting.build(self.recipe, config, self.strategy, split, epochs)
        if "tuner/trial_id" in hp.values and getattr(model, "optimizer", None) is not None:
            # Hyperband continues an earlier trial from its checkpoint: with the optimizer's
            # variables created, its state (Adam's moments, the step) is restored too.
            with self.strategy.scope():
                model.optimizer.build(model.trainable_variables)
        return model

    def fit(self, hp, model, callbacks=(), epochs=None, initial_epoch=0) -> keras.callbacks.History:
        """Hyperband passes `epochs` and `initial_epoch`; other tuners train `epochs(config)`."""
        config = self.trial_config(hp)
        split = self.split(config)
        validation = (
            self.recipe.batches(split.x_val, split.y_val, config, False)
            if split.has_validation
            else None
        )
        train_data = self.recipe.batches(split.x_train, split.y_train, config, True)
        epochs = epochs or self.epochs(config)
        recalibration = batchnorm.recalibration(
            model, train_data, epochs, self.recipe.task, self.strategy.num_replicas_in_sync
        )
        history = model.fit(
            train_data,
            validation_data=validation,
            epochs=epochs,
            initial_epoch=initial_epoch,
            callbacks=[
                *recalibration,  # first: the trial's validation score sees recalibrated BatchNorm
                *callbacks,
                *control_callbacks(config, split.has_validation),
            ],
            class_weight=fitting.class_weights(config, split, self.recipe.task),
            shuffle=False,  # tf.data shuffles
            verbose=config.trainer.verbose,
        )
        objective = self.config.tune.objective
        if objective not in history.history:
            reported = ", ".join(sorted(history.history))
            raise ObjectiveError("tune.objective", f"{objective!r} is not reported: {reported}.")
        # Epochs trained (early stopping may end a trial early), kept beside the objective.
        history.history["epochs"] = [initial_epoch + len(history.epoch)] * len(history.epoch)
        return history
