"""What a run's model scores, and how it is written down and printed.

    evaluate / scores_and_outputs     loss and metrics of a split, from one predict pass
    reference_scores                  scikit-learn's reference, kept by a fingerprint of its data
    write_predictions                 test_predictions.csv for the report's curves and residuals
    print_summary, print_seed_summary the tables a run (or a run over seeds) ends with
    load_model                        a .keras file in safe mode, with one line for what fails

Shared by the driver, its K-fold and `cookbook evaluate`, so that a run and a later look at it
score the same way.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from common.config.schema import Config
from common.data.splits import Split
from common.data.windows import WindowSet
from common.errors import UserError
from common.modeling import predicting
from common.reporting import reference, run_files, series_reference, verdict

if TYPE_CHECKING:
    from common.training.recipe import Recipe


def evaluate(
    recipe: Recipe, config: Config, model: keras.Model, x: Any, y: np.ndarray
) -> dict[str, float]:
    """The loss and compiled metrics on (x, y). From the predict step the report and
    test_predictions.csv run anyway where that gives the same (`scores_and_outputs`):
    Keras' test step is one more trace of the whole model."""
    return scores_and_outputs(model, recipe.batches(x, y, config, False))[0]


def scores_and_outputs(
    model: keras.Model, data
) -> tuple[dict[str, float], predicting.SplitOutputs | None]:
    """The scores of a dataset of (inputs, targets) batches, and the pass they were scored
    from (None where Keras' `evaluate` scored them: see `predicting.scores_from_predictions`)."""
    if predicting.scores_from_predictions(model):
        outputs = predicting.predict_split(model, data)
        return predicting.score(model, outputs), outputs
    scores = model.evaluate(data, verbose=0, return_dict=True)
    return {k: float(v) for k, v in scores.items()}, None


def mean_and_std(results: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    return {
        name: {
            "mean": float(np.mean([r[name] for r in results])),
            "std": float(np.std([r[name] for r in results])),
        }
        for name in results[0]
    }


def load_model(path: Path) -> keras.Model:
    """A .keras file in safe mode: code inside a model file (a Lambda layer) is never run."""
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except ValueError as error:
        if "safe_mode" in str(error) or "Lambda" in str(error):
            raise UserError(
                f"{path} holds Python code (a Lambda layer) that the cookbook does not run: "
                "models load in safe mode. Rebuild it from registered layers."
            ) from None
        reason = first_line(str(error)) or type(error).__name__
        raise UserError(f"{path} cannot be loaded as a Keras model: {reason}") from None
    except (OSError, zipfile.BadZipFile) as error:
        raise UserError(
            f"{path} cannot be read ({type(error).__name__}); it may be cut short. "
            "Train the run again with `cookbook train --resume RUN --restart`."
        ) from None


def first_line(text: str) -> str:
    """The first line of `text`, at most 500 characters: a reason that fits a table cell."""
    return (text.strip().splitlines() or [""])[0][:500]


def reference_scores(config: Config, task: str, split: Split, dataset) -> dict[str, Any]:
    """The scikit-learn reference, kept in `output.dir/.cache/reference/` by a fingerprint of
    its data: a sweep of model settings on one dataset fits it once (1-2 s on digits). Nothing
    for a task without one (a GAN, an autoencoder)."""
    if task not in reference.TASKS:
        return {}
    path = reference_path(config, task, split, dataset)
    kept = kept_reference(path)
    if kept is not None:
        print("the scikit-learn reference: kept from an earlier run on the same data")
        return kept
    started = time.perf_counter()
    try:
        if isinstance(split.x_train, WindowSet):
            result = series_reference.fit_reference(split, dataset.x_test)
        else:
            result = reference.fit_reference(task, split, dataset.x_test, dataset.y_test)
    except KeyboardInterrupt:  # stop the reference only: the trained model is kept
        print("\nreference interrupted (Ctrl-C): the run is finished without it")
        return {"reference_note": "no reference: interrupted with Ctrl-C while it fitted"}
    if "reference" in result:
        print(f"the scikit-learn reference fitted in {time.perf_counter() - started:.1f} s")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        run_files.write_json(path, result)
    return result


def reference_path(config: Config, task: str, split: Split, dataset) -> Path | None:
    """Where the reference of this data is kept (None: there is none to keep)."""
    if task not in reference.TASKS:
        return None
    if isinstance(split.x_train, WindowSet):
        key = series_reference.fingerprint(split, dataset.x_test)
    else:
        key = reference.fingerprint(task, split, dataset.x_test, dataset.y_test)
    return (
        None if key is None else run_files.cache_dir(config.output.dir, "reference") / f"{key}.json"
    )


def kept_reference(path: Path | None) -> dict[str, Any] | None:
    """The reference kept at `path`, or None (none kept, or unreadable: fitted again)."""
    if path is None or not path.is_file():
        return None
    with contextlib.suppress(OSError, ValueError):
        return json.loads(path.read_text(encoding="utf-8"))
    return None


def write_predictions(test: predicting.SplitOutputs, task: str, path: Path, ids=None) -> None:
    """The test split's targets beside the model's outputs, for the report's confusion matrix,
    ROC and precision-recall curves and residuals: `target,probability` (binary),
    `target,prob_0..prob_k` (multiclass) or `target,prediction` (regression). `ids`: a given
    test file's identifier columns (a DataFrame, row for row), written first as they came."""
    target = np.asarray(test.targets).reshape(len(test.targets), -1)[:, 0]
    output = np.asarray(test.outputs, "float64")
    output = output.reshape(len(output), -1)
    if task != "multiclass" and output.shape[1] != 1:
        return  # several outputs (e.g. a multi-step forecast): no single column to report
    names = {"binary": ["probability"], "regression": ["prediction"]}.get(
        task, [f"prob_{k}" for k in range(output.shape[1])]
    )
    rows = [[f"{v:.6g}" for v in (t, *row)] for t, row in zip(target, output, strict=True)]
    header = ["target", *names]
    if ids is not None and len(ids) == len(rows):
        outputs = ("target", "prediction", "probability")  # names the report reads
        id_names = [c for c in ids.columns if c not in outputs and not c.startswith("prob_")]
        header = [*id_names, *header]
        rows = [[*key, *row] for key, row in zip(ids[id_names].to_numpy(), rows, strict=True)]
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header, *rows])
    run_files.write_text(path, text.getvalue())


def print_summary(run_dir: Path, metrics: dict[str, Any]) -> None:
    print(f"\nRun: {run_dir}")
    if "kfold" in metrics:
        print(f"{len(metrics['folds'])}-fold validation (mean ± std)      baseline")
        for name, score in metrics["kfold"].items():
            base = metrics["kfold_baseline"].get(name, {}).get("mean", float("nan"))
            print(f"  {name:<12} {score['mean']:>10.4f} ± {score['std']:<10.4f} {base:>10.4f}")
    reference = metrics.get("reference", {})
    validated = metrics.get("validated", {}).get("test")  # trainer.refit: the model before it
    width = max([12, *(len(name) for name in metrics["test"])])
    print(
        f"{'test':<{width + 2}} {'refit' if validated else 'model':>10}"
        + (f" {'validated':>10}" if validated else "")
        + f" {'baseline':>12}"
        + (f" {'reference':>12}" if reference else "")
    )
    for name, value in metrics["test"].items():
        base = metrics["baseline"].get(name, float("nan"))
        line = f"  {name:<{width}} {value:>10.4f}"
        if validated:
            line += f" {validated.get(name, float('nan')):>10.4f}"
        line += f" {base:>12.4f}"
        if reference:
            line += f" {reference.get(name, float('nan')):>12.4f}"
        print(line)
    if reference:
        fitted_on = metrics.get("reference_fitted_on") or {}
        sampled = (
            f" (fitted on {fitted_on['rows']:,} of {fitted_on['of']:,} training rows)"
            if fitted_on.get("rows", 0) < fitted_on.get("of", 0)
            else ""
        )
        library = metrics.get("reference_library", "scikit-learn")
        print(f"reference: {library} {metrics['reference_model']} on the same split{sampled}")
    elif "reference_note" in metrics:
        print(metrics["reference_note"])
    if validated:
        refit = metrics["refit"]
        print(
            f"refit: a fresh model on {refit['train_examples']:,} training + validation "
            f"examples for {refit['epochs']} epochs (validated: the model that picked them)"
        )
    if metrics.get("verdict"):
        print("\n".join(verdict.lines(metrics["verdict"])))


def print_seed_summary(
    config: Config, seeds: list[int], results: list[tuple[Path, dict[str, Any]]]
) -> dict[str, Any]:
    """Mean ± std of the test metrics over seeds, beside the baseline and reference (the same
    split for every seed, so those do not vary); written to runs/<config>/seeds-<...>.json."""
    tests = mean_and_std([metrics["test"] for _, metrics in results])
    first = results[0][1]
    summary = {
        "config": config.name,
        "seeds": seeds,
        "runs": [str(run_dir) for run_dir, _ in results],
        "test": tests,
        "baseline": first["baseline"],
        **({"reference": first["reference"]} if "reference" in first else {}),
        **({"reference_model": first["reference_model"]} if "reference_model" in first else {}),
    }
    print(f"\n{len(seeds)} seeds ({', '.join(map(str, seeds))}) of {config.name}:")
    print(f"{'test':<14} {'mean ± std':>20} {'baseline':>10} {'reference':>10}")
    for name, score in tests.items():
        base = first["baseline"].get(name, float("nan"))
        ref = first.get("reference", {}).get(name, float("nan"))
        spread = f"{score['mean']:.4f} ± {score['std']:.4f}"
        print(f"  {name:<12} {spread:>20} {base:>10.4f} {ref:>10.4f}")
    group = Path(config.output.dir) / config.name
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = group / f"seeds-{stamp}.json"
    verdicts = [metrics["verdict"] for _, metrics in results if metrics.get("verdict")]
    if verdicts:
        beat = sum(v["beats_baseline"] for v in verdicts)
        diagnoses = sorted({v["diagnosis"] for v in verdicts})
        summary["verdict"] = {
            "beats_baseline": beat,
            "seeds": len(verdicts),
            "diagnoses": [v["diagnosis"] for v in verdicts],
        }
        print(
            f"verdict: {beat} of {len(verdicts)} seeds beat the baseline beyond noise; "
            f"diagnosis: {', '.join(diagnoses)}"
        )
    run_files.write_json(path, summary)
    print(f"summary: {path}")
    return summary
