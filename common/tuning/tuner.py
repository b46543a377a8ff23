"""KerasTuner sweeps over any config key: `cookbook tune binary`.

    config -> strategy -> KerasTuner tuner (random | bayesian | hyperband | grid)
           -> each trial: base config + the trial's overrides -> driver.build -> fit
           -> leaderboard.csv, a table, best.yaml

The space is the config's `tune.space` (syntax in `common.tuning.search_space`). A trial is the
base config plus one `key=value` override per searched key, built and compiled by the driver's
own `common.training.driver.build` under the configured strategy, and trained with the config's
early stopping and learning-rate callbacks. Trials are scored on the holdout split of
`data.validation_split` — for K-fold configs too: a sweep compares configurations on one fixed
split, and `cookbook train best.yaml` then scores the winner with the config's own protocol.

    runs/<config>/tune-<UTC time>-<id>/
        config.yaml, environment.json   the base config (resolved) and the machine
        keras_tuner/                    KerasTuner's project: oracle.json, trial_<id>/ (trial.json,
                                        best-epoch weights), <tuner id>.json (trials it ran)
        logs/<trial>/execution<n>/      TensorBoard scalars and the HParams dashboard
        leaderboard.csv                 one row per trial, best first (also printed)
        best.yaml                       the best trial's complete config, ready to train

Resuming reloads KerasTuner's project (`overwrite=False`): finished trials stay finished, and a
trial that was running when the sweep was killed runs again, from scratch, under its own id.

Distributed (KerasTuner's chief/worker mode): with KERASTUNER_ORACLE_IP/PORT and
KERASTUNER_TUNER_ID set (`cookbook tune --chief` / `--worker N` set them), the chief serves the
oracle and writes the results; workers ask it for trials, run them and exit when none are left.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import time
from concurrent import futures
from pathlib import Path
from typing import Any

import keras
import keras_tuner

from common import config as config_module
from common.config.schema import Config
from common.data import splits
from common.data.splits import Split
from common.errors import ConfigError, UserError
from common.training import driver, runs
from common.training.callbacks import control_callbacks, tensorboard
from common.training.recipe import load_recipe
from common.tuning import search_space

PROJECT = "keras_tuner"  # KerasTuner's project folder inside the sweep folder


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
        self.entries = search_space.parse(config.tune.space, config_module.to_dict(config))
        self._configs: dict[tuple[str, ...], Config] = {}
        self._split: tuple[str, Split] | None = None

    def overrides(self, hp: keras_tuner.HyperParameters) -> list[str]:
        values = {entry.key: entry.declare(hp) for entry in self.entries}
        return search_space.trial_overrides(self.entries, values)

    def trial_config(self, hp: keras_tuner.HyperParameters) -> Config:
        overrides = tuple(self.overrides(hp))
        if overrides not in self._configs:
            self._configs[overrides] = config_module.with_overrides(self.config, overrides)
        return self._configs[overrides]

    def epochs(self, config: Config) -> int:
        """Epochs per trial: `tune.epochs`, else the trial's `trainer.epochs`."""
        return self.config.tune.epochs or config.trainer.epochs

    def split(self, config: Config) -> Split:
        """The holdout split, loaded once and again only when a trial changes the data."""
        data = {
            k: v
            for k, v in config_module.to_dict(config)["data"].items()
            if k not in ("batch_size", "shuffle", "cache")
        }
        key = search_space.yaml_text([config.recipe, config.split_seed, data])
        if self._split is None or self._split[0] != key:
            dataset = self.recipe.dataset(config)
            holdout = splits.holdout(dataset, config.data, config.split_seed, self.recipe.stratify)
            self._split = key, holdout
        return self._split[1]

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        config = self.trial_config(hp)
        split, epochs = self.split(config), self.epochs(config)
        model = driver.build(self.recipe, config, self.strategy, split, epochs)
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
            self.recipe.make_dataset(split.x_val, split.y_val, config, False)
            if split.has_validation
            else None
        )
        history = model.fit(
            self.recipe.make_dataset(split.x_train, split.y_train, config, True),
            validation_data=validation,
            epochs=epochs or self.epochs(config),
            initial_epoch=initial_epoch,
            callbacks=[*callbacks, *control_callbacks(config, split.has_validation)],
            class_weight=driver.class_weights(config, split, self.recipe.task),
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


class _Sweep:
    """What every cookbook tuner adds to KerasTuner's (mixed in before the tuner class)."""

    def __init__(self, *args, log_dir: Path, **kwargs):
        self.log_dir = log_dir
        self.trials_run: list[str] = []
        super().__init__(*args, **kwargs)

    def on_trial_begin(self, trial) -> None:
        super().on_trial_begin(trial)
        shutil.rmtree(self.log_dir / trial.trial_id, ignore_errors=True)  # a re-run starts over
        keras.utils.set_random_seed(self.hypermodel.config.seed)  # every trial starts alike
        overrides = " ".join(self.hypermodel.overrides(trial.hyperparameters))
        print(f"{self.tuner_id} runs trial {trial.trial_id}: {overrides}", flush=True)

    def on_trial_end(self, trial) -> None:
        # Between trials, KerasTuner's Tuner._try_build clears the Keras session and collects
        # garbage before it builds the next model; clearing here too measured no lower memory.
        self.trials_run.append(trial.trial_id)
        super().on_trial_end(trial)  # reports to the oracle, then saves <tuner id>.json

    def get_state(self) -> dict[str, Any]:
        return {"trials_run": self.trials_run}

    def set_state(self, state: dict[str, Any]) -> None:
        self.trials_run = list(state.get("trials_run", []))

    def reload(self) -> None:
        """KerasTuner re-queues the trials oracle.json lists as running. A kill between a trial's
        own trial.json and oracle.json can leave a finished trial in that queue, or a started one
        out of it; the trial files are the truth."""
        super().reload()
        if self._is_worker():
            return
        oracle = self.oracle
        status = {trial_id: trial.status for trial_id, trial in oracle.trials.items()}
        queue = [trial_id for trial_id in oracle._retry_queue if status[trial_id] != "COMPLETED"]
        queue += [t for t, s in status.items() if s == "RUNNING" and t not in queue]
        oracle._retry_queue = queue


class RandomSweep(_Sweep, keras_tuner.RandomSearch):
    pass


class BayesianSweep(_Sweep, keras_tuner.BayesianOptimization):
    pass


class HyperbandSweep(_Sweep, keras_tuner.Hyperband):
    pass


class GridSweep(_Sweep, keras_tuner.GridSearch):
    pass


def make_tuner(hypermodel: ConfigHyperModel, sweep_dir: Path, overwrite: bool) -> _Sweep:
    config = hypermodel.config
    options = dict(
        hypermodel=hypermodel,
        objective=keras_tuner.Objective(config.tune.objective, search_space.direction(config)),
        seed=config.seed,
        executions_per_trial=config.tune.executions_per_trial,
        distribution_strategy=hypermodel.strategy,
        directory=str(sweep_dir),
        project_name=PROJECT,
        overwrite=overwrite,
        log_dir=sweep_dir / "logs",
    )
    if config.tune.tuner == "hyperband":  # the budget is max_epochs and factor, not max_trials
        epochs = hypermodel.epochs(config)
        return HyperbandSweep(max_epochs=epochs, factor=config.tune.hyperband_factor, **options)
    tuner_class = {"random": RandomSweep, "bayesian": BayesianSweep, "grid": GridSweep}
    return tuner_class[config.tune.tuner](max_trials=config.tune.max_trials, **options)


def role() -> str:
    """KerasTuner's own rule: an oracle address makes this process part of a distributed sweep,
    and a tuner id containing "chief" makes it the one that serves the oracle."""
    if "KERASTUNER_ORACLE_IP" not in os.environ:
        return "standalone"
    return "chief" if "chief" in os.environ.get("KERASTUNER_TUNER_ID", "") else "worker"


def serve_oracle(oracle) -> None:
    """Serve the oracle until every worker has been told to stop.

    This is what KerasTuner's `search()` does on the chief (`oracle_chief.start_server`), with
    its servicer and its exit rule, except that it checks for the end every second instead of
    every 20 s, and that a port already in use is an error instead of a silent hang."""
    import grpc
    from keras_tuner.src import protos
    from keras_tuner.src.distribute import oracle_chief

    address = f"{os.environ['KERASTUNER_ORACLE_IP']}:{os.environ['KERASTUNER_ORACLE_PORT']}"
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    servicer = oracle_chief.OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError:
        bound = 0
    if not bound:
        raise UserError(f"cannot serve the oracle on {address}: choose another --port.")
    server.start()
    print(f"chief: serving the oracle on {address}", flush=True)
    try:
        while not (servicer.stop_triggered and oracle_chief.exit_chief(oracle)):
            time.sleep(1)
    finally:
        server.stop(grace=1)


def tune(config: Config, sweep_dir: Path | None = None) -> Path:
    """Run (or resume, given the folder of an earlier sweep) the sweep of `config`."""
    strategy = driver.set_up(config)
    # The oracle's file marks a started sweep (workers share the folder but never write it).
    resuming = sweep_dir is not None and (sweep_dir / PROJECT / "oracle.json").is_file()
    if sweep_dir is None:
        sweep_dir = runs.new_run_dir(config, prefix="tune-")
        runs.write_config(sweep_dir, config)
    kind = role()
    print(f"Sweep folder: {sweep_dir}", flush=True)
    if kind != "worker":
        runs.write_json(sweep_dir / "environment.json", driver.environment(config, strategy))

    hypermodel = ConfigHyperModel(config, strategy)
    # A new standalone sweep starts clean; a resumed one, and every process of a distributed
    # one (they share the folder), reload KerasTuner's project instead.
    tuner = make_tuner(hypermodel, sweep_dir, overwrite=kind == "standalone" and not resuming)
    if resuming and kind != "worker":
        done = sum(trial.status == "COMPLETED" for trial in tuner.oracle.trials.values())
        print(f"Resuming: {done} trial(s) finished, {len(tuner.oracle.trials)} started.")
    elif kind != "worker":
        # KerasTuner reloads a project only if <tuner id>.json exists, and writes it after each
        # trial: saved now, a sweep killed at any later point resumes instead of starting over.
        tuner.save()

    if kind == "chief":
        serve_oracle(tuner.oracle)  # the workers run the trials
    else:
        # KerasTuner moves a TensorBoard callback to `logs/<trial>/execution<n>/` and adds
        # TensorBoard's HParams callback beside it, which fills the HParams dashboard.
        tuner.search(callbacks=tensorboard(config, sweep_dir / "logs"))
    if kind == "worker":  # the chief writes the results
        print(f"{tuner.tuner_id}: no trials left.", flush=True)
    else:
        write_results(tuner, hypermodel, sweep_dir)
    return sweep_dir


# --------------------------------------------------------------------------------------------
# Results: leaderboard.csv, the printed table, best.yaml
# --------------------------------------------------------------------------------------------


def trial_owners(project_dir: Path) -> dict[str, str]:
    """trial id -> the tuner that ran it, from each tuner's saved state (`_Sweep.get_state`)."""
    owners = {}
    for path in sorted(project_dir.glob("*.json")):
        if path.name != "oracle.json":
            state = json.loads(path.read_text(encoding="utf-8"))
            owners.update({trial_id: path.stem for trial_id in state.get("trials_run", [])})
    return owners


def leaderboard(tuner: _Sweep, hypermodel: ConfigHyperModel) -> list[dict[str, Any]]:
    """One row per trial, best first: the searched values as config values, any values the
    tuner adds itself (Hyperband's `tuner/epochs`, ...), the objective and the epochs."""
    oracle = tuner.oracle
    objective = hypermodel.config.tune.objective
    owners = trial_owners(Path(tuner.project_dir))
    rows = []
    for trial in oracle.get_best_trials(len(oracle.trials)):
        values = trial.hyperparameters.values
        row: dict[str, Any] = {"trial": trial.trial_id}
        for entry in hypermodel.entries:
            if entry.key in values:
                row[entry.key] = search_space.yaml_text(entry.decode(values[entry.key]))
        row.update({name: value for name, value in sorted(values.items()) if name not in row})
        scored = trial.score is not None and math.isfinite(trial.score)
        row[objective] = trial.score if scored else ""
        start = values.get("tuner/initial_epoch", 0)
        row["best_epoch"] = start + trial.best_step + 1 if scored else ""
        epochs = trial.metrics.get_last_value("epochs") if trial.metrics.exists("epochs") else None
        row["epochs"] = int(epochs) if epochs is not None else ""
        row["status"] = trial.status
        row["tuner"] = owners.get(trial.trial_id, "")
        rows.append(row)
    return rows


def columns(rows: list[dict[str, Any]], hypermodel: ConfigHyperModel) -> list[str]:
    """trial, the searched keys, values the tuner adds, objective, epochs, status, tuner."""
    head = ["trial", *(entry.key for entry in hypermodel.entries)]
    tail = [hypermodel.config.tune.objective, "best_epoch", "epochs", "status", "tuner"]
    added = sorted({name for row in rows for name in row} - {*head, *tail})
    return [*head, *added, *tail]


def write_leaderboard(path: Path, rows: list[dict[str, Any]], names: list[str]) -> None:
    """Atomically (a temporary file, then a rename): a kill never leaves half a leaderboard."""
    with (
        runs.atomic_path(path) as temporary,
        open(temporary, "w", newline="", encoding="utf-8") as file,
    ):
        writer = csv.DictWriter(file, fieldnames=names, restval="")
        writer.writeheader()
        writer.writerows(rows)


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    def cell(value: Any) -> str:
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    cells = [[cell(row.get(name, "")) for name in columns] for row in rows]
    widths = [max(len(name), *(len(line[i]) for line in cells)) for i, name in enumerate(columns)]
    lines = [columns, *cells]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def write_best(tuner: _Sweep, hypermodel: ConfigHyperModel, sweep_dir: Path) -> Path | None:
    """best.yaml: the whole config of the best trial, named `<config>-tuned`, so that
    `cookbook train <sweep>/best.yaml` trains it under runs/<config>-tuned/."""
    best = [trial for trial in tuner.oracle.get_best_trials(1) if trial.status == "COMPLETED"]
    if not best:
        return None
    (trial,) = best
    config = hypermodel.config
    overrides = search_space.trial_overrides(hypermodel.entries, trial.hyperparameters.values)
    best_config = config_module.with_overrides(config, overrides)
    best_config.name = f"{config.name}-tuned"
    path = sweep_dir / "best.yaml"
    header = (
        f"# Best trial {trial.trial_id} of the sweep in {sweep_dir} "
        f"({config.tune.objective} = {trial.score:.6g}):\n"
        f"#   {config.name} with {' '.join(overrides)}\n"
        f"# Train it: cookbook train {path}\n"
    )
    runs.write_text(path, header + config_module.to_yaml(best_config))
    return path


def write_results(tuner: _Sweep, hypermodel: ConfigHyperModel, sweep_dir: Path) -> None:
    rows = leaderboard(tuner, hypermodel)
    if not rows:
        print("No trials ran.")
        return
    names = columns(rows, hypermodel)
    write_leaderboard(sweep_dir / "leaderboard.csv", rows, names)
    objective = hypermodel.config.tune.objective
    distributed = any(row["tuner"] not in ("", "tuner0") for row in rows)
    shown = [name for name in names if "/" not in name and (name != "tuner" or distributed)]
    print(f"\nSweep: {sweep_dir}  ({objective}, {search_space.direction(hypermodel.config)})")
    print(table(rows, shown))
    best = write_best(tuner, hypermodel, sweep_dir)
    if best is None:
        print("\nNo trial completed, so there is no best.yaml.")
    else:
        print(f"\nBest config: {best}\nTrain it:    cookbook train {best}")
