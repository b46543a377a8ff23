"""`cookbook export RUN --format web`: best.keras as a page that predicts in the browser, offline.

    cookbook export runs/convnet/latest --format web         -> RUN/export/web/index.html
    cookbook export runs/binary/latest --format web --runtime node_modules/onnxruntime-web/dist

The model (its preprocessing inside: Normalization, imputation, Rescaling, resizing) is traced
at inference (augmentation off), frozen and converted to ONNX by tf2onnx (the `web` extra);
ONNX Runtime Web (`common.serving.web_runtime`) runs it in WebAssembly. The folder opens from
file:// with no server and no network:

    index.html           the demo: a row's fields or an image picker, the classes' probabilities,
                         and a self-check against best.keras on test-split samples
    cookbook.js          window.cookbookPredict(instances) -> Promise of outputs, one per instance
    model.onnx           the converted model; model.js holds it in base64 for the page
    samples.js           window.cookbookMeta (what the model takes, class names) and
                         window.cookbookSamples (test-split inputs, best.keras's outputs)
    sample_inputs.json   those inputs as cookbookPredict (and `cookbook serve`) take them
    ort.wasm.min.js, ort-runtime.js, demo.js, columns.json (tables), labels.txt (classifiers)

Instances are raw: a table's rows as {column: value} by the user's column names (null: a gap),
images as pixel arrays [height][width][channels] as the model takes them, number rows as lists.
Strings cannot go in: a model with StringLookup or TextVectorization is refused in one line that
points to `cookbook serve`. The ONNX model is scored on the test split beside best.keras (with
the onnxruntime wheel of the `web` extra), as every export is.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import shutil
import warnings
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from common.config.schema import Config
from common.data.readable import native_stderr_hidden
from common.errors import UserError
from common.modeling import preprocessing
from common.reporting import run_files
from common.serving import web_runtime
from common.serving.export import (
    SCORED_TASKS,
    entry,
    print_table,
    record,
    score_both,
    write_columns,
    written_whole,
)
from common.serving.inference import open_finished
from common.serving.inputs import model_kind
from common.serving.predict import run_task
from common.training.recipe import Recipe
from common.training.startup import set_up

SAMPLES = 4  # test-split examples in sample_inputs.json and the page's self-check
TASKS = ("binary", "multiclass", "multilabel", "regression")  # what the page can show
PAGE = ("index.html", "cookbook.js", "demo.js")  # copied from common/serving/web as they are
OUTPUT = "output"  # the ONNX model's output name; its inputs keep the Keras input names


def export(run: str, runtime: str | None = None) -> Path:
    """`cookbook export RUN --format web`: the run opened as for the other formats (a recipe's
    own `export_model` hook answers first), then `export_web`."""
    run_dir, config, recipe, model = open_finished(run)
    exports = getattr(recipe.module, "export_model", None)  # e.g. seq2seq: strings in and out
    if exports is not None:
        return exports(run_dir, model, "web", None)
    set_up(config)
    return export_web(run_dir, config, recipe, model, runtime)


def export_web(
    run_dir: Path, config: Config, recipe: Recipe, model: keras.Model, runtime: str | None
) -> Path:
    """Write `<run>/export/web/`, score the ONNX model beside best.keras and record both in
    `<run>/export/metrics.json`. Returns the folder."""
    task = run_task(run_dir, recipe.task)
    kind = browser_kind(model, config, task, run_dir)
    found = web_runtime.find(runtime)
    destination = run_dir / "export" / "web"
    print(
        f"converting best.keras to ONNX for ONNX Runtime Web {found.version} -> {destination} ...",
        flush=True,
    )
    onnx_model = convert(model, run_dir)
    x = samples(recipe, config)
    expected = np.asarray(model.predict_on_batch(x), dtype="float32").reshape(len(first(x)), -1)
    inputs = instances(model, x, kind)
    with written_whole(destination) as partial:
        partial.mkdir(parents=True)
        (partial / "model.onnx").write_bytes(onnx_model)
        (partial / "model.js").write_text(
            web_runtime.embedded("cookbookModelBytes", onnx_model), encoding="ascii"
        )
        runtime_bytes = web_runtime.write(found, partial)
        for name in PAGE:
            shutil.copyfile(web_runtime.WEB / name, partial / name)
        page_data = {"inputs": inputs, "expected": expected.tolist()}
        meta = describe(model, config, run_dir, task, kind)
        (partial / "samples.js").write_text(
            f"window.cookbookMeta = {json.dumps(meta, indent=1)};\n"
            f"window.cookbookSamples = {json.dumps(page_data)};\n",
            encoding="utf-8",
        )
        (partial / "sample_inputs.json").write_text(json.dumps(inputs) + "\n", encoding="utf-8")
        if (run_dir / "labels.txt").is_file():
            shutil.copyfile(run_dir / "labels.txt", partial / "labels.txt")
        write_columns(model, partial)
    rows = {
        "keras": entry(run_dir, run_dir / "best.keras"),
        "web": entry(run_dir, destination / "model.onnx"),
    }
    if task in SCORED_TASKS:
        load = onnx_loader(destination / "model.onnx")
        if load is not None:
            rows["keras"]["test"], rows["web"]["test"] = score_both(
                model, load, recipe, config, task, "model.onnx"
            )
    print_table(record(run_dir, rows))
    total = sum(p.stat().st_size for p in destination.iterdir())
    print(
        f"open {destination / 'index.html'} in a browser (file:// works, offline): "
        f"{total / 2**20:.1f} MiB, of which ONNX Runtime Web {found.version} is "
        f"{runtime_bytes / 2**20:.1f} MiB; cookbookPredict(instances) predicts from scripts."
    )
    return destination


def browser_kind(model: keras.Model, config: Config, task: str, run_dir: Path) -> str:
    """The page's kind of input (table, image, rows), or one line saying why the browser
    cannot take this model: strings (lookups, text), another backend, or a task it cannot show."""
    if keras.backend.backend() != "tensorflow":
        raise UserError(
            "the web export converts a TensorFlow graph: run `KERAS_BACKEND=tensorflow cookbook "
            "export RUN --format web` (a JAX-trained run loads there too)."
        )
    if task not in TASKS:
        raise UserError(
            f"a {task} run has no labels or values for the page to show; the web export takes "
            f"classifiers and regressors ({', '.join(TASKS)})."
        )
    strings = [t.name for t in model.inputs if t.dtype == "string"]
    if strings:
        kinds = {type(layer).__name__ for layer in model.layers}
        found = sorted(kinds & {"StringLookup", "TextVectorization", "IntegerLookup"})
        what = " and ".join(found or ["string inputs"])
        columns = [c for c, name in preprocessing.table_columns(model).items() if name in strings]
        where = f" on the column{'s' * (len(columns) > 1)} {', '.join(map(repr, columns))}"
        raise UserError(
            f"the browser cannot run this model's {what}{where if columns else ''}: "
            "ONNX Runtime Web takes numbers here, not raw text. Serve it instead: "
            f"`cookbook serve {run_dir}` answers the same raw inputs over TF Serving's REST API."
        )
    kind = model_kind(model, config)
    return kind if kind in ("table", "image") else "rows"


def convert(model: keras.Model, run_dir: Path) -> bytes:
    """best.keras at inference (training=False: augmentation and dropout off), its variables
    and captured constants frozen into the graph, converted by tf2onnx; a model with ops ONNX
    has no equivalent for is refused in one line naming its layers."""
    web_runtime.check_converter()
    import onnx  # lazy: the optional `web` extra, which only this export needs
    import tf2onnx  # lazy: the optional `web` extra, which only this export needs
    from tensorflow.python.framework.convert_to_constants import (  # lazy: as tf2onnx
        convert_variables_to_constants_v2,
    )

    with contextlib.suppress(ImportError):  # Keras' own numpy-2 fixes for tf2onnx's ONNX export
        from keras.src.export.tf2onnx_lib import patch_tf2onnx  # lazy: as tf2onnx

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # its `hasattr(np, "object")`
            patch_tf2onnx()
    specs = keras.tree.map_structure(
        lambda t: tf.TensorSpec((None, *t.shape[1:]), t.dtype, name=t.name), model.input
    )
    traced = tf.function(lambda x: model(x, training=False)).get_concrete_function(specs)
    # Frozen here, not by tf2onnx.convert.from_function: that one takes constants the graph
    # captures (Normalization's mean and variance) for inputs.
    frozen = convert_variables_to_constants_v2(traced)
    names = [t.name for t in frozen.inputs]
    (output,) = [t.name for t in frozen.outputs]
    renamed = {**{name: name.split(":")[0] for name in names}, output: OUTPUT}
    quiet = logging.getLogger("tf2onnx")
    level, quiet.level = quiet.level, logging.CRITICAL
    try:
        with native_stderr_hidden(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proto, _ = tf2onnx.convert.from_graph_def(
                frozen.graph.as_graph_def(),
                input_names=names,
                output_names=[output],
                tensors_to_rename=renamed,
            )
    finally:
        quiet.setLevel(level)
    unknown = [node for node in proto.graph.node if not onnx.defs.has(node.op_type, node.domain)]
    if unknown:
        raise refusal(model, unknown, run_dir)
    return proto.SerializeToString()


def refusal(model: keras.Model, nodes: list[Any], run_dir: Path) -> UserError:
    """One line naming the layers (and TensorFlow ops) that have no ONNX equivalent."""
    ops = sorted({node.op_type for node in nodes})
    layers = [
        layer.name
        for layer in model.layers
        if any(re.search(rf"(^|/){re.escape(layer.name)}(_\d+)?/", n.name) for n in nodes)
    ]
    where = f"layer {', '.join(layers)}" if layers else "the model"
    return UserError(
        f"the browser cannot run {where}: its ops ({', '.join(ops)}) have no ONNX equivalent "
        f"that tf2onnx knows. Serve it instead: `cookbook serve {run_dir}`."
    )


def samples(recipe: Recipe, config: Config) -> Any:
    """The first `SAMPLES` test examples as the model takes them (through the run's own test
    pipeline: images decoded and resized, tables as their columns' arrays)."""
    dataset = recipe.dataset(config)
    batches = recipe.batches(dataset.x_test, dataset.y_test, config, False)
    features, _ = next(iter(batches))
    return keras.tree.map_structure(lambda t: np.asarray(t)[:SAMPLES], features)


def first(x: Any) -> np.ndarray:
    return keras.tree.flatten(x)[0]


def instances(model: keras.Model, x: Any, kind: str) -> list[Any]:
    """The model's input batch as cookbookPredict's instances: {column: value or null} per row
    of a table, nested lists of numbers otherwise."""
    if kind != "table":
        return nine_digits(x).tolist()
    rows: list[dict[str, float | None]] = [{} for _ in range(len(first(x)))]
    for column, name in preprocessing.table_columns(model).items():
        for row, value in zip(rows, nine_digits(x[name]).reshape(-1).tolist(), strict=True):
            row[column] = None if np.isnan(value) else value
    return rows


def nine_digits(array: Any) -> np.ndarray:
    """float32 values in 9 significant digits, enough to come back as the same float32 (the
    JSON stays short: 0.1, not 0.10000000149011612)."""
    return np.char.mod("%.9g", np.asarray(array, "float32")).astype("float64")


def describe(model: keras.Model, config: Config, run_dir: Path, task: str, kind: str):
    """window.cookbookMeta: what the page and cookbookPredict need to know."""
    return {
        "name": config.name,
        "recipe": config.recipe,
        "run": run_dir.name,
        "task": task,
        "kind": kind,
        "inputs": [{"name": t.name, "shape": list(t.shape[1:])} for t in model.inputs],
        "columns": preprocessing.table_columns(model) if kind == "table" else None,
        "classes": run_files.read_labels(run_dir),
        "output": OUTPUT,
    }


def onnx_loader(path: Path):
    """The ONNX model loaded back by onnxruntime (the `web` extra's wheel; the browser runs the
    same kernels in WebAssembly), as a function from a batch of inputs to predictions; None,
    with a note, when the wheel is not installed."""
    try:
        import onnxruntime  # lazy: the optional `web` extra, only the score needs it
    except ImportError:
        print(f"note: onnxruntime is not installed; the export is not scored: {web_runtime.EXTRA}")
        return None

    def load():
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]

        def predict(x: Any) -> np.ndarray:
            feeds = x if isinstance(x, dict) else dict(zip(names, [x], strict=True))
            return session.run(None, {k: np.asarray(v, "float32") for k, v in feeds.items()})[0]

        return predict

    return load
