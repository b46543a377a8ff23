"""Look inside a trained image classifier: where it errs, and what it looks at.

    result = inspect_classifier(
        model, dataset.x_test, dataset.y_test, dataset.class_names, run_dir,
        log_dir=run_dir / "logs" / "inspect",
    )

writes five pictures into `run_dir/inspect/` (and, given `log_dir`, into TensorBoard's Images
tab as `inspect/<name>`) and returns precision, recall and F1 per class for metrics.json:

    confusion_matrix.png   test counts, true class by predicted class
    misclassified.png      the most confidently wrong test images, "true → predicted (p)"
    gradcam.png            test images over their Grad-CAM: where the evidence for the
                           predicted class lies (keras.io, "Grad-CAM class activation
                           visualization", F. Chollet; Selvaraju et al., 2017)
    filters.png            the first convolution's kernels, one tile per filter
    activations.png        the feature maps of each convolution (at most 8, evenly spaced)
                           for one test image ("Deep Learning with Python", ch. 9)

The model is a single-label classifier whose input is a batch of images and whose output is
softmax probabilities, or one sigmoid unit for two classes. It is fed what the dataset holds:
[0, 1] arrays, or 0..255 pixels decoded batch by batch from a `FileSet` (such models start
with a `Rescaling` layer). A folder is never held whole: it is read once for the predictions
(unless the caller has them), then only the few images the pictures show are read again.

This module predicts and picks the examples; each picture is drawn by its own module:
`mistakes` (the first two), `gradcam`, `features` (the last two), reaching the layers through
`probing`, with no surgery on the model. The image recipes' `report` hook
(`common.reporting.hooks`) calls `inspect_classifier` after training.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from common.data.files import FileSet
from common.data.pipeline import make_dataset
from common.modeling.predicting import batches_of, predict_batch
from common.reporting.features import first_layer_filters, intermediate_activations
from common.reporting.gradcam import gradcam_grid, last_conv_layer
from common.reporting.mistakes import (
    confusion_matrix_figure,
    per_class_report,
    worst_misclassified_grid,
)
from common.reporting.probing import class_probabilities

PICTURES = ("confusion_matrix", "misclassified", "gradcam", "filters", "activations")


def log_images_to_tensorboard(log_dir: Path, images: dict[str, Path], step: int = 0) -> Path:
    """Each PNG as a `tf.summary.image` named by its key, in an event file under `log_dir`."""
    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default():
        for tag, path in images.items():
            picture = tf.io.decode_png(tf.io.read_file(str(path)))
            tf.summary.image(tag, picture[None], step=step)
    writer.close()
    return Path(log_dir)


def inspect_classifier(
    model: keras.Model,
    x_test: np.ndarray | FileSet,
    y_test: np.ndarray,
    class_names: Sequence[str] | None,
    run_dir: Path,
    log_dir: Path | None = None,
    batch_size: int = 64,
    misclassified: int = 16,
    gradcam: int = 8,
    outputs: np.ndarray | None = None,
) -> dict[str, Any]:
    """Predict the test set once and write the five pictures into `run_dir/inspect/` (the
    last three only for a model with convolutions, Grad-CAM only on the TensorFlow backend),
    logged to TensorBoard under `log_dir` when given. `outputs`: the model's outputs on the
    test set in its order, when the caller has predicted it already (the driver's test pass);
    then only the images the pictures show are read again. Returns {"per_class":
    per_class_report(...), "images": [paths relative to run_dir]} for metrics.json."""
    run_dir = Path(run_dir)
    folder = run_dir / "inspect"
    y_test = np.asarray(y_test).astype("int64").reshape(-1)
    shown = _spread_over_classes(y_test, gradcam)
    if outputs is None:
        found = _predict(model, x_test, y_test, batch_size, shown, misclassified)
    else:
        probabilities = class_probabilities(np.asarray(outputs, dtype="float32"))
        found = _from_outputs(x_test, y_test, probabilities, batch_size, shown, misclassified)
    probabilities, kept, worst = found
    predicted = probabilities.argmax(axis=1)
    names = list(class_names or [str(k) for k in range(probabilities.shape[1])])

    pictures = {
        "confusion_matrix": confusion_matrix_figure(
            y_test, predicted, names, folder / "confusion_matrix.png"
        ),
        "misclassified": worst_misclassified_grid(
            np.asarray([image for _, _, image in worst]),
            y_test[[index for _, index, _ in worst]],
            probabilities[[index for _, index, _ in worst]],
            names,
            folder / "misclassified.png",
            count=misclassified,
        ),
    }
    try:
        layer_name = last_conv_layer(model)
    except ValueError:  # no convolution: nothing to look inside
        layer_name = None
    if layer_name is not None:
        sample = np.stack([kept[index] for index in shown])
        if keras.backend.backend() == "tensorflow":  # Grad-CAM's gradients: tf.GradientTape
            pictures["gradcam"] = gradcam_grid(
                model,
                sample,
                y_test[shown],
                names,
                folder / "gradcam.png",
                gradcam,
                layer_name,
                probabilities[shown],
            )
        else:
            print(f"Grad-CAM needs the TensorFlow backend; skipped on {keras.backend.backend()}.")
        pictures["filters"] = first_layer_filters(model, folder / "filters.png")
        pictures["activations"] = intermediate_activations(
            model, sample[0], folder / "activations.png"
        )
    if log_dir is not None:
        log_images_to_tensorboard(log_dir, {f"inspect/{k}": p for k, p in pictures.items()})
    return {
        "per_class": per_class_report(y_test, predicted, names),
        "images": [path.relative_to(run_dir).as_posix() for path in pictures.values()],
    }


def _batches(x: np.ndarray | FileSet, batch_size: int) -> Iterator[np.ndarray]:
    """Test images batch by batch: a FileSet is decoded as in training (0..255)."""
    data = make_dataset(x, None, batch_size) if isinstance(x, FileSet) else x
    for batch in batches_of(data, batch_size):
        yield np.asarray(batch, dtype="float32")


def _predict(
    model: keras.Model,
    x: np.ndarray | FileSet,
    y: np.ndarray,
    batch_size: int,
    keep: np.ndarray,
    worst: int,
) -> tuple[np.ndarray, dict[int, np.ndarray], list[tuple[float, int, np.ndarray]]]:
    """One pass over the test set for every example's probabilities (a folder streams), then
    the examples the pictures show, as `_from_outputs` picks them."""
    probabilities = np.concatenate(
        [
            class_probabilities(predict_batch(model, batch, batch_size))
            for batch in _batches(x, batch_size)
        ]
    )
    return _from_outputs(x, y, probabilities, batch_size, keep, worst)


def _from_outputs(
    x: np.ndarray | FileSet,
    y: np.ndarray,
    probabilities: np.ndarray,
    batch_size: int,
    keep: np.ndarray,
    worst: int,
) -> tuple[np.ndarray, dict[int, np.ndarray], list[tuple[float, int, np.ndarray]]]:
    """Every example's `probabilities`; the pixels of the examples at `keep`; and (confidence,
    position, pixels) of the `worst` most confidently wrong ones, most confident first (earlier
    first on ties). Only those examples' images are read: a folder decodes those few files."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y)
    confidence = probabilities[wrong, predicted[wrong]]
    chosen = wrong[np.argsort(-confidence, kind="stable")[:worst]]  # earlier first on ties
    positions = np.unique(np.concatenate([np.asarray(keep, dtype="int64"), chosen]))
    images = np.concatenate(list(_batches(x[positions], batch_size)))
    pixels = dict(zip(positions.tolist(), images, strict=True))
    kept = {int(index): pixels[int(index)] for index in keep}
    found = [(float(probabilities[i, predicted[i]]), int(i), pixels[int(i)]) for i in chosen]
    return probabilities, kept, found


def _spread_over_classes(labels: np.ndarray, count: int) -> np.ndarray:
    """Positions of `count` examples taking each class in turn: the first of every class,
    then the second, ..."""
    rank = np.zeros(len(labels), dtype="int64")
    for label in np.unique(labels):
        members = labels == label
        rank[members] = np.arange(members.sum())
    order = np.lexsort((labels, rank))  # by rank, then by class
    return order[:count]
