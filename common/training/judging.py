"""The evidence for a run's verdict, gathered from the run itself (`common.reporting.verdict`
judges it).

    verdict = run_verdict(recipe, config, model, split, dataset, metrics, history, passes)

The key metric of the task (accuracy; the absolute error of a regression or forecast; the
squared error of a reconstruction), per test example, for the model, the baseline (the
recipe's `baseline_predictions`) and the reference (its `reference_per_example`); the
training split scored once more in inference mode, beside the training-time metric of the
epoch kept (history.csv); the validation scores; and how the run was set up (the recipe's
model keys, the data's kind and size) so the next steps name real overrides.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from common.config.schema import Config, higher_is_better
from common.data.files import FileSet
from common.data.splits import Split
from common.data.stream import CsvPart
from common.data.windows import WindowSet
from common.modeling import predicting
from common.modeling.predicting import SplitOutputs
from common.reporting import run_files
from common.reporting import verdict as verdict_module
from common.training.callbacks import monitor_name
from common.training.results import kept_reference, reference_path, scores_and_outputs

if TYPE_CHECKING:
    import keras

    from common.data.dataset import Dataset
    from common.training.recipe import Recipe

TRAIN_PASS_ROWS = 50_000  # training examples scored again in inference mode, at most
STILL_FALLING = 0.01  # the gain over the last tenth of the epochs that says "train longer"
KEY_METRICS = {
    "binary": "accuracy",
    "multiclass": "accuracy",
    "multilabel": "accuracy",
    "regression": "mae",
    "autoencoder": "mse",
}


def per_example(task: str, targets: Any, outputs: Any) -> np.ndarray | None:
    """The key metric of each example: 1/0 correct (classification), the absolute error
    (regression), the squared error (a reconstruction); None for other outputs."""
    if not isinstance(outputs, np.ndarray) or not isinstance(targets, np.ndarray):
        return None
    outputs = outputs.astype("float64").reshape(len(outputs), -1)
    if len(targets) != len(outputs):
        return None
    if task in ("binary", "multilabel"):
        truth = targets.reshape(len(targets), -1)
        if truth.shape != outputs.shape:
            return None
        return ((outputs >= 0.5) == (truth >= 0.5)).mean(axis=1)
    if task == "multiclass":
        return (outputs.argmax(axis=1) == targets.reshape(-1).astype("int64")).astype(float)
    truth = targets.astype("float64").reshape(len(targets), -1)
    if truth.shape != outputs.shape:
        return None
    if task == "regression":
        return np.abs(outputs - truth).mean(axis=1)
    if task == "autoencoder":
        return ((outputs - truth) ** 2).mean(axis=1)
    return None


def first_rows(x: Any, y: np.ndarray | None, count: int) -> tuple[Any, np.ndarray | None]:
    """At most `count` examples of (x, y), for the training pass: a table's rows, an array's,
    a folder's files or a series' windows (each split is already in shuffled or time order)."""
    if len(x) <= count:
        return x, y
    try:
        head = x.iloc[:count] if hasattr(x, "iloc") else x[:count]
    except TypeError:  # a source without slices: all of it
        return x, y
    return head, None if y is None else y[:count]


def kept_row(history: list[dict[str, str]], metrics: dict[str, Any]) -> dict[str, str] | None:
    """The history row of the epoch whose weights the model holds (the best, else the last)."""
    if not history:
        return None
    best = metrics.get("best_epoch")
    if best is not None:
        rows = [row for row in history if int(float(row["epoch"])) == best - 1]
        if rows:
            return rows[-1]
    return history[-1]


def data_kind(x: Any) -> str:
    if hasattr(x, "iloc") or isinstance(x, CsvPart):
        return "table"
    if isinstance(x, WindowSet):
        return "series"
    if isinstance(x, FileSet):
        return x.kind
    if isinstance(x, np.ndarray) and x.ndim >= 3:
        return "image"
    return "array"


def run_verdict(
    recipe: Recipe,
    config: Config,
    model: keras.Model,
    split: Split,
    dataset: Dataset,
    metrics: dict[str, Any],
    history: list[dict[str, str]],
    passes: dict[str, SplitOutputs | None],
    reference_values: list[float] | None = None,
) -> dict[str, Any] | None:
    """The verdict of a finished run (None where the task has no key metric to judge by).
    `passes` holds the model's "test" and "validation" outputs where the run has them; the
    training split is scored here."""
    task = metrics_task(recipe, metrics)
    if task == "gan":
        return gan_verdict(config, metrics)
    # A recipe with a task of its own names its key metric (`KEY_METRIC = "mean_iou"`).
    metric = KEY_METRICS.get(task) or getattr(recipe.module, "KEY_METRIC", None)
    if metric is None or metric not in metrics.get("test", {}):
        return None
    higher = higher_is_better(metric)
    evidence = verdict_module.Evidence(
        metric=metric,
        higher_is_better=higher,
        test=float(metrics["test"][metric]),
        baseline=_score(metrics.get("baseline"), metric),
        reference=_score(metrics.get("reference"), metric),
        reference_model=metrics.get("reference_model"),
        tuned=config.name.endswith("-tuned"),
        options={f.name: getattr(config.model, f.name) for f in dataclasses.fields(config.model)}
        if dataclasses.is_dataclass(config.model)
        else {},
        context={
            "recipe": config.recipe,
            "kind": data_kind(split.x_train),
            "epochs": config.trainer.epochs,
            "learning_rate": config.optimizer.learning_rate,
            "split": "kfold" if config.data.split != "holdout" else "holdout",
            "train_examples": len(split.x_train),
            "validation_examples": len(split.x_val) if split.has_validation else 0,
        },
    )
    x_seen, y_seen = first_rows(split.x_train, split.y_train, TRAIN_PASS_ROWS)
    train_scores, _ = scores_and_outputs(model, recipe.batches(x_seen, y_seen, config, False))
    evidence.train = _score(train_scores, metric)
    row = kept_row(history, metrics)
    if row is not None and row.get(metric) not in (None, ""):
        evidence.train_time = float(row[metric])
    if "kfold" in metrics and metric in metrics["kfold"]:
        evidence.validation = float(metrics["kfold"][metric]["mean"])
        evidence.validation_kind = f"{len(metrics['folds'])}-fold validation"
    elif metric in metrics.get("validation", {}):
        evidence.validation = float(metrics["validation"][metric])
    evidence.still_improving = still_improving(config, split, metrics, history)
    test = passes.get("test")
    values: dict[str, np.ndarray | None] = {}
    if test is not None:
        values["model"] = per_example(task, test.targets, test.outputs)
        predicted = recipe.baseline_predictions(split, dataset.x_test, test.targets, config.trainer)
        if predicted is not None:
            values["baseline"] = per_example(task, test.targets, np.asarray(predicted))
    if reference_values is not None:
        values["reference"] = np.asarray(reference_values, "float64")
    validation = passes.get("validation")
    if validation is not None:
        values["validation"] = per_example(task, validation.targets, validation.outputs)
    evidence.per_example = {k: v for k, v in values.items() if v is not None}
    return verdict_module.judge(evidence)


def still_improving(
    config: Config, split: Split, metrics: dict[str, Any], history: list[dict[str, str]]
) -> bool:
    """Whether training ended while the model still improved: its monitored value (validation,
    else the training loss) was best at the last epoch the trainer allowed and gained more
    than `STILL_FALLING` over its best before the last tenth of the epochs."""
    last_epoch = config.trainer.epochs + config.trainer.fine_tune.epochs
    if last_epoch < 2 or len(history) < 2:
        return False
    if (
        split.has_validation
        and not metrics.get("best_epoch") == metrics.get("epochs") == last_epoch
    ):
        return False
    monitor = monitor_name(config, split.has_validation)
    # Best at the last epoch is also what a schedule that anneals to zero (cosine) gives a
    # converged model: it counts only if the last tenth of the epochs still gained.
    tail = max(1, len(history) // 10)
    try:
        values = [float(row[monitor]) for row in history]
    except (KeyError, ValueError):
        return False
    earlier, last = values[:-tail], values[-1]
    if higher_is_better(monitor):
        best_before = max(earlier)
        return last > best_before + STILL_FALLING * abs(best_before)
    best_before = min(earlier)
    return last < best_before - STILL_FALLING * abs(best_before)


def gan_verdict(config: Config, metrics: dict[str, Any]) -> dict[str, Any] | None:
    """A GAN's samples judged by the quality classifier: the baseline is a generator of one
    kind of image (inception score 1), the reference the real test images."""
    quality = metrics.get("quality") or {}
    generated = (quality.get("generated") or {}).get("inception_score")
    real = (quality.get("real_test") or {}).get("inception_score")
    if generated is None:
        return None
    evidence = verdict_module.Evidence(
        metric="inception_score",
        higher_is_better=True,
        test=float(generated),
        baseline=1.0,
        reference=None if real is None else float(real),
        reference_model="real test images",
        context={
            "recipe": config.recipe,
            "kind": "image",
            "epochs": config.trainer.epochs,
            "learning_rate": config.optimizer.learning_rate,
        },
    )
    return verdict_module.judge(evidence)


def _score(scores: dict[str, Any] | None, metric: str) -> float | None:
    value = (scores or {}).get(metric)
    return float(value) if isinstance(value, int | float) else None


def write_summary(log_dir: Path, verdict: dict[str, Any], step: int) -> None:
    """The verdict as a TensorBoard text summary (the TEXT tab), beside the run's curves."""
    import tensorflow as tf  # lazy: TensorBoard's writer, only once a run has a verdict

    text = "\n\n".join(
        [
            f"**{verdict_module.headline(verdict)}**",
            verdict["reason"],
            *(f"- {step_text}" for step_text in verdict["next_steps"]),
        ]
    )
    with tf.summary.create_file_writer(str(log_dir / "verdict")).as_default():
        tf.summary.text("verdict", text, step=step)


def rescored(
    recipe: Recipe, config: Config, model: keras.Model, run_dir: Path, dataset: Dataset
) -> tuple[dict[str, float], dict[str, Any] | None]:
    """`cookbook evaluate`: the test scores of the run's model again, and the verdict they
    give beside what the run recorded (its baseline, validation and training history; the
    reference's per-example values where they are still kept, never fitted again)."""
    from common.data import splits  # lazy: only `cookbook evaluate` rebuilds the split

    recorded = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    split = splits.final_model_split(dataset, config.data, config.split_seed, recipe.stratify)
    data = recipe.batches(dataset.x_test, dataset.y_test, config, False)
    scores, test = scores_and_outputs(model, data)
    if test is None and metrics_task(recipe, recorded) in KEY_METRICS:
        test = predicting.predict_split(model, data)
    metrics = {**recorded, "test": scores}
    task = metrics_task(recipe, recorded)
    kept = kept_reference(reference_path(config, task, split, dataset)) or {}
    history = run_files.read_history(run_dir / "history.csv")
    verdict = run_verdict(
        recipe,
        config,
        model,
        split,
        dataset,
        metrics,
        history,
        {"test": test},
        kept.get("reference_per_example"),
    )
    return scores, verdict


def metrics_task(recipe: Recipe, metrics: dict[str, Any]) -> str:
    return str(metrics.get("task", recipe.task))
