"""`cookbook export RUN`: best.keras as a SavedModel or a TFLite file, scored on the test split.

    cookbook export runs/binary/latest                                  export/saved_model/
    cookbook export runs/multiclass/latest --format tflite              export/model.tflite
    cookbook export runs/multiclass/latest --format tflite --quantize int8   model-int8.tflite
    cookbook export runs/convnet/latest --format web        export/web/index.html (web_export)

The preprocessing (Normalization, Impute, StringLookup, Rescaling, TextVectorization) is part of
the model, so every export takes raw inputs. A converted model is only as good as its scores, so
each export is loaded back (tf.saved_model.load, or the TFLite interpreter) and scored on the
run's test split beside best.keras, with the loss and metrics training used (the loss without
weight penalties such as L2, which no export carries, so it can sit below metrics.json's); the
figures are merged into `<run>/export/metrics.json`:

    {"formats": {"keras": {"file": "best.keras", "size_bytes": ..., "test": {...}},
                 "tflite-int8": {"file": "export/model-int8.tflite", ...}}}

TFLite conversion is Keras' own (`model.export(format="litert")`, which goes through a SavedModel
and `tf.lite.TFLiteConverter`), with TFLite builtin ops only unless the model needs TensorFlow
kernels (raw text split into words): then SELECT_TF_OPS, with a note, because such a file needs
the Flex delegate. int8 is full-integer quantization calibrated on training examples; the input and
output stay float32, so callers feed the same raw values as to best.keras.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from tensorflow.lite.python.convert_phase import ConverterError

from common.config.schema import Config
from common.data import splits
from common.data.readable import native_stderr_hidden
from common.errors import UserError
from common.modeling import preprocessing, tasks
from common.reporting import run_files
from common.serving.inference import open_finished
from common.serving.predict import run_task
from common.training.recipe import Recipe
from common.training.startup import set_up

CALIBRATION_EXAMPLES = 300  # int8 ranges: a few hundred training examples, spread over the split
SCORED_TASKS = ("binary", "multiclass", "regression")
BUILTINS = [tf.lite.OpsSet.TFLITE_BUILTINS]
# What each --quantize asks of the converter (tensorflow.org/lite/performance/post_training_*).
QUANTIZATION: dict[str | None, dict[str, Any]] = {
    None: {},
    "dynamic": {"optimizations": [tf.lite.Optimize.DEFAULT]},
    "float16": {
        "optimizations": [tf.lite.Optimize.DEFAULT],
        "target_spec": {"supported_types": [tf.float16]},
    },
    "int8": {
        "optimizations": [tf.lite.Optimize.DEFAULT],
        "inference_input_type": tf.float32,
        "inference_output_type": tf.float32,
    },
}

Predict = Callable[[Any], np.ndarray]


def export(run: str, format: str = "saved_model", quantize: str | None = None) -> Path:
    """Export the run's best.keras as `format`, score it and best.keras on the test split, merge
    both into `<run>/export/metrics.json` and print the comparison. Returns the export's path.
    (`web` is `common.serving.web_export.export`.)"""
    if quantize and format != "tflite":
        raise UserError(
            f"--quantize needs --format tflite: cookbook export {run} --format tflite "
            f"--quantize {quantize}."
        )
    run_dir, config, recipe, model = open_finished(run)
    exports = getattr(recipe.module, "export_model", None)  # e.g. seq2seq: strings in and out
    if exports is not None:
        return exports(run_dir, model, format, quantize)
    set_up(config)
    if format == "saved_model":
        destination, name = save_saved_model(model, run_dir), "saved_model"
    else:
        destination = save_tflite(model, recipe, config, run_dir, quantize)
        name = f"tflite-{quantize}" if quantize else "tflite"
    rows = {"keras": entry(run_dir, run_dir / "best.keras"), name: entry(run_dir, destination)}
    task = run_task(run_dir, recipe.task)
    if task in SCORED_TASKS:
        rows["keras"]["test"], rows[name]["test"] = score_both(
            model, loader(format, destination), recipe, config, task, destination.name
        )
    else:
        print(f"note: a {task} run has no labels or values to score; the export is not scored.")
    formats = record(run_dir, rows)
    print_table(formats)
    return destination


def save_saved_model(model: keras.Model, run_dir: Path) -> Path:
    """A TensorFlow SavedModel (`serve` endpoint, for TF Serving) with labels.txt beside it."""
    destination = run_dir / "export" / "saved_model"
    print(f"exporting best.keras as a SavedModel -> {destination} ...", flush=True)
    with written_whole(destination) as partial:
        model.export(str(partial), format="tf_saved_model", verbose=False)
        if (run_dir / "labels.txt").is_file():
            shutil.copyfile(run_dir / "labels.txt", partial / "labels.txt")
        write_columns(model, partial)
    return destination


def save_tflite(
    model: keras.Model, recipe: Recipe, config: Config, run_dir: Path, quantize: str | None
) -> Path:
    """best.keras converted by Keras' LiteRT export: builtin ops first, SELECT_TF_OPS when the
    model needs TensorFlow kernels; a model TFLite cannot run at all is refused in one line."""
    destination = run_dir / "export" / (f"model-{quantize}.tflite" if quantize else "model.tflite")
    destination.parent.mkdir(parents=True, exist_ok=True)
    options = dict(QUANTIZATION[quantize])
    how = quantize or "float32"
    if quantize == "int8":
        options["representative_dataset"], count = calibration(recipe, config)
        how += f", calibrated on {count} training example{'s' if count > 1 else ''}"
    print(f"converting best.keras to TFLite ({how}) -> {destination} ...", flush=True)
    with written_whole(destination) as partial:
        try:
            convert(model, partial, options, BUILTINS)
        except ConverterError as builtin_error:
            flex_ops = ops_named(str(builtin_error), "TF Select ops")
            if not flex_ops or ops_named(str(builtin_error), "Custom ops"):
                raise refusal(model, builtin_error) from None
            try:
                convert(model, partial, options, [*BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS])
            except ConverterError as select_error:
                raise refusal(model, select_error) from None
            print(
                f"note: {', '.join(flex_ops)} are not TFLite builtins and run as TensorFlow "
                "ops (SELECT_TF_OPS): the file needs the Flex delegate, which TensorFlow's own "
                "interpreter includes."
            )
    write_columns(model, destination.parent)
    return destination


@contextlib.contextmanager
def written_whole(destination: Path) -> Iterator[Path]:
    """A hidden path beside `destination` to write the export to, renamed into place once
    written whole: a conversion that fails (or is killed) leaves no half-written model where
    the last good one was, and what it wrote is removed."""
    partial = destination.with_name(f".{destination.stem}.partial{destination.suffix}")
    remove(partial)
    try:
        yield partial
    except BaseException:
        remove(partial)
        raise
    remove(destination)
    os.replace(partial, destination)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_columns(model: keras.Model, folder: Path) -> None:
    """A table model's columns.json beside its export: the user's column names and the input
    names the export takes them by (`common.data.columns`: `a/b` -> `a_b`), for whoever
    feeds the SavedModel (TF Serving) or the TFLite file without `cookbook predict`."""
    columns = preprocessing.table_columns(model)
    if columns:
        run_files.write_json(folder / "columns.json", {"inputs": columns})


def convert(
    model: keras.Model, destination: Path, options: dict[str, Any], ops: list[tf.lite.OpsSet]
) -> None:
    """Keras' LiteRT export, with the converter's own diagnostics kept off the console."""
    target_spec = {**options.get("target_spec", {}), "supported_ops": ops}
    with native_stderr_hidden():
        model.export(
            str(destination),
            format="litert",
            verbose=False,
            **{**options, "target_spec": target_spec},
        )


def ops_named(message: str, heading: str) -> list[str]:
    """The op names the converter lists after `heading:` ("TF Select ops", "Custom ops")."""
    found = re.search(rf"{heading}: ([^\n]+)", message)
    return [op.strip() for op in found.group(1).split(",")] if found else []


def refusal(model: keras.Model, error: ConverterError) -> UserError:
    """One line naming the layer and the ops that TFLite cannot run."""
    message = str(error)
    ops = ops_named(message, "Custom ops") or ops_named(message, "TF Select ops")
    layers = [
        layer.name
        for layer in model.layers
        if re.search(rf"/{re.escape(layer.name)}(_\d+)?/", message)
    ]
    where = f"layer {', '.join(layers)}" if layers else "the model"
    what = f" ({', '.join(ops)})" if ops else ""
    return UserError(
        f"TFLite cannot run {where}: its ops{what} are neither TFLite builtins nor TensorFlow "
        "ops TFLite can select; use --format saved_model."
    )


def calibration(recipe: Recipe, config: Config) -> tuple[Callable[[], Iterator[Any]], int]:
    """int8's representative dataset: up to `CALIBRATION_EXAMPLES` examples spread evenly over
    the run's own training split (the split training used: same recipe data, same split
    seed), one at a time; and how many there are."""
    split = splits.final_model_split(
        recipe.dataset(config), config.data, config.split_seed, recipe.stratify
    )
    step = max(1, len(split.x_train) // CALIBRATION_EXAMPLES)
    end = step * CALIBRATION_EXAMPLES
    x, y = split.x_train[:end:step], split.y_train[:end:step]

    def examples() -> Iterator[Any]:
        for features, _ in recipe.batches(x, y, config, False).unbatch().batch(1):
            yield features if isinstance(features, dict) else [features]

    return examples, len(x)


def loader(format: str, destination: Path) -> Callable[[], Predict]:
    """How to load the export back: a function from a batch of inputs to predictions."""
    return lambda: (load_saved_model if format == "saved_model" else load_tflite)(destination)


def load_saved_model(destination: Path) -> Predict:
    exported = tf.saved_model.load(str(destination))
    return lambda x: np.asarray(exported.serve(x))  # the closure keeps its variables alive


def load_tflite(destination: Path) -> Predict:
    """A TFLite signature runner, which resizes its input tensors to each batch it is given.
    ai_edge_litert's interpreter when installed (tf.lite.Interpreter is deprecated in its
    favour), else TensorFlow's, which also runs SELECT_TF_OPS models."""
    try:  # lazy: an optional package, and only the TFLite score needs it
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        Interpreter = tf.lite.Interpreter  # noqa: N806
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*tf.lite.Interpreter is deprecated", UserWarning)
        runner = Interpreter(model_path=str(destination)).get_signature_runner()
    names = list(runner.get_input_details())

    def predict(x: Any) -> np.ndarray:
        feeds = x if isinstance(x, dict) else dict(zip(names, [x], strict=True))
        (output,) = runner(**{k: np.asarray(v) for k, v in feeds.items()}).values()
        return output

    return predict


def score_both(
    model: keras.Model,
    load: Callable[[], Predict],
    recipe: Recipe,
    config: Config,
    task: str,
    label: str,
) -> tuple[dict[str, float], dict[str, float]]:
    """The test split's loss and metrics for best.keras and for the export, batch by batch
    through the same pipeline and the same `tasks.score`."""
    dataset = recipe.dataset(config)
    print(f"scoring best.keras and {label} on {len(dataset.y_test)} test examples ...", flush=True)
    data = recipe.batches(dataset.x_test, dataset.y_test, config, False)
    with native_stderr_hidden():
        exported = load()
        pairs = [(y.numpy(), np.asarray(model.predict_on_batch(x)), exported(x)) for x, y in data]
    y_true, kept, converted = (np.concatenate(part) for part in zip(*pairs, strict=True))
    loss_name = config.trainer.loss
    return tasks.score(task, y_true, kept, loss_name), tasks.score(
        task, y_true, converted, loss_name
    )


def entry(run_dir: Path, path: Path) -> dict[str, Any]:
    """A file's (or a folder's total) size, named relative to the run folder."""
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    return {
        "file": path.relative_to(run_dir).as_posix(),
        "size_bytes": sum(p.stat().st_size for p in files),
    }


def record(run_dir: Path, rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Merge `rows` into `<run>/export/metrics.json` (other formats' rows are kept)."""
    path = run_dir / "export" / "metrics.json"
    recorded = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    formats = {**recorded.get("formats", {}), **rows}
    run_files.write_json(path, {"formats": formats})
    return {"keras": formats.pop("keras"), **dict(sorted(formats.items()))}


def key_metric(scores: dict[str, float]) -> str:
    return next((name for name in ("accuracy", "mae") if name in scores), "loss")


def print_table(formats: dict[str, dict[str, Any]]) -> None:
    """format, size and the key test metric of each export beside best.keras'."""
    kept = formats["keras"].get("test")
    metric = key_metric(kept) if kept else None
    print(f"{'format':<16} {'size':>10} {'test ' + metric if metric else '':>14}  {'keras':>8}")
    for name, row in formats.items():
        size = f"{row['size_bytes'] / 1024:.1f} KiB"
        scores = row.get("test") or {}
        value = f"{scores[metric]:.4f}" if metric in scores else ""
        beside = f"{kept[metric]:.4f}" if metric and name != "keras" and value else ""
        print(f"  {name:<14} {size:>10} {value:>14}  {beside:>8}  {row['file']}")
