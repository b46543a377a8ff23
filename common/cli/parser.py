"""The `cookbook` command line's arguments: one subcommand per handler.

Every subcommand that takes a config takes `target` (a recipe or config name, or a YAML path)
and `KEY=VALUE` overrides; the handlers live in the command-group modules beside this one.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from common.cli import browse, deploy, reports, serve, train, tune

Handler = Callable[[argparse.Namespace], int]


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="cookbook",
        description="Keras 3 / TensorFlow training recipes driven by YAML configs.",
        epilog="Overrides are dotted keys: "
        "trainer.epochs=3 model.units=[64,64] optimizer.learning_rate=3e-4. "
        "--verbose (anywhere) keeps TensorFlow's start-up log; --debug shows tracebacks.",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Handler, help_text: str, target: str = "required"
    ) -> argparse.ArgumentParser:
        """A subcommand; `target` is whether it takes a config: required, optional or none."""
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

    add("list", browse.list_recipes_and_configs, "list recipes and configs", target="none")
    add("show", browse.show_config, "print the resolved config")
    add("check", train.check, "validate, build under the strategy and run one training step")
    add_train_arguments(
        add("train", train.train, "train a config in a new run folder", target="optional")
    )
    tune_help = "KerasTuner sweep over the config's tune.space"
    add_tune_arguments(add("tune", tune.tune, tune_help, target="optional"))
    add_serve_commands(add)
    add_deploy_command(add)
    add_report_commands(add)
    return root


def add_train_arguments(command: argparse.ArgumentParser) -> None:
    command.epilog = (
        "No recipe to know: `cookbook train data.path=rows.csv data.target=label` (no recipe "
        "named) picks one from the data, says which and why, and records it in config.yaml."
    )
    command.add_argument("--resume", metavar="RUN", help="continue an unfinished run folder")
    command.add_argument(
        "--restart",
        action="store_true",
        help="with --resume: forget the run's progress (a damaged backup) and train it again",
    )
    command.add_argument(
        "--seeds",
        metavar="S,S,...",
        help="one run per seed on the same split, then mean ± std of the test metrics",
    )
    command.add_argument(
        "--run-dir",
        metavar="RUN",
        help="train into this folder (the same path on every worker of a cluster)",
    )
    command.add_argument(
        "--workers",
        type=positive,
        metavar="N",
        help="start N multi-worker processes on 127.0.0.1 (generated TF_CONFIG)",
    )
    command.add_argument(
        "--fail-under",
        choices=("baseline", "reference"),
        help="exit 3 (after writing everything) when the run does not beat it beyond noise",
    )


def add_tune_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--resume", metavar="SWEEP", help="continue (or join) a sweep folder")
    command.add_argument(
        "--refit",
        action="store_true",
        help="then train best.yaml with trainer.refit=true: the chosen config and epoch count, "
        "fitted again on training + validation and scored once on the test split",
    )
    command.add_argument(
        "--chief", action="store_true", help="serve the oracle of a distributed sweep"
    )
    command.add_argument(
        "--worker", type=int, metavar="N", help="run trials for the chief as tuner<N>"
    )
    command.add_argument(
        "--workers", type=positive, metavar="N", help="start a chief and N workers on 127.0.0.1"
    )
    command.add_argument(
        "--oracle-ip",
        default=os.environ.get("KERASTUNER_ORACLE_IP", "127.0.0.1"),
        help="the chief's address (default: $KERASTUNER_ORACLE_IP or 127.0.0.1)",
    )
    command.add_argument(
        "--port",
        type=positive,
        default=None,
        help="the chief's port (default: $KERASTUNER_ORACLE_PORT or 8000; --workers: a free one)",
    )


def add_serve_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    """evaluate, predict and export: each takes a finished run folder."""
    evaluate = add(
        "evaluate", serve.evaluate, "score a run's best.keras on its test split again", "none"
    )
    evaluate.add_argument("run", metavar="RUN", help="a finished run folder")
    predict = add(
        "predict",
        serve.predict,
        "predict raw inputs with best.keras: CSV rows, images, text lines",
        "none",
    )
    predict.add_argument("run", metavar="RUN", help="a finished run folder")
    predict.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="rows.csv (columns by name), rows.npz (x), images or folders of them, "
        "or .txt files (one text per line)",
    )
    predict.add_argument(
        "--output", metavar="CSV", help="write the predictions here (default: stdout)"
    )
    predict.add_argument(
        "--id-column",
        metavar="NAME",
        help="a submission: `NAME,<target>` per row (the class or value), in input order",
    )
    predict.add_argument(
        "--proba",
        action="store_true",
        help="with --id-column: probability columns (one per class; binary: the positive one)",
    )
    export = add(
        "export",
        serve.export,
        "export a run's best.keras (SavedModel, TFLite or a web page), scored on the test split",
        "none",
    )
    export.add_argument("run", metavar="RUN", help="a finished run folder")
    export.add_argument(
        "--format",
        choices=["saved_model", "tflite", "web"],
        default="saved_model",
        help="saved_model (TF Serving), tflite (devices) or web (a page that predicts in the "
        "browser, offline: ONNX Runtime Web); default saved_model",
    )
    export.add_argument(
        "--quantize",
        choices=["dynamic", "float16", "int8"],
        help="tflite only: dynamic-range, float16 or int8 (calibrated on training samples)",
    )
    export.add_argument(
        "--runtime",
        metavar="DIR",
        help="web only: onnxruntime-web's dist/ folder (default: what `make web-runtime` installs)",
    )


def add_deploy_command(add: Callable[..., argparse.ArgumentParser]) -> None:
    """serve: a finished run behind TensorFlow Serving's REST API."""
    command = add(
        "serve", deploy.serve, "serve a run's model over TensorFlow Serving's REST API", "none"
    )
    command.add_argument("run", metavar="RUN", help="a finished run folder")
    command.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (this machine)")
    command.add_argument("--port", type=int, default=8501, help="default 8501 (TF Serving's)")
    command.add_argument(
        "--token",
        help=f"required off 127.0.0.1 (or ${deploy.TOKEN}): clients send it as a Bearer token",
    )
    command.add_argument(
        "--max-batch", type=positive, default=64, help="rows per model call (default 64)"
    )
    command.add_argument(
        "--max-wait-ms",
        type=float,
        default=5.0,
        help="how long a request waits for others to share its model call (default 5 ms)",
    )
    command.add_argument(
        "--max-body-mb", type=positive, default=16, help="largest request body (default 16 MiB)"
    )


def add_report_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    """report, runs, gradcam and sample: what finished runs hold and show."""
    report = add("report", reports.report, "write a self-contained HTML report of runs", "none")
    report.add_argument(
        "runs", nargs="+", metavar="RUN", help="run folders, or runs/<config>/ for all its runs"
    )
    report.add_argument(
        "--output", metavar="HTML", help="default: RUN/report.html (several runs: report.html)"
    )
    runs = add("runs", browse.list_runs, "list finished runs with their test score", "none")
    runs.add_argument("config", nargs="?", help="only this config's runs")
    runs.add_argument("--root", default="runs", help="the runs folder (default: runs)")
    gradcam = add(
        "gradcam", reports.gradcam, "Grad-CAM heatmaps of an image classifier run", "none"
    )
    gradcam.add_argument("run", metavar="RUN", help="a finished image-classifier run")
    gradcam.add_argument("images", nargs="+", metavar="IMAGE", help="images or folders")
    gradcam.add_argument("--output", metavar="DIR", help="default: RUN/gradcam/")
    sample = add(
        "sample",
        reports.sample,
        "draw a PNG grid of new samples from a generative run (gan)",
        "none",
    )
    sample.add_argument("run", metavar="RUN", help="a finished run folder")
    sample.add_argument("--n", type=positive, default=64, help="how many (default 64)")
    sample.add_argument("--label", type=int, help="the class to draw (conditional GANs)")
    sample.add_argument("--seed", type=int, help="noise seed, for a repeatable grid")
