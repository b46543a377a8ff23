"""`cookbook predict RUN INPUT...`: raw inputs in, class names with probabilities (or values) out.

The preprocessing is inside the model (`common.modeling.preprocessing`), so the inputs are what
a user has, and which kind is read from the model's own inputs:

    a table     rows.csv — matched to the training columns by name, in any order, with text
                categories and empty cells as they come; the target column, if present, is ignored
    numbers     rows.csv (the training columns) or an .npz holding `x`
    images      a.png b.jpg, or a folder of them — resized as in training
    text        reviews.txt — one raw text per line

Output: CSV on stdout, or `--output FILE` (folders created; never the input itself).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image, UnidentifiedImageError

from common.data import tables
from common.data.files import IMAGE_SUFFIXES, FileSet
from common.data.pipeline import make_dataset
from common.errors import UserError
from common.modeling import predicting
from common.reporting import run_files
from common.serving.inference import open_finished

BATCH = 256


def input_kinds(model: keras.Model) -> dict[str, str] | None:
    """A table model's {column: numeric | categorical}, from its dict of inputs; else None."""
    structure = model.input
    if not isinstance(structure, dict):
        return None
    return {
        column: "categorical" if tensor.dtype == "string" else "numeric"
        for column, tensor in structure.items()
    }


def image_files(paths: list[Path]) -> list[Path]:
    """Image files, folders expanded (sorted, recursively)."""
    found = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
            if not inside:
                raise UserError(f"{path} holds no images ({', '.join(IMAGE_SUFFIXES)}).")
            found += inside
        else:
            found.append(path)
    return found


def read_inputs(model: keras.Model, paths: list[Path], target: str | None):
    """(model input, a name per example) for the files given."""
    for path in paths:
        if not path.exists():
            raise UserError(f"not found: {path}")
    kinds = input_kinds(model)
    if kinds is not None:
        columns, names = {}, []
        for path in paths:
            part, count = tables.rows_for_model(path, kinds, target)
            for column, values in part.items():
                columns.setdefault(column, []).append(values)
            names += [f"{path.name}:{line}" for line in range(2, count + 2)]
        return {column: np.concatenate(parts) for column, parts in columns.items()}, names
    (tensor,) = model.inputs
    shape = tuple(tensor.shape[1:])
    if tensor.dtype == "string":  # raw text, one example per line
        lines, names = [], []
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8").splitlines()
            except UnicodeDecodeError:
                raise UserError(f"{path} is not UTF-8 text.") from None
            lines += text
            names += [f"{path.name}:{n}" for n in range(1, len(text) + 1)]
        return np.asarray(lines, dtype=object)[:, None], names
    if len(shape) == 3:  # images: files or folders of them
        files = image_files(paths)
        images = FileSet(np.asarray([str(p) for p in files]), "image", shape[:2], shape[2])
        check_readable(files)
        return make_dataset(images, None, BATCH), [str(p) for p in files]
    return _number_rows(paths, shape, target), None


def check_readable(files: list[Path]) -> None:
    for path in files:
        try:
            with Image.open(path):
                pass
        except (UnidentifiedImageError, OSError):
            raise UserError(f"{path} cannot be read as an image.") from None


def _number_rows(paths: list[Path], shape: tuple, target: str | None) -> np.ndarray:
    parts = []
    for path in paths:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as arrays:
                if "x" not in arrays:
                    raise UserError(f"{path} holds {sorted(arrays)}; expected an array named x.")
                parts.append(arrays["x"].astype("float32"))
        else:
            table = tables.read_csv(path)
            columns = [c for c in table.columns if c != target]
            parts.append(
                np.stack([tables.numbers(table[c], c, path, key="") for c in columns], axis=1)
            )
    x = np.concatenate(parts)
    if x.shape[1:] != shape:
        raise UserError(f"rows have shape {x.shape[1:]}; the model expects {shape}.")
    if not np.isfinite(x).all():
        raise UserError("the rows hold empty, NaN or infinite values; the model needs numbers.")
    return x


def table_of(predictions: np.ndarray, names: list[str], labels: list[str] | None, task: str):
    """Header and rows: the input, then the label and its probability with one column per
    class, or the predicted values."""
    predictions = np.asarray(predictions, dtype="float64").reshape(len(names), -1)
    if task == "binary":
        positive = predictions[:, 0]
        predictions = np.stack([1 - positive, positive], axis=1)
    if task in ("binary", "multiclass"):
        labels = labels or [str(k) for k in range(predictions.shape[1])]
        header = ["input", "label", "probability", *labels]
        rows = [
            [name, labels[int(np.argmax(p))], f"{np.max(p):.6f}", *[f"{v:.6f}" for v in p]]
            for name, p in zip(names, predictions, strict=True)
        ]
        return header, rows
    width = predictions.shape[1]
    header = [
        "input",
        *(["prediction"] if width == 1 else [f"prediction_{k}" for k in range(width)]),
    ]
    return header, [[n, *[f"{v:.6f}" for v in p]] for n, p in zip(names, predictions, strict=True)]


def run_task(run_dir: Path, default: str) -> str:
    """The task a run trained for, as its metrics.json records it (a recipe such as `rnn`
    forecasts or classifies depending on its data), else the recipe's TASK."""
    metrics = run_dir / "metrics.json"
    if metrics.is_file():
        return json.loads(metrics.read_text(encoding="utf-8")).get("task", default)
    return default


def predict(run: str, inputs: list[str], output: str | None = None) -> str:
    """Predictions of the run's best.keras for raw `inputs`, as CSV text (also written to
    `output` when given)."""
    run_dir, config, recipe, model = open_finished(run)
    task = run_task(run_dir, recipe.task)
    if task not in ("binary", "multiclass", "multilabel", "regression"):
        raise UserError(
            f"{run_dir} is a {config.recipe} run, which does not predict labels or values"
            + (f"; draw samples with `cookbook sample {run}`." if recipe.sample else ".")
        )
    paths = [Path(p) for p in inputs]
    destination = Path(output) if output else None
    if destination and any(destination.resolve() == p.resolve() for p in paths):
        raise UserError(f"--output {output} is one of the inputs; choose another file.")
    x, names = read_inputs(model, paths, config.data.target)
    if not isinstance(x, tf.data.Dataset):  # text and table columns travel as tf.string
        x = tf.data.Dataset.from_tensor_slices(x).batch(BATCH)
    predictions = predicting.predict(model, x)  # best.keras keeps its 32 steps per execution
    names = names or [str(i) for i in range(len(predictions))]
    header, rows = table_of(predictions, names, run_files.read_labels(run_dir), task)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    if destination is None:
        sys.stdout.write(text)
    else:
        destination.parent.mkdir(parents=True, exist_ok=True)
        run_files.write_text(destination, text)
        print(f"{len(rows)} predictions ({task}) -> {destination}", file=sys.stderr)
    return text
