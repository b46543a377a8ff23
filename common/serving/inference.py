"""Using a finished run: score it again, predict on new rows, export it for serving.

    cookbook evaluate runs/binary/latest            test metrics of best.keras, beside the baseline
    cookbook predict runs/binary/latest new.csv     predictions.csv next to the input (or --output)
    cookbook export runs/binary/latest              a TensorFlow SavedModel for TF Serving

Models load with `safe_mode=True`. Inputs are raw features: the normalisation learned at
training time is inside the model.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from common.errors import UserError
from common.training import runs
from common.training.driver import evaluate as evaluate_split
from common.training.driver import load_model, set_up
from common.training.recipe import load_recipe


def finished_model(run_dir: Path) -> Path:
    model_path = run_dir / "best.keras"
    if not model_path.is_file():
        raise UserError(f"{run_dir} has no best.keras yet; finish it with --resume first.")
    return model_path


def evaluate(run: str) -> dict[str, float]:
    """The test split's metrics for the run's best.keras, with the baseline recorded at training."""
    run_dir, config = runs.open_run(run)
    model = load_model(finished_model(run_dir))
    set_up(config)
    recipe = load_recipe(config.recipe)
    dataset = recipe.dataset(config)
    scores = evaluate_split(recipe, config, model, dataset.x_test, dataset.y_test)
    recorded = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    print(f"{run_dir}: {config.name} ({config.recipe}), best.keras on the test split")
    print(f"{'test':<14} {'model':>10} {'baseline':>12}")
    for name, value in scores.items():
        print(f"  {name:<12} {value:>10.4f} {recorded['baseline'].get(name, float('nan')):>12.4f}")
    return scores


def read_rows(path: Path, features: list[str] | None, target: str | None) -> np.ndarray:
    """Feature rows from a CSV (the training columns, by name) or an NPZ (`x`)."""
    if not path.is_file():
        raise UserError(f"file not found: {path}")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as arrays:
            if "x" not in arrays:
                raise UserError(f"{path} holds {sorted(arrays)}; expected an array named x.")
            return arrays["x"].astype("float32")
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    if not rows:
        raise UserError(f"{path} has no rows.")
    columns = features or [name for name in rows[0] if name != target]
    missing = [name for name in columns if name not in rows[0]]
    if missing:
        raise UserError(f"{path} lacks the training columns {missing}.")
    try:
        return np.asarray([[float(row[name]) for name in columns] for row in rows], dtype="float32")
    except ValueError as error:
        raise UserError(f"{path}: every feature must be a number ({error}).") from None


def predict(run: str, file: str, output: str | None = None) -> Path:
    """Predictions of the run's best.keras for each row of `file`, written as CSV."""
    run_dir, config = runs.open_run(run)
    task = load_recipe(config.recipe).task
    if task == "gan":
        raise UserError(f"{run_dir} is a GAN: draw new images with `cookbook sample {run}`.")
    model = load_model(finished_model(run_dir))
    x = read_rows(Path(file), config.data.features, config.data.target)
    expected = tuple(model.inputs[0].shape[1:])
    if x.shape[1:] != expected:
        raise UserError(f"{file}: rows have shape {x.shape[1:]}, the model expects {expected}.")
    predictions = np.asarray(model.predict(x, verbose=0), dtype="float64").reshape(len(x), -1)
    header, table = ["row"], [[i] for i in range(len(x))]
    if task == "binary":
        header += ["probability", "label"]
        for row, p in zip(table, predictions[:, 0], strict=True):
            row += [f"{p:.6f}", int(p > 0.5)]
    elif task == "multiclass":
        header += ["label", *[f"p_{k}" for k in range(predictions.shape[1])]]
        for row, p in zip(table, predictions, strict=True):
            row += [int(np.argmax(p)), *[f"{v:.6f}" for v in p]]
    else:
        header += [f"prediction_{k}" for k in range(predictions.shape[1])]
        for row, p in zip(table, predictions, strict=True):
            row += [f"{v:.6f}" for v in p]
    destination = (
        Path(output) if output else Path(file).with_name(f"{Path(file).stem}.predictions.csv")
    )
    with open(destination, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(table)
    print(f"{len(table)} predictions ({task}) -> {destination}")
    return destination


def export(run: str) -> Path:
    """best.keras as a TensorFlow SavedModel (`serve` endpoint) under `<run>/export/`."""
    run_dir, _ = runs.open_run(run)
    model = load_model(finished_model(run_dir))
    destination = run_dir / "export" / "saved_model"
    model.export(str(destination), format="tf_saved_model", verbose=False)
    print(f"SavedModel -> {destination}  (serve it with TF Serving, or tf.saved_model.load)")
    return destination
