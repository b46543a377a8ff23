"""`cookbook tune`: a KerasTuner sweep over the config's `tune.space`, standalone, resumed,
or distributed (`--chief`, `--worker N`, or `--workers N` to start both on 127.0.0.1)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from common.cli import configs
from common.cli.startup import start_tensorflow
from common.config.search_space import check_sweep
from common.errors import UserError
from common.reporting import run_files
from common.training import runs
from common.tuning import cluster


def tune(args: argparse.Namespace) -> int:
    if sum([args.chief, args.worker is not None, args.workers is not None]) > 1:
        raise UserError("choose one of --chief, --worker N and --workers N.")
    sweep_dir = None
    if args.resume:
        if args.overrides:
            raise UserError("--resume continues the sweep's own config.yaml; drop the overrides.")
        sweep_dir, config = configs.open_run(args.resume)
        if not run_files.is_sweep(sweep_dir):
            raise UserError(f"{args.resume} is not a sweep folder (runs/<config>/tune-...).")
        if args.target and configs.load(args.target).name != config.name:
            raise UserError(f"{args.resume} is a sweep of {config.name!r}, not of {args.target!r}.")
    else:
        if not args.target:
            raise UserError("name a recipe or config to tune, e.g. `cookbook tune binary`.")
        config = configs.load(args.target, args.overrides)
    check_sweep(config)
    if args.refit and (args.chief or args.worker is not None):
        raise UserError("--refit goes with a whole sweep (alone or --workers N), not one role.")
    if args.workers is not None:
        if sweep_dir is None:
            sweep_dir = runs.new_run_dir(config, prefix="tune-")
            runs.write_config(sweep_dir, config)
        code = cluster.launch(sweep_dir, args.workers, args.port)
        return refit_best(Path(sweep_dir)) if args.refit and code == 0 else code
    set_tuner_role(args)
    start_tensorflow()
    from common.tuning import tuner  # lazy: TensorFlow and KerasTuner, after the config checks

    sweep_dir = tuner.tune(config, Path(sweep_dir) if sweep_dir else None)
    return refit_best(Path(sweep_dir)) if args.refit else 0


def refit_best(sweep_dir: Path) -> int:
    """`--refit`: the workflow's last step after a sweep. The config was chosen on validation
    (best.yaml); `trainer.refit` picks its epoch count on validation too, then trains a fresh
    model on training + validation and scores it once on the test split."""
    best = sweep_dir / "best.yaml"
    if not best.is_file():
        raise UserError(f"{sweep_dir} has no best.yaml (no trial finished): nothing to refit.")
    config = configs.load(str(best), ["trainer.refit=true"])
    print(f"\nrefit: {best} with trainer.refit=true, scored once on the test split", flush=True)
    start_tensorflow()
    from common.training import driver  # lazy: TensorFlow, after the sweep

    driver.train(config)
    return 0


def set_tuner_role(args: argparse.Namespace) -> None:
    """KerasTuner's distributed mode is configured by environment variables; set them for
    `--chief` and `--worker N` (and leave any the user set for a bare `cookbook tune`)."""
    if not args.chief and args.worker is None:
        return
    os.environ["KERASTUNER_TUNER_ID"] = "chief" if args.chief else f"tuner{args.worker}"
    os.environ["KERASTUNER_ORACLE_IP"] = args.oracle_ip
    os.environ["KERASTUNER_ORACLE_PORT"] = str(
        args.port or os.environ.get("KERASTUNER_ORACLE_PORT", "8000")
    )
