"""Image recipes against the plain keras.io-style script of the same model and data: images
per second in steady state, and where augmentation runs fastest on this machine.

Steady state: each is timed for a short and a longer run, and the difference divided by the
extra epochs — start-up, tracing and the first epoch's caching cancel out; what remains is an
epoch as the run really pays for it (for the cookbook, with its backups, history, TensorBoard
and checkpoint callbacks).
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import keras
from keras import layers

from common.config import load_config
from common.data import catalogue, splits
from common.modeling import vision
from common.training.driver import train

SHORT, LONG = 2, 6  # epochs


def _seconds(function: Callable[[], None]) -> float:
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        function()
    keras.backend.clear_session(free_memory=True)
    return time.perf_counter() - started


def images_per_second(
    runs: list[Callable[[int], None]], examples: int, repeats: int
) -> list[float]:
    """Training images per second in steady state for each of `runs`, measured interleaved
    (a, b, a, b, ...) so that whatever else the machine does falls on both alike."""
    per_epoch: list[list[float]] = [[] for _ in runs]
    for _ in range(repeats):
        for index, run in enumerate(runs):
            short, long = _seconds(lambda r=run: r(SHORT)), _seconds(lambda r=run: r(LONG))
            per_epoch[index].append((long - short) / (LONG - SHORT))
    return [examples / statistics.median(times) for times in per_epoch]


def _cookbook(name: str, output: Path, *overrides: str) -> Callable[[int], None]:
    def run(epochs: int) -> None:
        train(
            load_config(
                name,
                [
                    "trainer.verbose=0",
                    "trainer.early_stopping.enabled=false",
                    "output.plot=false",
                    f"output.dir={output}",
                    f"trainer.epochs={epochs}",
                    *overrides,
                ],
            )
        )

    return run


def _data(name: str):
    config = load_config(name)
    dataset = catalogue.load(config.data, config.seed, stratify=True)
    return config, dataset, splits.holdout(dataset, config.data, config.seed, stratify=True)


def _augmentation(config) -> keras.Layer:
    """The same random layers as the config's (a plain script would write them out too)."""
    return vision.augmentation(config.model.augment) or layers.Identity()


def _fit(model, config, dataset, split, path: Path, epochs: int, callbacks=()) -> None:
    """compile, fit, evaluate, save — what a keras.io example does with its model."""
    model.compile(
        keras.optimizers.Adam(config.optimizer.learning_rate),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(
        split.x_train,
        split.y_train,
        batch_size=config.data.batch_size,
        epochs=epochs,
        validation_data=(split.x_val, split.y_val) if split.has_validation else None,
        callbacks=list(callbacks),
        verbose=0,
    )
    model.evaluate(dataset.x_test, dataset.y_test, verbose=0)
    model.save(path)


def plain_convnet(output: Path) -> tuple[Callable[[int], None], int]:
    """keras.io "Simple MNIST convnet" as one writes it, with the default config's layers."""
    config, dataset, split = _data("convnet")
    options = config.model

    def run(epochs: int) -> None:
        keras.utils.set_random_seed(config.seed)
        inputs = keras.Input(shape=split.x_train.shape[1:])
        x = _augmentation(config)(inputs)
        for filters in options.filters:
            for _ in range(options.convolutions):
                x = layers.Conv2D(filters, 3, padding="same", use_bias=not options.batch_norm)(x)
                if options.batch_norm:
                    x = layers.BatchNormalization()(x)
                x = layers.Activation("relu")(x)
            x = layers.MaxPooling2D()(x)
        x = layers.Dropout(options.dropout)(layers.Flatten()(x))
        outputs = layers.Dense(split.num_classes, activation="softmax")(x)
        model = keras.Model(inputs, outputs)
        _fit(model, config, dataset, split, output / "convnet.keras", epochs)

    return run, len(split.x_train)


def plain_resnet(output: Path) -> tuple[Callable[[int], None], int]:
    """The book's ResNet v1 script (Atienza, ch. 2), at the default config's depth."""
    config, dataset, split = _data("resnet")
    options = config.model

    def layer(x, filters, strides=1, activation="relu", kernel_size=3, batch_norm=True):
        x = layers.Conv2D(
            filters,
            kernel_size,
            strides=strides,
            padding="same",
            kernel_initializer="he_normal",
            kernel_regularizer=keras.regularizers.L2(options.l2),
        )(x)
        if batch_norm:
            x = layers.BatchNormalization()(x)
        return layers.Activation(activation)(x) if activation else x

    def run(epochs: int) -> None:
        keras.utils.set_random_seed(config.seed)
        inputs = keras.Input(shape=split.x_train.shape[1:])
        x = layer(_augmentation(config)(inputs), options.filters)
        filters = options.filters
        for stage in range(3):
            for block in range((options.depth - 2) // 6):
                strides = 2 if stage > 0 and block == 0 else 1
                y = layer(layer(x, filters, strides), filters, activation=None)
                if strides == 2:
                    x = layer(x, filters, strides, None, kernel_size=1, batch_norm=False)
                x = layers.Activation("relu")(layers.add([x, y]))
            filters *= 2
        x = layers.GlobalAveragePooling2D()(x)
        outputs = layers.Dense(split.num_classes, activation="softmax")(x)
        model = keras.Model(inputs, outputs)
        plateau = keras.callbacks.ReduceLROnPlateau(factor=0.316, patience=5)
        _fit(model, config, dataset, split, output / "resnet.keras", epochs, [plateau])

    return run, len(split.x_train)


def rows(scratch: Path, repeats: int) -> list[tuple[str, str, str, float]]:
    """(what, reference, measured, ratio of times = reference images/s over ours)."""
    results = []
    for name, plain in (("convnet", plain_convnet), ("resnet", plain_resnet)):
        script, examples = plain(scratch)
        theirs, ours = images_per_second([script, _cookbook(name, scratch)], examples, repeats)
        results.append(
            (
                f"{name} default, training images/s (steady state, median of {repeats})",
                f"plain keras.io-style script: {theirs:.0f}/s",
                f"cookbook train: {ours:.0f}/s",
                theirs / ours,
            )
        )
    examples = len(_data("convnet")[2].x_train)
    model, pipeline = images_per_second(
        [
            _cookbook("convnet", scratch),
            _cookbook("convnet", scratch, "model.augment.placement=pipeline"),
        ],
        examples,
        repeats,
    )
    results.append(
        (
            f"convnet augmentation placement, images/s (median of {repeats})",
            f"in the model: {model:.0f}/s",
            f"in the tf.data pipeline: {pipeline:.0f}/s",
            model / pipeline,
        )
    )
    return results
