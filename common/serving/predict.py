"""`cookbook predict RUN INPUT...`: raw inputs in, class names with probabilities (or values) out.

The preprocessing is inside the model (`common.modeling.preprocessing`), so the inputs are what
a user has, and which kind is read from the model's own inputs:

    a table     rows.csv — matched to the training columns by name, in any order, with text
                categories and empty cells as they come; the target column, if present, is ignored
    numbers     rows.csv (the training columns) or an .npz holding `x`
    images      a.png b.jpg, or a folder of them — resized as in training
    text        reviews.txt — one raw text per line; a folder of .txt files — one text per file
    a series    recent.csv — a forecasting run's series: one forecast per window that fits

Output: CSV on stdout, or `--output FILE` (folders created; never the input itself).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

from common.data import model_rows
from common.errors import UserError
from common.modeling import predicting
from common.reporting import run_files
from common.serving.inference import open_finished
from common.serving.inputs import BATCH, input_columns, model_kind, read_inputs

TABLE_BATCH = 8_192  # rows a table model predicts at once: 1M rows in 122 calls, not 3,900


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


def submission_of(
    predictions: np.ndarray,
    ids: list[str],
    id_column: str,
    target: str,
    labels: list[str] | None,
    task: str,
    proba: bool,
):
    """A competition's file: `id,<target>` (the class name or value per row, in input order),
    or with `proba` one probability column per class (binary: the positive class's)."""
    predictions = np.asarray(predictions, dtype="float64").reshape(len(ids), -1)
    if task in ("binary", "multiclass"):
        width = 2 if task == "binary" else predictions.shape[1]
        labels = labels or [str(k) for k in range(width)]
        if task == "binary":
            chosen = [labels[int(p >= 0.5)] for p in predictions[:, 0]]
            probabilities, names = predictions[:, :1], [labels[1]]
        else:
            chosen = [labels[int(k)] for k in predictions.argmax(axis=1)]
            probabilities, names = predictions, labels
        if proba:
            rows = [[i, *[f"{v:.6f}" for v in p]] for i, p in zip(ids, probabilities, strict=True)]
            return [id_column, *names], rows
        return [id_column, target], [[i, c] for i, c in zip(ids, chosen, strict=True)]
    if proba:
        raise UserError(f"--proba: a {task} run predicts values, not class probabilities.")
    width = predictions.shape[1]
    header = [id_column, *([target] if width == 1 else [f"{target}_{k}" for k in range(width)])]
    return header, [[i, *[f"{v:.6g}" for v in p]] for i, p in zip(ids, predictions, strict=True)]


def ids_of(paths: list[Path], id_column: str, count: int) -> list[str]:
    """The `--id-column` of the CSV inputs, in input order; one line if it is missing."""
    from common.data import tables  # lazy: only a submission reads the ids again

    ids: list[str] = []
    for path in paths:
        if path.suffix.lower() != ".csv":
            raise UserError(f"--id-column reads CSV inputs; {path} is not a .csv file.")
        table = tables.read_csv(path)
        if id_column not in table.columns:
            raise UserError(
                f"--id-column {id_column!r}: {path} has no such column "
                f"(its columns: {', '.join(map(repr, list(table.columns)[:10]))})."
            )
        ids += table[id_column].tolist()
    if len(ids) != count:
        raise UserError(f"--id-column: {len(ids)} ids for {count} predicted rows.")
    return ids


def predict(
    run: str,
    inputs: list[str],
    output: str | None = None,
    id_column: str | None = None,
    proba: bool = False,
) -> str | int:
    """Predictions of the run's best.keras for raw `inputs`, as CSV text (also written to
    `output` when given). With `id_column`: a submission file (`submission_of`). A table run's
    CSVs stream (`predict_rows`), and the count of rows written comes back instead."""
    run_dir, config, recipe, model = open_finished(run)
    writes_files = recipe.predict_files  # e.g. segmentation's masks, seq2seq's translations
    if writes_files is not None:
        return writes_files(run_dir, model, inputs, output)
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
    if destination and destination.is_dir():
        raise UserError(f"--output {output} is a folder; name the CSV file to write.")
    labels = run_files.read_labels(run_dir)
    if proba and id_column is None:
        raise UserError("--proba writes a submission's probability columns: give --id-column.")
    if id_column is not None and id_column == config.data.target:
        raise UserError(
            f"--id-column {id_column!r} is the target the run predicts; name the column that "
            "identifies each row (e.g. --id-column id)."
        )
    if model_kind(model, config) == "table" and all(
        p.is_file() and p.suffix.lower() == ".csv" for p in paths
    ):
        return predict_rows(model, config, paths, destination, labels, task, id_column, proba)
    with contextlib.redirect_stdout(sys.stderr):  # the data's notes: stdout holds the CSV
        x, names = read_inputs(model, config, paths)
    if (len(names) if names is not None else len(x)) == 0:
        raise UserError(f"{', '.join(map(str, paths))}: nothing to predict (the files are empty).")
    if isinstance(x, dict) or getattr(x, "dtype", None) == np.dtype("O"):  # text: tf.string
        x = tf.data.Dataset.from_tensor_slices(x).batch(BATCH)
    predictions = predicting.predict(model, x)  # best.keras keeps its 32 steps per execution
    names = names or [str(i) for i in range(len(predictions))]
    if id_column is not None:
        ids = ids_of(paths, id_column, len(predictions))
        target = config.data.target or "prediction"
        header, rows = submission_of(predictions, ids, id_column, target, labels, task, proba)
    else:
        header, rows = table_of(predictions, names, labels, task)
    return run_files.write_rows(header, rows, destination, f"{len(rows)} predictions ({task})")


def predict_rows(model, config, paths, destination, labels, task, id_column, proba) -> int:
    """A table run on CSV files: `model_rows.CHUNK_ROWS` rows at a time, each chunk predicted
    and written before the next is read (`run_files.stream_rows`): a 1M-row file in the
    memory of one chunk. The output is the same as for a small file, row for row."""
    target = config.data.target or "prediction"

    def chunks():  # (header, rows) of each chunk
        for path in paths:
            parts = model_rows.chunks(
                path, input_columns(model), config.data.target, as_written=(id_column,)
            )
            while True:
                with contextlib.redirect_stdout(sys.stderr):  # notes: stdout holds the CSV
                    part = next(parts, None)
                if part is None:
                    break
                columns, first_line, table = part
                batches = tf.data.Dataset.from_tensor_slices(columns).batch(TABLE_BATCH)
                predictions = predicting.predict(model, batches)
                if id_column is None:
                    names = [f"{path.name}:{first_line + k}" for k in range(len(table))]
                    head, rows = table_of(predictions, names, labels, task)
                else:
                    if id_column not in table.columns:
                        raise UserError(
                            f"--id-column {id_column!r}: {path} has no such column (its "
                            f"columns: {', '.join(map(repr, list(table.columns)[:10]))})."
                        )
                    ids = table[id_column].tolist()
                    head, rows = submission_of(
                        predictions, ids, id_column, target, labels, task, proba
                    )
                yield head, rows

    parts = chunks()
    header, first = next(parts)  # the header comes with the first chunk's predictions
    rows = itertools.chain([first], (chunk for _, chunk in parts))
    return run_files.stream_rows(header, rows, destination, f"predictions ({task})")
