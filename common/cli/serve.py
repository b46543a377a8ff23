"""`cookbook evaluate`, `predict` and `export`: a finished run's best.keras put to use.

Each checks the run folder and its own arguments before TensorFlow starts.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common.cli import configs
from common.cli.startup import start_tensorflow
from common.errors import UserError
from common.serving import web_runtime


def evaluate(args: argparse.Namespace) -> int:
    """Score the run's best.keras on its test split again."""
    configs.open_run(args.run)
    start_tensorflow()
    from common.serving import inference  # lazy: TensorFlow, after the folder is checked

    inference.evaluate(args.run)
    return 0


def predict(args: argparse.Namespace) -> int:
    """Predict raw inputs (CSV rows, images, text lines) with the run's best.keras."""
    configs.open_run(args.run)
    for path in args.inputs:
        if not Path(path).exists():
            raise UserError(f"not found: {path}")
    start_tensorflow()
    from common.serving import predict as predicting  # lazy: TensorFlow, after the checks

    predicting.predict(args.run, args.inputs, args.output, args.id_column, args.proba)
    return 0


def export(args: argparse.Namespace) -> int:
    """Export the run's best.keras as a SavedModel, a TFLite file or a web page, scored on the
    test split."""
    configs.open_run(args.run)
    if args.quantize and args.format != "tflite":
        raise UserError(
            "--quantize needs --format tflite: cookbook export RUN --format tflite --quantize int8."
        )
    if args.runtime and args.format != "web":
        raise UserError(
            "--runtime needs --format web: cookbook export RUN --format web --runtime DIR."
        )
    if args.format == "web":
        web_runtime.check_converter()  # the converter and the browser runtime are there,
        web_runtime.find(args.runtime)  # before TensorFlow starts
    start_tensorflow()
    if args.format == "web":
        from common.serving import web_export  # lazy: TensorFlow, after the checks

        web_export.export(args.run, args.runtime)
        return 0
    from common.serving import export as exporting  # lazy: TensorFlow, after the checks

    exporting.export(args.run, args.format, args.quantize)
    return 0
