"""
Title: Image segmentation with a U-Net
Why: segmentation labels every pixel, not the image: the network must say what is there *and*
where its edges run. A U-Net's encoder pools the image down to features that know what a
region is; its decoder upsamples them back to full size, and skip connections hand each
decoder level the encoder's features of the same size, so the edges come back sharp. The head
is a 1x1 convolution with a softmax over the classes at every pixel, trained with sparse
categorical cross-entropy per pixel: a classifier applied height x width times.

Where the ideas come from: Ronneberger et al., 2015 (U-Net), keras.io "Image segmentation
with a U-Net-like architecture" (Oxford Pets, trimaps as classes 0, 1, 2), "Deep Learning with
Python", ch. 9, and the U-Net of deeplearning.ai's convolutional course.

    model.depth: 3          the image is halved 3 times (48 -> 6), and doubled back
    model.filters: 8        at the first level, doubled per level down
    model.upsampling: transpose | bilinear

Judged by mean IoU (intersection over union, per class, averaged: Keras' `MeanIoU`) and pixel
accuracy, against the baseline that calls every pixel the training masks' most frequent class
(background): on scenes that are 94% background its pixel accuracy is 0.94, but its mean IoU is
below 0.1. metrics.json adds each class's IoU (`per_class_iou`). Pictures: predictions.png
(test images | true masks | predicted masks) and predictions/epoch_NNN.png on validation
images (also in TensorBoard's Images tab). `cookbook predict RUN a.png --output DIR` writes a
mask PNG of class indices and a coloured overlay per image, at the image's own size.

Default data: scenes of scikit-learn's digits (`digit_scenes`, offline: 1-3 digits on a noisy
48x48 canvas, pixel label = digit + 1). Your own: `data.dataset=mask_folder` (images/ and
masks/); segmentation-pets.yaml: Oxford-IIIT Pets as keras.io reads it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers

from common.config.run_info import RunInfo
from common.config.schema import DataConfig, TrainerConfig
from common.data import masks, pipeline
from common.data.dataset import Dataset
from common.data.files import IMAGE_SUFFIXES, FileSet
from common.data.splits import Split
from common.errors import ConfigError, UserError
from common.modeling import predicting, unet
from common.reporting import images, run_files, segmentation
from common.training.defaults import default_make_dataset
from recipes.options.segmentation import Options

TASK = "segmentation"
KEY_METRIC = "mean_iou"  # what the verdict judges a segmentation by
PREDICT_BATCH = 32  # images per step of `cookbook predict`


# --------------------------------------------------------------------------------------------
# Model: pixels in, a softmax over the classes for every pixel out
# --------------------------------------------------------------------------------------------


def class_counts(masks_part: Any, num_classes: int) -> np.ndarray:
    """Pixels per class in the masks: an array of masks, or mask files (counted when indexed)."""
    if isinstance(masks_part, masks.MaskFiles):
        counts = masks_part.counts.sum(axis=0)
    else:
        counts = np.bincount(np.asarray(masks_part).ravel(), minlength=num_classes)
    return np.pad(counts, (0, num_classes - len(counts))).astype("float64")


def build_model(split: Split, options: Options) -> keras.Model:
    height, width, channels = split.x_train.shape[1:]
    halving = 2**options.depth
    if height % halving or width % halving:
        raise ConfigError(
            "data.image_size",
            f"a U-Net of depth {options.depth} halves the image {options.depth} times: "
            f"{height}x{width} must be divisible by {halving}; resize (e.g. "
            f"[{height // halving * halving or halving}, {width // halving * halving or halving}]) "
            "or lower model.depth.",
        )
    inputs = keras.Input(shape=(height, width, channels), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inputs)  # pixels as decoded from files
    x = unet.unet(
        x,
        options.depth,
        options.filters,
        upsampling=options.upsampling,
        batch_norm=options.batch_norm,
        dropout=options.dropout,
    )
    # Start at the baseline: every pixel gets the log-prior of the classes in training masks.
    prior = class_counts(split.y_train, split.num_classes) + 1.0
    outputs = layers.Conv2D(
        split.num_classes,
        1,
        activation="softmax",
        bias_initializer=keras.initializers.Constant(np.log(prior / prior.sum()).tolist()),
        dtype="float32",
        name="pixel_probabilities",
    )(x)
    return keras.Model(inputs, outputs, name="unet")


# --------------------------------------------------------------------------------------------
# Training: per-pixel cross-entropy; scored by pixel accuracy and mean IoU
# --------------------------------------------------------------------------------------------


def make_dataset(x, y, data: DataConfig, training: bool, seed: int, options: Any):
    """Arrays as every in-memory source; image and mask files decoded pair by pair."""
    if isinstance(x, FileSet):
        shuffle = training and data.shuffle
        return masks.mask_dataset(
            x, y, data.batch_size, shuffle=shuffle, seed=seed, cache=bool(data.cache)
        )
    return default_make_dataset(x, y, data, training, seed, options)


def segmentation_metrics(num_classes: int) -> list[keras.metrics.Metric]:
    return [
        keras.metrics.SparseCategoricalAccuracy(name="pixel_accuracy"),
        keras.metrics.MeanIoU(num_classes, name="mean_iou", sparse_y_pred=False),
    ]


def compile_model(model: keras.Model, optimizer, trainer: TrainerConfig) -> None:
    model.compile(
        optimizer=optimizer,
        loss=trainer.loss or "sparse_categorical_crossentropy",
        metrics=segmentation_metrics(model.output_shape[-1]),
        jit_compile=trainer.jit_compile,
        steps_per_execution=trainer.steps_per_execution,
    )


def baseline(split: Split, x, y, trainer: TrainerConfig) -> dict[str, float]:
    """Every pixel the most frequent class of the training masks (background), its loss that
    of predicting the training pixels' class frequencies everywhere; scored like the model,
    batch by batch."""
    prior = class_counts(split.y_train, split.num_classes)
    prior = (prior / prior.sum()).astype("float32")
    loss_function = keras.losses.get(trainer.loss or "sparse_categorical_crossentropy")
    metrics = segmentation_metrics(split.num_classes)
    majority = np.eye(split.num_classes, dtype="float32")[int(np.argmax(prior))]
    total, count = 0.0, 0
    data = DataConfig(batch_size=64, shuffle=False, cache=False)
    for _, truth in make_dataset(x, y, data, False, 0, None).as_numpy_iterator():
        shape = (*truth.shape, split.num_classes)
        total += float(np.sum(loss_function(truth, np.broadcast_to(prior, shape))))
        count += truth.size
        for metric in metrics:
            metric.update_state(truth, np.broadcast_to(majority, shape))
    results = {metric.name: float(metric.result()) for metric in metrics}
    return {"loss": total / count, **results}


# --------------------------------------------------------------------------------------------
# Looking at results: image | truth | prediction, per-class IoU, masks for new images
# --------------------------------------------------------------------------------------------


def first_examples(x, y, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` images (0..255) and masks of a part, decoded if they are files."""
    if isinstance(x, FileSet):
        batch = next(masks.mask_dataset(x[:count], y[:count], count).as_numpy_iterator())
        return batch
    return np.asarray(x[:count]), np.asarray(y[:count])


def predicted_masks(model: keras.Model, pixels) -> np.ndarray:
    """Each pixel's most probable class, for images (an array or batches), batch by batch.
    The model is called directly: under a strategy, `predict_on_batch` splits a short batch
    over the replicas."""
    return np.concatenate(
        [
            np.argmax(keras.ops.convert_to_numpy(model(batch, training=False)), axis=-1)
            for batch in predicting.batches_of(pixels, PREDICT_BATCH)
        ]
    ).astype("uint8")


def comparison_grid(model: keras.Model, pixels: np.ndarray, truths: np.ndarray) -> np.ndarray:
    tiles = segmentation.comparison(pixels, truths, predicted_masks(model, pixels))
    return images.tile(tiles, 3, min_size=96)  # small scenes enlarged to stay visible


def callbacks(run: RunInfo, split: Split) -> list[keras.callbacks.Callback]:
    if not run.options.pictures:
        return []
    x, y = (split.x_val, split.y_val) if split.has_validation else (split.x_train, split.y_train)
    pixels, truths = first_examples(x, y, min(run.options.pictures, 4))
    log_dir = run.dir / "logs" / "images" if run.output.tensorboard.enabled else None
    return [
        images.ImageGrid(
            lambda model: comparison_grid(model, pixels, truths),
            run.dir / "predictions" / "epoch_{epoch:03d}.png",
            log_dir,
            tag="predictions",
        )
    ]


def iou_per_class(truths: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """IoU of each class from the confusion matrix (NaN for a class in neither)."""
    confusion = np.bincount(
        truths.astype("int64").ravel() * num_classes + predictions.astype("int64").ravel(),
        minlength=num_classes**2,
    ).reshape(num_classes, num_classes)
    hits = np.diag(confusion).astype("float64")
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - hits
    with np.errstate(invalid="ignore", divide="ignore"):
        return hits / union


def report(model: keras.Model, dataset: Dataset, run: RunInfo, test) -> dict:
    names = dataset.class_names
    if test is not None:
        truths, predictions = test.targets, np.argmax(test.outputs, axis=-1)
    else:  # scored by Keras' evaluate (several replicas): predict the test split again
        batches = make_dataset(dataset.x_test, dataset.y_test, run.data, False, 0, None)
        parts = [
            (truth, predicted_masks(model, pixels)) for pixels, truth in batches.as_numpy_iterator()
        ]
        truths, predictions = (np.concatenate(part) for part in zip(*parts, strict=True))
    per_class = iou_per_class(truths, predictions, len(names))
    shown = {name: round(float(v), 4) for name, v in zip(names, per_class, strict=True)}
    print("IoU per class: " + "  ".join(f"{n} {v:.3f}" for n, v in shown.items()))
    if run.output.plot and run.options.pictures:
        pixels, truths = first_examples(dataset.x_test, dataset.y_test, run.options.pictures)
        images.save_grid(run.dir / "predictions.png", comparison_grid(model, pixels, truths))
    return {"per_class_iou": {n: (None if np.isnan(v) else v) for n, v in shown.items()}}


def image_paths(inputs: list[str]) -> list[Path]:
    """Image files, folders expanded (sorted, recursively)."""
    found = []
    for path in map(Path, inputs):
        if not path.exists():
            raise UserError(f"not found: {path}")
        inside = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        found += inside if path.is_dir() else [path]
        if path.is_dir() and not inside:
            raise UserError(f"{path} holds no images ({', '.join(IMAGE_SUFFIXES)}).")
    return found


def predict_files(run_dir: Path, model: keras.Model, inputs: list[str], output: str | None) -> str:
    """`cookbook predict RUN a.png ... --output DIR`: for each image, DIR/<name>_mask.png (class
    indices, 8-bit grayscale, the image's own size) and DIR/<name>_overlay.png (the image
    tinted by class); default DIR: RUN/predictions/. Prints one CSV row per image: its files
    and the share of its pixels in each class."""
    from PIL import Image, UnidentifiedImageError  # lazy: only predicting from files reads them

    paths = image_paths(inputs)
    folder = Path(output) if output else run_dir / "predicted_masks"
    if (folder.exists() and not folder.is_dir()) or folder.resolve() in {
        p.resolve() for p in paths
    }:
        raise UserError(f"--output {folder} must be a folder for the masks, not a file.")
    sizes = []
    for path in paths:
        try:
            with Image.open(path) as image:
                sizes.append(image.size)
        except (UnidentifiedImageError, OSError):
            raise UserError(f"{path} cannot be read as an image.") from None
    height, width, channels = model.inputs[0].shape[1:]
    files = FileSet(np.asarray([str(p) for p in paths]), "image", (height, width), channels)
    labels = run_files.read_labels(run_dir) or [str(k) for k in range(model.output_shape[-1])]
    folder.mkdir(parents=True, exist_ok=True)
    rows, used = [",".join(["input", "mask", "overlay", *labels])], set()
    for start in range(0, len(paths), PREDICT_BATCH):
        chunk = files[start : start + PREDICT_BATCH]
        pixels = pipeline.make_dataset(chunk, None, PREDICT_BATCH)
        for offset, mask in enumerate(predicted_masks(model, pixels)):
            path, size = paths[start + offset], sizes[start + offset]
            mask = np.asarray(Image.fromarray(mask, "L").resize(size, Image.Resampling.NEAREST))
            stem = path.stem if path.stem not in used else f"{path.stem}_{start + offset}"
            used.add(stem)
            mask_path, overlay_path = folder / f"{stem}_mask.png", folder / f"{stem}_overlay.png"
            Image.fromarray(mask, "L").save(mask_path)
            with Image.open(path) as original:
                pixels_in = np.asarray(original.convert("RGB"), dtype="float32")
            tinted = segmentation.overlay(pixels_in, mask)
            Image.fromarray((tinted * 255).astype("uint8"), "RGB").save(overlay_path)
            shares = np.bincount(mask.ravel(), minlength=len(labels)) / mask.size
            rows.append(
                ",".join(
                    [str(path), str(mask_path), str(overlay_path)]
                    + [f"{s:.4f}" for s in shares[: len(labels)]]
                )
            )
    text = "\n".join(rows) + "\n"
    sys.stdout.write(text)
    print(f"{len(paths)} masks and overlays -> {folder}", file=sys.stderr)
    return text
