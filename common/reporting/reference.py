"""A classic scikit-learn reference beside every score: "is this better than the simple thing?"

The baseline answers "better than guessing?"; the reference answers the question a practitioner
asks next. Two standard models per task are fitted on the same training split as the network,
the better one on validation (the run's validation part, else a seeded 20% of the training
part) is refitted there and scored once on the same test split, with the metrics the
Keras model reports:

    binary, multiclass   logistic regression  |  SVC (RBF kernel), scaled or as given
                         past 10,000 training rows: logistic regression | gradient boosting
    regression           ridge (alpha by CV)  |  histogram gradient boosting

Its cost grows with the data no faster than the network's: the kernel SVC (quadratic in the
rows) only up to `KERNEL_ROWS`, and past `FIT_ROWS` rows (or `MAX_CELLS` values) a seeded,
stratified subsample, which metrics.json's `reference_fitted_on` and the console name.

Tables keep their gaps and text categories (imputed and one-hot encoded, as the network's own
preprocessing does); images are flattened, and an image folder small enough for a quick fit
(`MAX_CELLS` pixels) is decoded as the network reads it. Text folders and sets too large for
a quick fit get no reference (`reference_note` says why); series windows get their own
(`common.reporting.series_reference`).
`trainer.reference: false` turns it off. It depends on the data alone (every model is
seeded), so runs keep it by `fingerprint` and fit it once per dataset and split.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn import metrics as sk_metrics
from sklearn.base import BaseEstimator, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC

from common.data.files import FileSet
from common.data.fingerprint import fingerprint as data_fingerprint
from common.data.stream import CsvPart

TASKS = ("binary", "multiclass", "regression")
# Examples × features the reference fits at most (a subsample past it).
MAX_CELLS = 20_000_000
MIN_ROWS = 1_000  # fewer rows than this fit in MAX_CELLS: no reference
# Training rows past which the calibrated RBF SVC (cost ~ rows²: 6.4 s on 10,000 rows × 20
# features, 24 s on 20,000, on a 2-core CPU) gives way to LogisticRegression and
# HistGradientBoosting (0.01 s and about 1 s on 10,000 rows).
KERNEL_ROWS = 10_000
# Training rows the reference fits at most: past them, a seeded stratified subsample, said so.
# At 100,000 rows x 20 features its gradient boosting fits in about 5 s on 2 cores, one epoch
# of the network at batch 256 on 800,000 rows takes 6-8 s.
FIT_ROWS = 100_000
# Past this many rows, the model chosen on the 20% held out of the training part keeps that
# fit (80% of the rows) instead of fitting again on all of them: a second fit of gradient
# boosting would double the reference's time for a score that moves in the third decimal.
REFIT_ROWS = 50_000
# Images an image folder may hold for its reference: decoding and an SVC's kernel both grow with
# the count, past which the reference would outlast a short training.
MAX_IMAGES = 20_000


def small_folder(files: FileSet) -> bool:
    """An image folder whose pixels fit in memory for a quick fit (text folders never do)."""
    return (
        files.kind == "image"
        and len(files) <= MAX_IMAGES
        and int(np.prod(files.shape)) <= MAX_CELLS
    )


def features(x: Any) -> tuple[Any, bool] | None:
    """What scikit-learn can take (flattened arrays, or the table itself), and whether it is a
    table; None for text folders and image folders too large to decode whole."""
    if hasattr(x, "iloc"):
        return x, True
    if isinstance(x, CsvPart):  # a CSV that streams: a seeded sample of its rows
        return x.sample()[0], True
    if isinstance(x, FileSet):
        if not small_folder(x):
            return None
        return decoded_pixels(x).reshape(len(x), -1), False
    if isinstance(x, np.ndarray) and x.dtype.kind in "fiub":
        return x.reshape(len(x), -1).astype("float32"), False
    return None


def decoded_pixels(files: FileSet) -> np.ndarray:
    """Every image of `files`, decoded and resized as the network reads them (float32,
    0..255)."""
    import tensorflow as tf  # lazy: only image folders are decoded here

    paths = tf.data.Dataset.from_tensor_slices(files.paths.astype(str))
    batches = paths.map(files.load, num_parallel_calls=tf.data.AUTOTUNE).batch(256)
    return np.concatenate([batch.numpy() for batch in batches], axis=0).astype("float32")


def file_stamps(files: FileSet) -> np.ndarray:
    """What a folder's reference depends on, without decoding it: each path with its size
    and modification time, and the size and channels the images are read at."""
    stamps = [f"{files.image_size} {files.channels}"]
    for path in files.paths.astype(str):
        stat = Path(path).stat()
        stamps.append(f"{path} {stat.st_size} {stat.st_mtime_ns}")
    return np.asarray(stamps)


def no_reference_note(x: Any) -> str:
    if isinstance(x, FileSet) and x.kind == "image":
        return (
            f"no reference: a folder of {len(x)} images of {int(np.prod(x.shape[1:]))} values "
            "is too large to decode for a quick scikit-learn fit"
        )
    return "no reference for this input (text files that stream)"


def preprocessing(x: Any, is_table: bool) -> BaseEstimator:
    """Scaled numbers; for a table, mean-imputed numbers and one-hot categories with gaps."""
    if not is_table:
        return StandardScaler()
    numeric = [name for name in x.columns if x[name].dtype.kind == "f"]
    categorical = [name for name in x.columns if name not in numeric]
    return make_column_transformer(
        (make_pipeline(SimpleImputer(), StandardScaler()), numeric),
        (
            make_pipeline(
                SimpleImputer(strategy="constant", fill_value="(missing)"),
                OneHotEncoder(handle_unknown="ignore", max_categories=32, sparse_output=False),
            ),
            categorical,
        ),
    )


def candidates(
    task: str, prepare: BaseEstimator, is_table: bool, rows: int = 0
) -> dict[str, BaseEstimator]:
    """The two (or three) models tried for `task` on `rows` training examples: kernel models
    only up to `KERNEL_ROWS`, whose cost grows with the square of the rows."""
    if task == "regression":
        return {
            "RidgeCV": make_pipeline(clone(prepare), RidgeCV(alphas=np.logspace(-3, 3, 13))),
            "HistGradientBoostingRegressor": make_pipeline(
                clone(prepare), HistGradientBoostingRegressor(random_state=0)
            ),
        }
    logistic = make_pipeline(clone(prepare), LogisticRegression(max_iter=5000))
    if rows > KERNEL_ROWS:  # linear in the rows: a solver that scales, and boosted trees
        return {
            "LogisticRegression": logistic,
            "HistGradientBoostingClassifier": make_pipeline(
                clone(prepare), HistGradientBoostingClassifier(random_state=0)
            ),
        }
    # Probabilities for the log loss, calibrated as scikit-learn recommends for an SVC. The SVC
    # also runs on the features as given: pixels share one scale, and standardising each one
    # (rare strokes blown up) costs an RBF kernel a point on digits.
    models = {
        "LogisticRegression": logistic,
        "SVC": make_pipeline(clone(prepare), CalibratedClassifierCV(SVC(), ensemble=False)),
    }
    if not is_table:
        models["SVC (unscaled)"] = CalibratedClassifierCV(SVC(), ensemble=False)
    return models


def subsample(task: str, x: Any, y: np.ndarray, rows: int) -> tuple[Any, np.ndarray]:
    """A seeded `rows` of (x, y), stratified for classification: what the reference fits
    past `FIT_ROWS`."""
    if len(y) <= rows:
        return x, y
    stratify = None if task == "regression" else y
    kept, _, kept_y, _ = train_test_split(x, y, train_size=rows, random_state=0, stratify=stratify)
    return kept, kept_y


def key_score(task: str, y_true: np.ndarray, model: BaseEstimator, x: Any) -> float:
    """Higher is better: accuracy, or minus the mean absolute error."""
    predicted = model.predict(x)
    if task == "regression":
        return -sk_metrics.mean_absolute_error(y_true, predicted)
    return sk_metrics.accuracy_score(y_true, predicted)


def scores(task: str, model: BaseEstimator, x: Any, y: np.ndarray) -> dict[str, float]:
    """The Keras model's metric names: loss (cross-entropy or MSE), accuracy/auc or mae."""
    if task == "regression":
        predicted = model.predict(x).ravel()
        return {
            "loss": float(sk_metrics.mean_squared_error(y.ravel(), predicted)),
            "mae": float(sk_metrics.mean_absolute_error(y.ravel(), predicted)),
        }
    y = y.ravel().astype("int64")
    probabilities = model.predict_proba(x)
    labels = model.classes_
    results = {
        "loss": float(sk_metrics.log_loss(y, probabilities, labels=labels)),
        "accuracy": float(sk_metrics.accuracy_score(y, labels[probabilities.argmax(axis=1)])),
    }
    if task == "binary" and len(np.unique(y)) == 2:
        results["auc"] = float(sk_metrics.roc_auc_score(y, probabilities[:, 1]))
    return results


def per_example(task: str, model: BaseEstimator, x: Any, y: np.ndarray) -> list[float]:
    """The key metric per test example, for the verdict's paired interval: 1/0 correct, or
    the absolute error."""
    predicted = model.predict(x)
    if task == "regression":
        return np.abs(np.asarray(predicted, "float64").ravel() - y.ravel()).round(6).tolist()
    return (np.asarray(predicted).ravel() == y.ravel().astype("int64")).astype(float).tolist()


def targets(x: Any, y: Any) -> np.ndarray:
    """The targets of `features(x)`: `y`, or a streamed CSV's sample's."""
    return np.asarray(x.sample()[1] if isinstance(x, CsvPart) else y).ravel()


def can_fit(x: Any) -> bool:
    """Whether `features(x)` is an array or table, without decoding an image folder."""
    if isinstance(x, FileSet):
        return small_folder(x)
    return features(x) is not None


def fingerprint(task: str, split, x_test: Any, y_test: np.ndarray) -> str | None:
    """A digest of everything the reference depends on: the task, the training, validation and
    test data, and scikit-learn's version; None when there is no reference to keep."""
    if task not in TASKS or not all(can_fit(x) for x in (split.x_train, x_test)):
        return None
    arrays = tuple(
        file_stamps(x) if isinstance(x, FileSet) else x.stamps() if isinstance(x, CsvPart) else x
        for x in (split.x_train, split.y_train, split.x_val, split.y_val, x_test, y_test)
    )
    return data_fingerprint(*arrays, label=f"reference 2 {task} {sklearn.__version__}")


def fit_reference(task: str, split, x_test: Any, y_test: np.ndarray) -> dict[str, Any]:
    """{"reference": scores, "reference_model": name, "reference_per_example": [...]}, or
    {"reference_note": why not}."""
    if task not in TASKS:
        return {}
    for x in (split.x_train, x_test):
        if not can_fit(x):
            return {"reference_note": no_reference_note(x)}
    train, test = features(split.x_train), features(x_test)
    (x_train, is_table), (x_test_ready, _) = train, test
    width = x_train.shape[1]
    y_train, y_test = targets(split.x_train, split.y_train), targets(x_test, y_test)
    rows = min(FIT_ROWS, MAX_CELLS // max(width, 1))
    if rows < MIN_ROWS:
        return {
            "reference_note": f"no reference: {width} features per example are too many for "
            "a quick scikit-learn fit"
        }
    total = len(split.x_train)
    x_train, y_train = subsample(task, x_train, y_train, rows)
    fitted_on = {"rows": len(y_train), "of": total}
    models = candidates(task, preprocessing(x_train, is_table), is_table, len(y_train))
    on = (
        f"a seeded {len(y_train):,} of {total:,} training rows"
        if len(y_train) < total
        else f"{total:,} training rows"
    )
    print(f"fitting the scikit-learn reference ({', '.join(models)}) on {on} ...", flush=True)
    if split.has_validation:
        fit_x, fit_y = x_train, y_train
        val_x, val_y = features(split.x_val)[0], targets(split.x_val, split.y_val)
        val_x, val_y = subsample(task, val_x, val_y, rows)
    else:  # no validation part: choose on a seeded 20% of the training part, then refit on all
        fit_x, val_x, fit_y, val_y = train_test_split(
            x_train,
            y_train,
            test_size=0.2,
            random_state=0,
            stratify=None if task == "regression" else y_train,
        )
    chosen = {}
    for name, model in models.items():
        started = time.perf_counter()
        chosen[name] = key_score(task, val_y, model.fit(fit_x, fit_y), val_x)
        score = (
            f"accuracy {chosen[name]:.4f}" if task != "regression" else f"MAE {-chosen[name]:.4g}"
        )
        print(f"  {name}: validation {score} ({time.perf_counter() - started:.1f} s)", flush=True)
    best = max(chosen, key=chosen.get)
    model = models[best]  # fitted on fit_x: all the sample when there is a validation part
    if not split.has_validation:
        if len(y_train) <= REFIT_ROWS:
            model = model.fit(x_train, y_train)
        else:
            fitted_on["rows"] = len(fit_y)
    return {
        "reference": scores(task, model, x_test_ready, y_test),
        "reference_model": best,
        "reference_fitted_on": fitted_on,
        "reference_per_example": per_example(task, model, x_test_ready, np.asarray(y_test)),
    }
