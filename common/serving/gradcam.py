"""`cookbook gradcam RUN IMAGE...`: Grad-CAM of a finished image classifier over any images.

    gradcam_files("runs/convnet/latest", ["cat.png", "photos/"], Path("out"))
    # -> out/cat.gradcam.png, ...: each picture beside its heatmap, titled with its class

The pictures are drawn by `common.reporting.gradcam`; this module serves them for files the
user names, read as `cookbook predict` reads them, from a run folder's best model and class
names. It sits in serving because it loads a finished run the way serving does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from common.data.files import FileSet
from common.errors import UserError
from common.reporting.figures import picture_grid
from common.reporting.gradcam import gradcam_heatmap, gradcam_overlay, last_conv_layer
from common.reporting.probing import class_probabilities, rescales
from common.reporting.run_files import read_labels
from common.serving.inference import open_finished
from common.serving.inputs import check_readable, image_files, model_kind
from common.serving.predict import run_task

CLASSIFIES = ("binary", "multiclass")


def gradcam_files(
    model: keras.Model | str | Path,
    image_paths: Sequence[str | Path],
    output_dir: Path,
    class_names: Sequence[str] | None = None,
) -> list[Path]:
    """For each image file (or folder of them), the picture beside its Grad-CAM overlay,
    titled with the predicted class, as `output_dir/<stem>.gradcam.png`. `model` is a loaded
    model or a run folder (its best.keras and labels.txt). Images are decoded and resized as in
    training and prediction (`FileSet.load`: 0..255), then divided by 255 unless the model's
    first layer rescales 0..255 pixels itself (a model trained on files)."""
    if not isinstance(model, keras.Model):
        finished = open_finished(str(model))
        run_dir, model = finished.run_dir, finished.model
        check_image_classifier(finished)
        class_names = class_names or read_labels(run_dir)
    for path in map(Path, image_paths):
        if not path.exists():
            raise UserError(f"not found: {path}")
    if len(model.inputs) != 1 or len(model.inputs[0].shape) != 4:
        raise UserError(f"model {model.name!r} does not take images; Grad-CAM needs a convnet.")
    files = image_files([Path(p) for p in image_paths])
    height, width, channels = model.inputs[0].shape[1:]
    check_readable(files, channels)
    try:
        layer_name = last_conv_layer(model)
    except ValueError as error:
        raise UserError(f"{error} Grad-CAM needs a convnet (convnet, resnet, densenet).") from None
    written = []
    for file in files:
        size = (height, width) if height and width else keras.utils.load_img(file).size[::-1]
        image = FileSet(np.asarray([str(file)]), "image", size, channels).load(str(file))
        image = image.numpy() if rescales(model) else image.numpy() / 255.0
        probabilities = class_probabilities(model.predict_on_batch(image[None]))[0]
        predicted = int(probabilities.argmax())
        heatmap = gradcam_heatmap(model, image, predicted, layer_name)
        label = class_names[predicted] if class_names else str(predicted)
        titles = [file.name, f"{label} ({probabilities[predicted]:.2f})"]
        path = Path(output_dir) / f"{file.stem}.gradcam.png"
        title = f"Grad-CAM on {layer_name}"
        written.append(
            picture_grid([image, gradcam_overlay(image, heatmap)], titles, path, 2, title)
        )
    return written


def check_image_classifier(finished) -> None:
    """Grad-CAM explains an image classifier: a run on tables, texts or a series, or one
    that does not classify (an autoencoder, a GAN), is refused in one line."""
    kind = model_kind(finished.model, finished.config)
    task = run_task(finished.run_dir, finished.recipe.task)
    what = {"table": "a table", "text": "texts", "series": "a series", "rows": "rows of numbers"}
    run = f"{finished.run_dir} is a run of the {finished.config.recipe!r} recipe"
    if kind != "image":
        raise UserError(
            f"{run} on {what[kind]}; Grad-CAM shows where an image classifier looked: give it "
            "a convnet, resnet or densenet run."
        )
    if task not in CLASSIFIES:
        raise UserError(
            f"{run}, which does not classify images; Grad-CAM needs an image classifier "
            "(convnet, resnet, densenet)."
        )
