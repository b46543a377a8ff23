"""`cookbook check` and `cookbook train`: one step of a config, or whole runs of it.

Arguments are checked, and configs loaded, before TensorFlow starts: a mistake exits 2 at once.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from common.cli import configs
from common.cli.startup import start_tensorflow
from common.config.files import is_file
from common.data import recipe_choice
from common.distribute import launch
from common.errors import RunStopped, Terminated, UserError
from common.reporting import run_files
from common.training import runs

EXIT_BELOW_BAR = 3  # --fail-under: the run did not beat its baseline (or reference)


def check(args: argparse.Namespace) -> int:
    """Validate, build under the strategy and run one training step."""
    config = configs.load(args.target, args.overrides)
    start_tensorflow()
    from common.training import driver  # lazy: TensorFlow, after the config checks

    summary = driver.check(config)
    print(
        f"ok: {config.name} ({summary['recipe']}) — {summary['parameters']:,} parameters, "
        f"{summary['strategy']} with {summary['replicas']} replica(s), "
        f"loss after one step {summary['loss_after_one_step']:.4f}"
    )
    return 0


def train(args: argparse.Namespace) -> int:
    """A new run, a run resumed (`--resume`), a cluster's worker (`--run-dir`), or a cluster
    of local workers (`--workers`)."""
    if args.restart and not args.resume:
        raise UserError("--restart goes with --resume RUN: it trains that run again from epoch 1.")
    if args.seeds is not None:
        return train_seeds(args)
    folder = args.resume or args.run_dir
    if folder and (Path(folder) / "config.yaml").is_file():
        if args.target or args.overrides:
            raise UserError(f"{folder} trains its own config.yaml; drop the config and overrides.")
        run_dir, config = configs.open_run(folder)
        if run_files.is_sweep(run_dir):
            raise UserError(
                f"{folder} is a sweep folder; continue it with `cookbook tune --resume {folder}`."
            )
    elif args.resume:
        raise UserError(f"{args.resume} is not a run folder (no config.yaml in it).")
    elif args.run_dir and Path(args.run_dir).exists() and any(Path(args.run_dir).iterdir()):
        raise UserError(
            f"--run-dir {args.run_dir} is neither empty nor a run folder (no config.yaml); "
            "name an empty or new folder, or an existing run to continue."
        )
    else:
        pick_recipe(args)
        overrides = list(args.overrides)
        if args.workers:
            overrides.append("distribute.strategy=multi_worker")
        run_dir, config = folder, configs.load(args.target, overrides)
    if config.trainer.ensemble and config.data.split == "holdout":
        raise UserError(
            "trainer.ensemble averages several models: add --seeds 0,1,2 (one run per seed), "
            "or set data.split=kfold (the folds' models)."
        )
    if args.workers:
        if run_dir is None:
            run_dir = runs.new_run_dir(config)
        if not (Path(run_dir) / "config.yaml").is_file():
            runs.write_config(Path(run_dir), config)
        code = launch.launch_training(Path(run_dir), args.workers)
        finished = Path(run_dir) / "metrics.json"
        if code or not finished.is_file():
            return code
        return fail_under(args.fail_under, [json.loads(finished.read_text(encoding="utf-8"))])
    if args.restart:
        runs.clear_progress(Path(run_dir))
    try:
        start_tensorflow()
        from common.training import driver  # lazy: TensorFlow, after the config checks
    except (KeyboardInterrupt, Terminated) as stop:  # the run being resumed is still there
        if run_dir is None:
            raise
        raise RunStopped(Path(run_dir), "train", isinstance(stop, Terminated)) from stop
    _, metrics = driver.train(config, Path(run_dir) if run_dir else None)
    return fail_under(args.fail_under, [metrics])


def pick_recipe(args: argparse.Namespace) -> None:
    """No recipe named (`cookbook train data.path=… data.target=…`): the data picks one,
    said in one line; the run then loads that recipe's default config with the file's
    dataset before the user's overrides, as if both had been typed. Nothing here imports
    TensorFlow, so a question the data cannot answer exits 2 at once."""
    if args.target and "=" in args.target and not is_file(Path(args.target)):
        args.overrides = [args.target, *args.overrides]  # an override, read as the target
        args.target = None
    if args.target:
        return
    if not args.overrides:
        raise UserError(
            "name a recipe or config to train, e.g. `cookbook train binary`, or your data: "
            "`cookbook train data.path=rows.csv data.target=label` picks the recipe."
        )
    choice = recipe_choice.choose(args.overrides)
    print(choice.note(), flush=True)
    args.target = choice.recipe
    args.overrides = [*choice.overrides, *args.overrides]


def fail_under(bar: str | None, results: list[dict]) -> int:
    """`--fail-under baseline|reference`: exit 3 when a run does not beat it beyond noise (a
    run without a reference fails `reference`), else 0. Everything is written first."""
    if bar is None:
        return 0
    beaten = [(metrics.get("verdict") or {}).get(f"beats_{bar}") for metrics in results]
    if all(beaten):
        return 0
    failed = sum(not beat for beat in beaten)
    runs_text = f"{failed} of {len(beaten)} runs do" if len(beaten) > 1 else "the run does"
    print(f"--fail-under {bar}: {runs_text} not beat the {bar} beyond noise; exit 3")
    return EXIT_BELOW_BAR


def train_seeds(args: argparse.Namespace) -> int:
    """`--seeds 0,1,2`: one run per seed on the same split (`data.split_seed` stays at the
    config's seed unless given), then the test metrics' mean ± std over the seeds."""
    if args.resume or args.run_dir or args.workers:
        raise UserError("--seeds starts new runs; drop --resume, --run-dir and --workers.")
    seeds = seed_list(args.seeds)
    pick_recipe(args)
    base = configs.load(args.target, args.overrides)
    split_seed = [] if base.data.split_seed is not None else [f"data.split_seed={base.seed}"]
    seeded = [
        configs.load(args.target, [*args.overrides, *split_seed, f"seed={seed}"]) for seed in seeds
    ]
    start_tensorflow()
    from common.training import driver, results  # lazy: TensorFlow, after the config checks

    runs_done = [driver.train(config) for config in seeded]
    results.print_seed_summary(base, seeds, runs_done)
    if base.trainer.ensemble:
        from common.training import ensemble  # lazy: TensorFlow, as the driver

        ensemble.write_ensemble(base, seeds, runs_done)
    return fail_under(args.fail_under, [metrics for _, metrics in runs_done])


def seed_list(text: str) -> list[int]:
    """`0,1,2` -> [0, 1, 2]: distinct numbers, or a UserError."""
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(
            f"--seeds takes numbers separated by commas, e.g. 0,1,2; got {text!r}."
        ) from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise UserError(f"--seeds needs distinct seeds, e.g. 0,1,2; got {text!r}.")
    return seeds
