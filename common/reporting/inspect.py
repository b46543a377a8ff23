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

How layers are reached: for one eager forward pass, the chosen layers' `call` is wrapped to
record their outputs (and, for Grad-CAM, the head's softmax or sigmoid is switched off, as
keras.io does, so that class scores are logits). A convolution inside a nested sub-model, such
as a `keras.applications` backbone used as a layer, is reached like any other, with no
surgery on the model; the model is unchanged afterwards. Layers inside a sub-model are named
by a path, `"backbone/conv5_block3_out"`. Gradients use `tf.GradientTape`: TensorFlow backend.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import keras
import matplotlib
import numpy as np
import tensorflow as tf
from keras import layers

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from common.data.files import FileSet  # noqa: E402
from common.data.pipeline import make_dataset  # noqa: E402
from common.errors import UserError  # noqa: E402
from common.modeling.predicting import batches_of, predict_batch  # noqa: E402
from common.reporting.images import save_grid, tile  # noqa: E402

CONVOLUTIONS = (layers.Conv2D, layers.SeparableConv2D, layers.DepthwiseConv2D)
PICTURES = ("confusion_matrix", "misclassified", "gradcam", "filters", "activations")


# --------------------------------------------------------------------------------------------
# Errors: the confusion matrix and the most confidently wrong images
# --------------------------------------------------------------------------------------------


def confusion_matrix_figure(
    y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str], path: Path
) -> Path:
    """The confusion matrix of integer labels as a PNG: counts, true class by predicted."""
    from sklearn.metrics import ConfusionMatrixDisplay

    count = len(class_names)
    size = max(4.5, 0.45 * count + 2.5)
    figure, axis = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay.from_predictions(
        y_true,
        y_pred,
        labels=np.arange(count),
        display_labels=list(class_names),
        include_values=count <= 30,
        cmap="Blues",
        colorbar=False,
        xticks_rotation=45 if count > 10 or max(map(len, class_names)) > 3 else "horizontal",
        ax=axis,
    )
    axis.set_title(f"Confusion matrix, {len(y_true)} test images")
    return _save(figure, path)


def per_class_report(
    y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str]
) -> dict[str, Any]:
    """scikit-learn's classification report as plain numbers for metrics.json:
    {class name: {precision, recall, f1-score, support}, "accuracy", "macro avg", ...}."""
    from sklearn.metrics import classification_report

    report = classification_report(
        y_true,
        y_pred,
        labels=np.arange(len(class_names)),
        target_names=list(class_names),
        output_dict=True,
        zero_division=0,
    )
    return {
        name: {k: int(v) if k == "support" else float(v) for k, v in value.items()}
        if isinstance(value, dict)
        else float(value)
        for name, value in report.items()
    }


def worst_misclassified(
    y_true: np.ndarray, probabilities: np.ndarray, count: int = 16
) -> np.ndarray:
    """Positions of at most `count` wrong predictions, most confident first."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != np.asarray(y_true))
    confidence = probabilities[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")[:count]]


def worst_misclassified_grid(
    images: np.ndarray,
    y_true: np.ndarray,
    probabilities: np.ndarray,
    class_names: Sequence[str],
    path: Path,
    count: int = 16,
) -> Path:
    """The `count` most confidently wrong `images`, each titled "true → predicted (p)"."""
    worst = worst_misclassified(y_true, probabilities, count)
    predicted = probabilities.argmax(axis=1)
    titles = [
        f"{class_names[y_true[i]]} → {class_names[predicted[i]]} ({probabilities[i].max():.2f})"
        for i in worst
    ]
    title = "Most confidently wrong test images: true → predicted (probability)"
    return _picture_grid([images[i] for i in worst], titles, path, columns=8, title=title)


# --------------------------------------------------------------------------------------------
# Grad-CAM
# --------------------------------------------------------------------------------------------


def last_conv_layer(model: keras.Model) -> str:
    """The layer Grad-CAM reads: the last convolution, or the last layer after it whose
    output is a 4-D feature map of the same size (its batch norm or activation, a residual
    add) — the map just before global pooling or flattening; a pooling layer that shrinks it
    is not taken. Searches inside nested sub-models: their layers are named "sub/layer"."""
    found, size = None, None
    for name, layer in _walk(model):
        shape = _output_shape(layer)
        if shape is None or len(shape) != 4:
            continue
        if isinstance(layer, CONVOLUTIONS) or (found and shape[1:3] == size):
            found, size = name, shape[1:3]
    if found is None:
        raise ValueError(f"model {model.name!r} has no 2-D convolution to compute Grad-CAM on.")
    return found


def gradcam_heatmap(
    model: keras.Model,
    image: np.ndarray,
    class_index: int | None = None,
    layer_name: str | None = None,
) -> np.ndarray:
    """Grad-CAM of one `image` (as the model takes it) for `class_index` (default: the
    predicted class), on `layer_name` (default: `last_conv_layer`). Returns a
    (height, width) map in [0, 1], resized to the image; all zeros when no part of the
    feature map speaks for the class."""
    layer = get_layer(model, layer_name or last_conv_layer(model))
    classes = None if class_index is None else [class_index]
    return _gradcam(model, layer, np.asarray(image, dtype="float32")[None], classes)[0]


def gradcam_overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4) -> np.ndarray:
    """The heatmap in the jet colormap, resized to `image` and blended over it:
    (height, width, 3) in [0, 1]. `image` may hold 0..255 or [0, 1] pixels, gray or colour."""
    picture = _displayable(image)
    if picture.ndim == 2:
        picture = np.repeat(picture[..., None], 3, axis=-1)
    heatmap = np.asarray(heatmap, dtype="float32")
    if heatmap.shape != picture.shape[:2]:
        heatmap = tf.image.resize(heatmap[..., None], picture.shape[:2]).numpy()[..., 0]
    levels = np.uint8(np.clip(heatmap, 0.0, 1.0) * 255)
    jet = matplotlib.colormaps["jet"](levels)[..., :3]
    overlay = picture + alpha * jet  # then scaled back to [0, 1], as keras.io's array_to_img
    return (overlay / overlay.max()).astype("float32")


def gradcam_grid(
    model: keras.Model,
    images: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    path: Path,
    count: int = 8,
    layer_name: str | None = None,
    probabilities: np.ndarray | None = None,
) -> Path:
    """The first `count` images (true class above) over their Grad-CAM overlays for the
    predicted class ("→ predicted (p)" above). `probabilities`: the model's for `images`,
    when already predicted (another batch shape would trace the predict step again)."""
    images = np.asarray(images[:count], dtype="float32")
    layer_name = layer_name or last_conv_layer(model)
    if probabilities is None:
        probabilities = _class_probabilities(model.predict_on_batch(images))
    probabilities = probabilities[: len(images)]
    predicted = probabilities.argmax(axis=1)
    heatmaps = _gradcam(model, get_layer(model, layer_name), images, predicted)
    overlays = [gradcam_overlay(i, h) for i, h in zip(images, heatmaps, strict=True)]
    titles = [f"true {class_names[label]}" for label in labels[: len(images)]]
    titles += [
        f"→ {class_names[c]} ({p[c]:.2f})" for c, p in zip(predicted, probabilities, strict=True)
    ]
    title = f"Grad-CAM on {layer_name}: evidence for the predicted class"
    return _picture_grid([*images, *overlays], titles, path, len(images), title)


def _gradcam(
    model: keras.Model,
    layer: layers.Layer,
    images: np.ndarray,
    class_indices: Sequence[int] | None = None,
) -> np.ndarray:
    """keras.io's Grad-CAM for a batch: the layer's channels weighted by the mean gradient of
    each image's class score (its logit), summed, ReLU, resized (bilinear), divided by the
    maximum."""
    images = tf.convert_to_tensor(images, dtype="float32")
    with _recording([layer]) as recorded, _logits(model) as logits, tf.GradientTape() as tape:
        tape.watch(images)  # frozen (non-trainable) layers are recorded too
        scores = _class_scores(model(images, training=False), logits)
        if class_indices is None:
            class_indices = tf.argmax(scores, axis=-1)
        chosen = tf.gather(scores, tf.cast(class_indices, "int32"), axis=1, batch_dims=1)
    (feature_maps,) = recorded
    gradients = tape.gradient(chosen, feature_maps)
    if gradients is None:
        raise ValueError(f"the class scores do not depend on layer {layer.name!r}.")
    feature_maps = tf.cast(feature_maps, "float32")
    weights = tf.reduce_mean(tf.cast(gradients, "float32"), axis=(1, 2), keepdims=True)
    heatmaps = tf.nn.relu(tf.reduce_sum(feature_maps * weights, axis=-1))
    heatmaps = tf.image.resize(heatmaps[..., None], images.shape[1:3])[..., 0]
    peak = tf.reduce_max(heatmaps, axis=(1, 2), keepdims=True)
    return np.clip((heatmaps / tf.where(peak > 0, peak, 1.0)).numpy(), 0.0, 1.0)


def _class_scores(outputs: tf.Tensor, logits: bool) -> tf.Tensor:
    """(batch, classes) scores to differentiate: logits, or log-probabilities when the head
    could not be switched to logits. One sigmoid unit z scores the two classes as (-z, z)."""
    outputs = tf.cast(outputs, "float32")
    if outputs.shape[-1] == 1:
        if logits:
            return tf.concat([-outputs, outputs], axis=-1)
        outputs = tf.concat([1.0 - outputs, outputs], axis=-1)
    return outputs if logits else tf.math.log(outputs + 1e-7)


@contextlib.contextmanager
def _logits(model: keras.Model) -> Iterator[bool]:
    """keras.io's `model.layers[-1].activation = None`, undone on exit: yields True while
    the output layer's softmax or sigmoid is off, False if the head has neither."""
    head = model.layers[-1]
    while isinstance(head, keras.Model):
        head = head.layers[-1]
    activation = getattr(head, "activation", None)
    if activation not in (keras.activations.softmax, keras.activations.sigmoid):
        yield False
        return
    head.activation = keras.activations.linear
    try:
        yield True
    finally:
        head.activation = activation


# --------------------------------------------------------------------------------------------
# Filters and intermediate activations
# --------------------------------------------------------------------------------------------


def first_layer_filters(model: keras.Model, path: Path) -> Path:
    """The first Conv2D's kernels as a grid, one tile per filter, each scaled to [0, 1];
    in colour for 3 input channels, gray for 1 (other counts: their mean, in gray)."""
    convolution = next((la for _, la in _walk(model) if isinstance(la, layers.Conv2D)), None)
    if convolution is None:
        raise ValueError(f"model {model.name!r} has no Conv2D layer.")
    kernel = keras.ops.convert_to_numpy(convolution.kernel).astype("float32")
    if kernel.shape[2] not in (1, 3):
        kernel = kernel.mean(axis=2, keepdims=True)
    filters = np.moveaxis(kernel, -1, 0)  # (filters, height, width, input channels)
    low = filters.min(axis=(1, 2, 3), keepdims=True)
    high = filters.max(axis=(1, 2, 3), keepdims=True)
    filters = (filters - low) / np.where(high > low, high - low, 1.0)
    return save_grid(path, tile(filters, columns=math.ceil(math.sqrt(len(filters)))))


def intermediate_activations(
    model: keras.Model,
    image: np.ndarray,
    path: Path,
    max_channels: int = 16,
    max_layers: int = 8,
) -> Path:
    """One row per convolution (at most `max_layers`, evenly spaced) of its first
    `max_channels` feature maps for one `image` (as the model takes it), each map scaled to
    [0, 1] on its own, in viridis."""
    convolutions = [(name, la) for name, la in _walk(model) if isinstance(la, CONVOLUTIONS)]
    if not convolutions:
        raise ValueError(f"model {model.name!r} has no 2-D convolution.")
    if len(convolutions) > max_layers:
        picks = np.linspace(0, len(convolutions) - 1, max_layers).round().astype(int)
        convolutions = [convolutions[k] for k in picks]
    with _recording([la for _, la in convolutions]) as recorded:
        model(np.asarray(image, dtype="float32")[None], training=False)
    grids, titles = [], []
    for (name, _), output in zip(convolutions, recorded, strict=True):
        maps = keras.ops.convert_to_numpy(output)[0].astype("float32")  # (height, width, c)
        shown = np.moveaxis(maps[..., :max_channels], -1, 0)[..., None]
        low = shown.min(axis=(1, 2, 3), keepdims=True)
        high = shown.max(axis=(1, 2, 3), keepdims=True)
        shown = (shown - low) / np.where(high > low, high - low, 1.0)
        grids.append(tile(shown, columns=min(len(shown), 8))[..., 0])
        titles.append(
            f"{name}: {maps.shape[0]}×{maps.shape[1]}, {len(shown)} of {maps.shape[-1]} channels"
        )
    ratios = [grid.shape[0] / grid.shape[1] for grid in grids]
    figure, axes = plt.subplots(
        len(grids),
        1,
        figsize=(8, sum(8 * r + 0.5 for r in ratios)),
        squeeze=False,
        gridspec_kw={"height_ratios": ratios},
    )
    for axis, grid, title in zip(axes[:, 0], grids, titles, strict=True):
        axis.imshow(grid, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
        axis.set_title(title, fontsize=9)
        axis.set_xticks([])
        axis.set_yticks([])
        axis.axis("off")
    figure.suptitle("Feature maps of each convolution for one test image")
    return _save(figure, path)


# --------------------------------------------------------------------------------------------
# TensorBoard, the whole report, and `cookbook gradcam`
# --------------------------------------------------------------------------------------------


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
        probabilities = _class_probabilities(np.asarray(outputs, dtype="float32"))
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


def gradcam_files(
    model: keras.Model | str | Path,
    image_paths: Sequence[str | Path],
    output_dir: Path,
    class_names: Sequence[str] | None = None,
) -> list[Path]:
    """`cookbook gradcam RUN IMAGE...`: for each image file (or folder of them), the picture
    beside its Grad-CAM overlay, titled with the predicted class, as
    `output_dir/<stem>.gradcam.png`. `model` is a loaded model or a run folder (its
    best.keras and labels.txt). Images are decoded and resized as in training and prediction
    (`FileSet.load`: 0..255), then divided by 255 unless the model's first layer rescales
    0..255 pixels itself (a model trained on files)."""
    from common.serving.predict import check_readable, image_files

    if not isinstance(model, keras.Model):
        from common.serving.inference import finished
        from common.training.runs import read_labels

        run_dir, _, _, model = finished(str(model))
        class_names = class_names or read_labels(run_dir)
    for path in map(Path, image_paths):
        if not path.exists():
            raise UserError(f"not found: {path}")
    files = image_files([Path(p) for p in image_paths])
    check_readable(files)
    height, width, channels = model.inputs[0].shape[1:]
    layer_name = last_conv_layer(model)
    written = []
    for file in files:
        size = (height, width) if height and width else keras.utils.load_img(file).size[::-1]
        image = FileSet(np.asarray([str(file)]), "image", size, channels).load(str(file))
        image = image.numpy() if _rescales(model) else image.numpy() / 255.0
        probabilities = _class_probabilities(model.predict_on_batch(image[None]))[0]
        predicted = int(probabilities.argmax())
        heatmap = gradcam_heatmap(model, image, predicted, layer_name)
        label = class_names[predicted] if class_names else str(predicted)
        titles = [file.name, f"{label} ({probabilities[predicted]:.2f})"]
        path = Path(output_dir) / f"{file.stem}.gradcam.png"
        title = f"Grad-CAM on {layer_name}"
        written.append(
            _picture_grid([image, gradcam_overlay(image, heatmap)], titles, path, 2, title)
        )
    return written


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def get_layer(model: keras.Model, name: str) -> layers.Layer:
    """A layer by name, or by path through nested models: "backbone/conv5_block3_out"."""
    layer = model
    for part in name.split("/"):
        layer = layer.get_layer(part)
    return layer


def _walk(model: keras.Model, prefix: str = "") -> Iterator[tuple[str, layers.Layer]]:
    """(path, layer) for every layer in graph order, nested models' layers in their place."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _walk(layer, f"{prefix}{layer.name}/")
        elif not isinstance(layer, layers.InputLayer):
            yield prefix + layer.name, layer


def _output_shape(layer: layers.Layer) -> tuple | None:
    try:
        output = layer.output
    except (AttributeError, ValueError):  # never called, or called more than once
        return None
    return None if isinstance(output, (list, tuple, dict)) else tuple(output.shape)


def _rescales(model: keras.Model) -> bool:
    """Whether the model takes 0..255 pixels: its first layer is a Rescaling that brings them
    to [0, 1] or [-1, 1] (not, say, a backbone's Rescaling(255) of [0, 1] inputs)."""
    first = next((layer for _, layer in _walk(model)), None)
    if not isinstance(first, layers.Rescaling):
        return False
    return bool(np.all(np.abs(np.asarray(first.scale, dtype="float64")) * 255.0 <= 2.0 + 1e-6))


@contextlib.contextmanager
def _recording(targets: list[layers.Layer]) -> Iterator[list]:
    """While open, each target layer's first output in a forward pass is recorded into the
    yielded list (by position); the layers' own `call` is restored on exit."""
    recorded: list = [None] * len(targets)
    for position, layer in enumerate(targets):

        def call(*args, _call=layer.call, _position=position, **kwargs):
            output = _call(*args, **kwargs)
            if recorded[_position] is None:
                recorded[_position] = output
            return output

        layer.call = call
    try:
        yield recorded
    finally:
        for layer in targets:
            del layer.call


def _class_probabilities(outputs: Any) -> np.ndarray:
    """(n, classes) probabilities; one sigmoid unit p becomes the two columns (1 - p, p)."""
    outputs = np.asarray(outputs, dtype="float32").reshape(len(outputs), -1)
    if outputs.shape[1] == 1:
        return np.concatenate([1.0 - outputs, outputs], axis=1)
    return outputs


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
            _class_probabilities(predict_batch(model, batch, batch_size))
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


def _displayable(image: np.ndarray) -> np.ndarray:
    """[0, 1] pixels to show: 0..255 input is divided by 255; one channel becomes 2-D."""
    picture = np.asarray(image, dtype="float32")
    if picture.max(initial=0.0) > 1.0:
        picture = picture / 255.0
    picture = np.clip(picture, 0.0, 1.0)
    if picture.ndim == 3 and picture.shape[-1] == 1:
        return picture[..., 0]
    return picture[..., :3] if picture.ndim == 3 else picture


def _picture_grid(
    pictures: Sequence[np.ndarray], titles: Sequence[str], path: Path, columns: int, title: str
) -> Path:
    """Images on a grid of `columns`, each with a small title (gray for one channel), drawn
    on one axes whose units are inches: a figure of one small axes per image took a second to
    lay out and save, this a tenth of that."""
    columns = max(1, min(columns, len(pictures)))
    rows = max(1, math.ceil(len(pictures) / columns))
    cell_width, cell_height, title_band, top = 1.9, 2.0, 0.3, 0.5
    width, height = cell_width * columns, cell_height * rows
    figure = plt.figure(figsize=(width, height + top))
    axis = figure.add_axes((0.0, 0.0, 1.0, height / (height + top)))
    for index, (picture, name) in enumerate(zip(pictures, titles, strict=False)):
        shown = _displayable(picture)
        row, column = divmod(index, columns)
        left, upper = column * cell_width, row * cell_height  # y grows downwards
        box_width, box_height = cell_width - 0.15, cell_height - title_band - 0.1
        scale = min(box_width / shown.shape[1], box_height / shown.shape[0])
        shown_width, shown_height = shown.shape[1] * scale, shown.shape[0] * scale
        x0 = left + (cell_width - shown_width) / 2
        y0 = upper + title_band + (box_height - shown_height) / 2
        axis.imshow(
            shown,
            cmap="gray" if shown.ndim == 2 else None,
            vmin=0,
            vmax=1,
            interpolation="nearest",
            extent=(x0, x0 + shown_width, y0 + shown_height, y0),
        )
        axis.text(left + cell_width / 2, upper + title_band - 0.05, name, ha="center",
                  va="bottom", fontsize=8)  # fmt: skip
    if not len(pictures):
        axis.text(width / 2, height / 2, "none", ha="center", va="center", fontsize=14)
    axis.set_xlim(0, width)
    axis.set_ylim(height, 0)
    axis.set_aspect("auto")
    axis.axis("off")
    figure.suptitle(title, fontsize=10, y=1 - 0.15 / (height + top))
    return _save(figure, path, tight=False)


def _save(figure: Any, path: Path, tight: bool = True) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if tight:
        figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
