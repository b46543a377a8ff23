"""KerasTuner sweeps over any config key: `cookbook tune binary`.

    config -> strategy -> KerasTuner tuner (random | bayesian | hyperband | grid)
           -> each trial: base config + the trial's overrides -> fitting.build -> fit
           -> leaderboard.csv, a table, best.yaml

The space is the config's `tune.space` (grammar in `common.config.search_space`, as KerasTuner
hyperparameters in `common.tuning.hyperparameters`). A trial is the base config plus one
`key=value` override per searched key (`common.tuning.hypermodel`); the results are written by
`common.tuning.results`. This module drives the sweep: the tuner, resuming, the chief's oracle.

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

import os
import shutil
import time
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import keras
import keras_tuner
from keras_tuner.src import protos
from keras_tuner.src.distribute import oracle_chief

from common.config.schema import Config
from common.config.search_space import direction
from common.errors import RunStopped, Terminated, UserError
from common.reporting import run_files, warning_log
from common.training import runs, startup
from common.training.callbacks import tensorboard
from common.tuning.hypermodel import ConfigHyperModel
from common.tuning.results import write_results

PROJECT = "keras_tuner"  # KerasTuner's project folder inside the sweep folder


class Sweep:
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


class RandomSweep(Sweep, keras_tuner.RandomSearch):
    pass


class BayesianSweep(Sweep, keras_tuner.BayesianOptimization):
    pass


class HyperbandSweep(Sweep, keras_tuner.Hyperband):
    pass


class GridSweep(Sweep, keras_tuner.GridSearch):
    pass


def make_tuner(hypermodel: ConfigHyperModel, sweep_dir: Path, overwrite: bool) -> Sweep:
    config = hypermodel.config
    options = dict(
        hypermodel=hypermodel,
        objective=keras_tuner.Objective(config.tune.objective, direction(config)),
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
    """Run (or resume, given the folder of an earlier sweep) the sweep of `config`.

    Raises:
        RunStopped: on Ctrl-C or SIGTERM once the sweep folder is known (from the start when
            resuming `sweep_dir`), carrying it for the resume hint.
    """
    known = sweep_dir  # the folder a stop can be resumed from, once there is one
    try:
        strategy = startup.set_up(config)
        # The oracle's file marks a started sweep (workers share the folder but never write it).
        resuming = sweep_dir is not None and (sweep_dir / PROJECT / "oracle.json").is_file()
        if sweep_dir is None:
            sweep_dir = known = runs.new_run_dir(config, prefix="tune-")
            runs.write_config(sweep_dir, config)
        run_sweep(config, strategy, sweep_dir, resuming)
    except (KeyboardInterrupt, Terminated) as stop:
        if known is None:
            raise
        raise RunStopped(known, "tune", isinstance(stop, Terminated)) from stop
    return sweep_dir


def run_sweep(config: Config, strategy, sweep_dir: Path, resuming: bool) -> None:
    """This process's part of the sweep in `sweep_dir`: all of it standalone, the oracle on
    the chief, trials on a worker; then the results (but on a worker)."""
    kind = role()
    print(f"Sweep folder: {sweep_dir}", flush=True)
    if kind != "worker":
        warning_log.attach(sweep_dir)
        run_files.write_json(sweep_dir / "environment.json", startup.environment(config, strategy))

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
