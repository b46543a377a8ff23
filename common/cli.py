"""`cookbook`: the command line. Answers --help, list, show and config errors instantly;
TensorFlow is imported only by the commands that build models.

    cookbook list
    cookbook show binary trainer.epochs=3
    cookbook check binary
    cookbook train binary trainer.epochs=3 model.units=[64,64]
    cookbook train configs/binary-imdb.yaml
    cookbook train --resume runs/binary/latest
    cookbook tune binary tune.max_trials=5          (KerasTuner sweep over the config's tune.space)
    cookbook tune --resume runs/binary/latest-tune
    cookbook tune binary --workers 2                (a chief and two workers on 127.0.0.1)
    cookbook sample runs/gan-conditional/latest --n 64 --label 3
    cookbook gradcam runs/convnet/latest photo.png   (where the classifier looked)
    cookbook report runs/binary/latest              (one HTML page: curves, scores, pictures)
    cookbook runs binary                            (finished runs and their test scores)
    cookbook export runs/multiclass/latest --format tflite --quantize int8
    cookbook train binary --seeds 0,1,2             (one run per seed, then mean ± std)
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys

from common import config as config_module
from common.errors import EXIT_ENVIRONMENT, EXIT_USAGE, Terminated, UserError

VERBOSE = "COOKBOOK_VERBOSE"  # set by --verbose, read by the workers a launcher starts


def _quiet_tensorflow() -> None:
    """Start TensorFlow without its C++ and absl start-up lines ("Could not find cuda drivers",
    "failed call to cuInit" on a machine without a GPU: noise that reads like a failure). The
    process's stderr is pointed at /dev/null while TensorFlow loads and finds its devices,
    then restored; `--verbose` keeps everything."""
    if os.environ.get(VERBOSE):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def cmd_list(args: argparse.Namespace) -> int:
    print("Recipes:")
    for name in config_module.recipe_names():
        print(f"  {name}")
    print("Configs:")
    for name in config_module.config_names():
        recipe = config_module.read_with_extends(config_module.CONFIG_DIR / f"{name}.yaml").get(
            "recipe", "?"
        )
        print(f"  {name:<28} recipe: {recipe}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    config = config_module.load_config(args.target, args.overrides)
    print(config_module.to_yaml(config), end="")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    config = config_module.load_config(args.target, args.overrides)
    _quiet_tensorflow()
    from common.training import driver

    summary = driver.check(config)
    print(
        f"ok: {config.name} ({summary['recipe']}) — {summary['parameters']:,} parameters, "
        f"{summary['strategy']} with {summary['replicas']} replica(s), "
        f"loss after one step {summary['loss_after_one_step']:.4f}"
    )
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from common.training import runs

    if args.restart and not args.resume:
        raise UserError("--restart goes with --resume RUN: it trains that run again from epoch 1.")
    if args.seeds is not None:
        return train_seeds(args)
    folder = args.resume or args.run_dir
    if folder and (Path(folder) / "config.yaml").is_file():
        if args.target or args.overrides:
            raise UserError(f"{folder} trains its own config.yaml; drop the config and overrides.")
        run_dir, config = runs.open_run(folder)
        if runs.is_sweep(run_dir):
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
        if not args.target:
            raise UserError("name a recipe or config to train, e.g. `cookbook train binary`.")
        overrides = list(args.overrides)
        if args.workers:
            overrides.append("distribute.strategy=multi_worker")
        run_dir, config = folder, config_module.load_config(args.target, overrides)
    if args.workers:
        from common.distribute import launch

        if run_dir is None:
            run_dir = runs.new_run_dir(config)
        if not (Path(run_dir) / "config.yaml").is_file():
            runs.write_config(Path(run_dir), config)
        return launch.launch_training(Path(run_dir), args.workers)
    if args.restart:
        runs.clear_progress(Path(run_dir))
    _quiet_tensorflow()
    from common.training import driver

    driver.train(config, Path(run_dir) if run_dir else None)
    return 0


def train_seeds(args: argparse.Namespace) -> int:
    """`--seeds 0,1,2`: one run per seed on the same split (`data.split_seed` stays at the
    config's seed unless given), then the test metrics' mean ± std over the seeds."""
    if args.resume or args.run_dir or args.workers:
        raise UserError("--seeds starts new runs; drop --resume, --run-dir and --workers.")
    if not args.target:
        raise UserError("name a recipe or config, e.g. `cookbook train binary --seeds 0,1,2`.")
    seeds = _seed_list(args.seeds)
    base = config_module.load_config(args.target, args.overrides)
    split_seed = [] if base.data.split_seed is not None else [f"data.split_seed={base.seed}"]
    configs = [
        config_module.load_config(args.target, [*args.overrides, *split_seed, f"seed={seed}"])
        for seed in seeds
    ]
    _quiet_tensorflow()
    from common.training import driver

    results = [driver.train(config) for config in configs]
    driver.print_seed_summary(base, seeds, results)
    return 0


def _seed_list(text: str) -> list[int]:
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(
            f"--seeds takes numbers separated by commas, e.g. 0,1,2; got {text!r}."
        ) from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise UserError(f"--seeds needs distinct seeds, e.g. 0,1,2; got {text!r}.")
    return seeds


def _set_tuner_role(args: argparse.Namespace) -> None:
    """KerasTuner's distributed mode is configured by environment variables; set them for
    `--chief` and `--worker N` (and leave any the user set for a bare `cookbook tune`)."""
    if not args.chief and args.worker is None:
        return
    os.environ["KERASTUNER_TUNER_ID"] = "chief" if args.chief else f"tuner{args.worker}"
    os.environ["KERASTUNER_ORACLE_IP"] = args.oracle_ip
    os.environ["KERASTUNER_ORACLE_PORT"] = str(
        args.port or os.environ.get("KERASTUNER_ORACLE_PORT", "8000")
    )


def cmd_tune(args: argparse.Namespace) -> int:
    from pathlib import Path

    from common.training import runs
    from common.tuning import search_space

    if sum([args.chief, args.worker is not None, args.workers is not None]) > 1:
        raise UserError("choose one of --chief, --worker N and --workers N.")
    sweep_dir = None
    if args.resume:
        if args.overrides:
            raise UserError("--resume continues the sweep's own config.yaml; drop the overrides.")
        sweep_dir, config = runs.open_run(args.resume)
        if not sweep_dir.name.startswith("tune-") and not (sweep_dir / "keras_tuner").is_dir():
            raise UserError(f"{args.resume} is not a sweep folder (runs/<config>/tune-...).")
        if args.target and config_module.load_config(args.target).name != config.name:
            raise UserError(f"{args.resume} is a sweep of {config.name!r}, not of {args.target!r}.")
    else:
        if not args.target:
            raise UserError("name a recipe or config to tune, e.g. `cookbook tune binary`.")
        config = config_module.load_config(args.target, args.overrides)
    search_space.check_sweep(config)
    if args.workers is not None:
        from common.tuning import cluster

        if sweep_dir is None:
            sweep_dir = runs.new_run_dir(config, prefix="tune-")
            runs.write_config(sweep_dir, config)
        return cluster.launch(sweep_dir, args.workers, args.port)
    _set_tuner_role(args)
    _quiet_tensorflow()
    from common.tuning import tuner

    tuner.tune(config, Path(sweep_dir) if sweep_dir else None)
    return 0


def _tune_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--resume", metavar="SWEEP", help="continue (or join) a sweep folder")
    command.add_argument(
        "--chief", action="store_true", help="serve the oracle of a distributed sweep"
    )
    command.add_argument(
        "--worker", type=int, metavar="N", help="run trials for the chief as tuner<N>"
    )
    command.add_argument(
        "--workers", type=_positive, metavar="N", help="start a chief and N workers on 127.0.0.1"
    )
    command.add_argument(
        "--oracle-ip",
        default=os.environ.get("KERASTUNER_ORACLE_IP", "127.0.0.1"),
        help="the chief's address (default: $KERASTUNER_ORACLE_IP or 127.0.0.1)",
    )
    command.add_argument(
        "--port",
        type=_positive,
        default=None,
        help="the chief's port (default: $KERASTUNER_ORACLE_PORT or 8000; --workers: a free one)",
    )


def cmd_sample(args: argparse.Namespace) -> int:
    """Draw new examples from a finished run through its recipe's `sample` hook."""
    from pathlib import Path

    from common.training import runs

    if not Path(args.run).exists():
        raise UserError(f"run folder not found: {args.run}")
    run_dir, config = runs.open_run(args.run)
    _quiet_tensorflow()
    from common.training.recipe import load_recipe

    recipe = load_recipe(config.recipe)
    if recipe.sample is None:
        raise UserError(
            f"{run_dir} is a run of the {config.recipe!r} recipe, which does not draw samples "
            "(no `sample` hook); e.g. `cookbook sample runs/gan-conditional/latest`."
        )
    print(recipe.sample(run_dir, config, args.n, args.label, args.seed))
    return 0


def cmd_use(args: argparse.Namespace) -> int:
    """evaluate / predict / export a finished run (the folder is checked before TensorFlow)."""
    from pathlib import Path

    from common.training import runs

    runs.open_run(args.run)
    if args.command == "export" and args.quantize and args.format != "tflite":
        raise UserError(
            "--quantize needs --format tflite: cookbook export RUN --format tflite --quantize int8."
        )
    if args.command == "predict":
        for path in args.inputs:
            if not Path(path).exists():
                raise UserError(f"not found: {path}")
    _quiet_tensorflow()
    if args.command == "predict":
        from common.serving import predict

        predict.predict(args.run, args.inputs, args.output)
        return 0
    if args.command == "evaluate":
        from common.serving import inference

        inference.evaluate(args.run)
    else:
        from common.serving import export

        export.export(args.run, args.format, args.quantize)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """One self-contained HTML page for one run, or a comparison of several."""
    from common.reporting import report

    print(report.write_report(args.runs, args.output))
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """A table of finished runs with their key test metric, baseline and reference."""
    from common.reporting import report

    report.print_runs(args.config, args.root)
    return 0


def cmd_gradcam(args: argparse.Namespace) -> int:
    """Grad-CAM heatmaps of a finished image classifier over any images."""
    from pathlib import Path

    from common.training import runs

    run_dir, _ = runs.open_run(args.run)
    for path in args.images:
        if not Path(path).exists():
            raise UserError(f"not found: {path}")
    _quiet_tensorflow()
    from common.reporting.inspect import gradcam_files

    output = Path(args.output) if args.output else run_dir / "gradcam"
    for path in gradcam_files(run_dir, args.images, output):
        print(path)
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="cookbook",
        description="Keras 3 / TensorFlow training recipes driven by YAML configs.",
        epilog="Overrides are dotted keys: "
        "trainer.epochs=3 model.units=[64,64] optimizer.learning_rate=3e-4. "
        "--verbose (anywhere) keeps TensorFlow's start-up log; --debug shows tracebacks.",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler, help_text: str, target: str = "required"
    ) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        if target == "required":
            command.add_argument(
                "target", help="recipe or config name (binary, binary-imdb) or a YAML path"
            )
        elif target == "optional":
            command.add_argument("target", nargs="?", help="recipe or config name, or a YAML path")
        if target != "none":
            command.add_argument(
                "overrides", nargs="*", metavar="KEY=VALUE", help="config overrides"
            )
        return command

    add("list", cmd_list, "list recipes and configs", target="none")
    add("show", cmd_show, "print the resolved config")
    add("check", cmd_check, "validate, build under the strategy and run one training step")
    train_command = add("train", cmd_train, "train a config in a new run folder", target="optional")
    train_command.add_argument("--resume", metavar="RUN", help="continue an unfinished run folder")
    train_command.add_argument(
        "--restart",
        action="store_true",
        help="with --resume: forget the run's progress (a damaged backup) and train it again",
    )
    train_command.add_argument(
        "--seeds",
        metavar="S,S,...",
        help="one run per seed on the same split, then mean ± std of the test metrics",
    )
    train_command.add_argument(
        "--run-dir",
        metavar="RUN",
        help="train into this folder (the same path on every worker of a cluster)",
    )
    train_command.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="start N multi-worker processes on 127.0.0.1 (generated TF_CONFIG)",
    )
    tune_help = "KerasTuner sweep over the config's tune.space"
    _tune_arguments(add("tune", cmd_tune, tune_help, target="optional"))
    for name, help_text in (
        ("evaluate", "score a run's best.keras on its test split again"),
        ("predict", "predict raw inputs with best.keras: CSV rows, images, text lines"),
        ("export", "export a run's best.keras (SavedModel or TFLite), scored on the test split"),
    ):
        use_command = add(name, cmd_use, help_text, target="none")
        use_command.add_argument("run", metavar="RUN", help="a finished run folder")
        if name == "predict":
            use_command.add_argument(
                "inputs",
                nargs="+",
                metavar="INPUT",
                help="rows.csv (columns by name), rows.npz (x), images or folders of them, "
                "or .txt files (one text per line)",
            )
            use_command.add_argument(
                "--output", metavar="CSV", help="write the predictions here (default: stdout)"
            )
        if name == "export":
            use_command.add_argument(
                "--format",
                choices=["saved_model", "tflite"],
                default="saved_model",
                help="saved_model (TF Serving) or tflite (devices); default saved_model",
            )
            use_command.add_argument(
                "--quantize",
                choices=["dynamic", "float16", "int8"],
                help="tflite only: dynamic-range, float16 or int8 (calibrated on training samples)",
            )
    report_command = add(
        "report", cmd_report, "write a self-contained HTML report of runs", target="none"
    )
    report_command.add_argument(
        "runs", nargs="+", metavar="RUN", help="run folders, or runs/<config>/ for all its runs"
    )
    report_command.add_argument(
        "--output", metavar="HTML", help="default: RUN/report.html (several runs: report.html)"
    )
    runs_command = add("runs", cmd_runs, "list finished runs with their test score", target="none")
    runs_command.add_argument("config", nargs="?", help="only this config's runs")
    runs_command.add_argument("--root", default="runs", help="the runs folder (default: runs)")
    gradcam_command = add(
        "gradcam", cmd_gradcam, "Grad-CAM heatmaps of an image classifier run", target="none"
    )
    gradcam_command.add_argument("run", metavar="RUN", help="a finished image-classifier run")
    gradcam_command.add_argument("images", nargs="+", metavar="IMAGE", help="images or folders")
    gradcam_command.add_argument("--output", metavar="DIR", help="default: RUN/gradcam/")
    sample_command = add(
        "sample",
        cmd_sample,
        "draw a PNG grid of new samples from a generative run (gan)",
        target="none",
    )
    sample_command.add_argument("run", metavar="RUN", help="a finished run folder")
    sample_command.add_argument("--n", type=_positive, default=64, help="how many (default 64)")
    sample_command.add_argument("--label", type=int, help="the class to draw (conditional GANs)")
    sample_command.add_argument("--seed", type=int, help="noise seed, for a repeatable grid")
    return root


def main(argv: list[str] | None = None) -> int:
    command_line = parser()
    argv = list(argv if argv is not None else sys.argv[1:])
    if "--verbose" in argv:
        os.environ[VERBOSE] = "1"  # before any TensorFlow import; inherited by workers
    if "--debug" in argv:
        os.environ["COOKBOOK_DEBUG"] = "1"  # tracebacks for every error
    argv = [a for a in argv if a not in ("--verbose", "--debug")]
    # Overrides may follow options too (`train binary --workers 2 trainer.epochs=3`).
    args, extra = command_line.parse_known_args(argv)
    stray = [token for token in extra if token.startswith("-") or "=" not in token]
    if stray:
        command_line.error(f"unrecognized arguments: {' '.join(stray)}")
    if extra:
        args.overrides = [*getattr(args, "overrides", []), *extra]
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.handler(args)
    except UserError as error:
        if os.environ.get("COOKBOOK_DEBUG"):
            raise
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyboardInterrupt, Terminated) as stop:
        what = "sweep" if args.command == "tune" else "run"
        how = "terminated" if isinstance(stop, Terminated) else "interrupted"
        from common.training import runs

        if runs.ACTIVE and args.command in ("train", "tune"):
            hint = f"`cookbook {args.command} --resume {runs.ACTIVE}` continues the {what}."
        else:
            hint = "nothing was left to resume."
        print(f"\n{how}; {hint}", file=sys.stderr)
        return 143 if isinstance(stop, Terminated) else 130
    except Exception as error:
        message = environment_error(error)
        if message is None or os.environ.get("COOKBOOK_DEBUG"):
            raise
        print(f"error: {message}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, FileNotFoundError) else EXIT_ENVIRONMENT


def environment_error(error: Exception) -> str | None:
    """One line for what the machine refused (a read-only or full disk, a missing permission,
    memory), or None for a bug, which keeps its traceback."""
    if isinstance(error, OSError) and error.errno is not None:
        where = f": {error.filename}" if error.filename else ""
        fix = {
            errno.ENOSPC: " Free some space (or set output.dir elsewhere) and resume the run.",
            errno.EROFS: " Set output.dir to a writable folder.",
            errno.EACCES: " Set output.dir to a folder you may write, or fix its permissions.",
            errno.EPERM: " Set output.dir to a folder you may write, or fix its permissions.",
            errno.ENOTDIR: " A file stands where a folder is needed; set output.dir elsewhere.",
        }.get(error.errno, "")
        return f"{error.strerror}{where}.{fix}"
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(
        error, tf.errors.PermissionDeniedError | tf.errors.ResourceExhaustedError
    ):
        return f"{type(error).__name__}: {error.message.strip().splitlines()[0][:300]}"
    return None


def _terminate(signum, frame) -> None:
    raise Terminated()


def run() -> None:
    """The `cookbook` command: `main`, then the exit. Once TensorFlow is loaded, a normal exit
    spends 1.5-2 s tearing it down (freeing its graphs and modules, C++ destructors) after the
    command has finished; every file is written and closed by then, so the process flushes its
    output and leaves without the teardown (as mypy does). A bug's traceback exits normally."""
    code = main()
    if "tensorflow" not in sys.modules:
        sys.exit(code)
    import contextlib
    import logging

    logging.shutdown()
    with contextlib.suppress(OSError):  # a reader that went away (`| head`) loses nothing
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
