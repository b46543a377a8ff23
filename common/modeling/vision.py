"""What the image recipes share: raw pixels in, augmentation, and the augmentation's placement.

    inputs, x = vision.image_input(split, options)     # pixels -> [0, 1] -> random transforms

Augmentation is a `keras.Sequential` of Keras' random preprocessing layers, active in training
only. `model.augment.placement` puts it inside the model (the Keras default: it runs on the
same device as the model and is saved with it, inactive at inference) or maps it over training
batches in the tf.data pipeline (on the host CPU, in parallel with the training step). `auto`,
the default, is the model on TensorFlow (faster here: BENCHMARKS.md) and the pipeline on JAX
(`resolve_placement`). Recipes use `make_dataset` below as their hook.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from common.config.schema import DataConfig
from common.data import pipeline
from common.errors import ConfigError
from common.modeling import preprocessing
from common.modeling.options import AugmentOptions


def augmentation(options: AugmentOptions, name: str = "augmentation") -> keras.Sequential | None:
    """The configured random transformations (None when there are none)."""
    if not options.active:
        return None
    steps = []
    if options.flip:
        steps.append(layers.RandomFlip(options.flip))
    if options.rotation:
        steps.append(layers.RandomRotation(options.rotation))
    if options.zoom:
        steps.append(layers.RandomZoom(options.zoom))
    if options.translation:
        steps.append(layers.RandomTranslation(options.translation, options.translation))
    if options.contrast:
        steps.append(layers.RandomContrast(options.contrast))
    return keras.Sequential(steps, name=name)


def resolve_placement(options: AugmentOptions) -> str:
    """`auto` -> `model` on TensorFlow (in-model augmentation ran faster than a tf.data map on a
    2-core CPU), `pipeline` on other backends: Keras' RandomRotation, RandomZoom and
    RandomTranslation declare `supports_jit = False`, so inside the model they would make JAX
    run every training step op by op. The resolved value is kept (and so written to
    config.yaml)."""
    if options.placement == "auto":
        options.placement = "model" if keras.backend.backend() == "tensorflow" else "pipeline"
    return options.placement


def image_input(split, options) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The image input (pixels from files rescaled to [0, 1]) followed, when configured and
    placed in the model, by the augmentation."""
    if len(split.x_train.shape) != 4:
        raise keras_error(split.x_train.shape)
    inputs, x = preprocessing.image_input(split.x_train)
    transforms = augmentation(options.augment)
    if transforms is not None and resolve_placement(options.augment) == "model":
        x = transforms(x)
    return inputs, x


def keras_error(shape: tuple) -> Exception:
    return ConfigError(
        "data.image_layout",
        f"the image recipes need images (height, width, channels); the examples are "
        f"{shape[1:]}. Set data.image_layout=image, or use an image dataset.",
    )


def make_dataset(x, y: np.ndarray | None, data: DataConfig, training: bool, seed: int, options):
    """The recipes' `make_dataset` hook: the default pipeline, plus the augmentation mapped over
    training batches when `options.augment.placement` is `pipeline`."""
    dataset = pipeline.make_dataset(
        x,
        y,
        data.batch_size,
        shuffle=training and data.shuffle,
        seed=seed,
        cache=data.cache,
    )
    options = options.augment
    if not (training and resolve_placement(options) == "pipeline" and options.active):
        return dataset
    import tensorflow as tf  # lazy: only pipeline augmentation needs tf.data; not on JAX

    # Layer by layer, not through the Sequential: each of Keras' preprocessing layers computes
    # with TensorFlow inside tf.data whatever the backend; a Sequential would hand the graph
    # tensors to the backend's own ops (JAX cannot take them).
    steps = augmentation(options, name="pipeline_augmentation").layers

    def transform(images, labels):
        for step in steps:
            images = step(images, training=True)
        return images, labels

    return dataset.map(transform, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
