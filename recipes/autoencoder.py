"""
Title: Autoencoders — dense, convolutional and denoising
Why: an autoencoder learns without labels: an encoder squeezes each image into a short latent
vector and a decoder rebuilds the image from it, trained with the image itself as the target.
What the bottleneck keeps is what the data is mostly made of, so the latent space is a compact
description of the images (and, at size 2, a map you can plot).

Where the ideas come from: keras.io "Convolutional autoencoder for image denoising" (Conv2D
down, Conv2DTranspose up, sigmoid pixels), and "Deep Learning with Python", ch. 12. The
denoising variant (Vincent et al., 2008) adds Gaussian noise to the inputs while the targets
stay clean, so the network must learn the shape of a digit rather than copy pixels; here the
noise is Keras' `GaussianNoise` layer, active in training only, so every epoch sees new noise.

    model.architecture: dense   Flatten -> Dense(units...) -> Dense(latent_dim) and back
    model.architecture: conv    strided Conv2D(filters...) -> Dense(latent_dim) and back
                                through Conv2DTranspose, halving/doubling the size per layer
    model.noise_stddev: 0.2     > 0 makes it a denoising autoencoder

Judged against the baseline of predicting the mean training image for every test image, by
mean squared error per pixel. Artifacts beside the usual ones: reconstructions/ (a grid of
inputs over reconstructions per epoch, also in TensorBoard's Images tab), reconstructions.png
(test images), latent.png (the latent space coloured by label, PCA-projected when it has more
than two dimensions), and encoder.keras / decoder.keras to reuse on their own.

Default data: scikit-learn's 8x8 digits as images (offline). Variants: autoencoder-mnist.yaml
and autoencoder-fashion_mnist.yaml through keras.datasets (28x28).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers

from common.config.run_info import RunInfo
from common.config.schema import DataConfig, TrainerConfig
from common.data.dataset import Dataset
from common.data.splits import Split
from common.errors import ConfigError, unknown_name
from common.modeling import conv, predicting
from common.reporting import images, plots
from common.training.defaults import default_make_dataset

TASK = "autoencoder"
ARCHITECTURES = ("dense", "conv")
COLUMNS = 10  # examples per row of the reconstruction grids
GRID_EXAMPLES = 30  # three rows of inputs, each over its reconstructions


# --------------------------------------------------------------------------------------------
# Model: encoder -> latent vector -> decoder
# --------------------------------------------------------------------------------------------


def build_encoder(image_shape: tuple[int, ...], options) -> keras.Model:
    inputs = keras.Input(shape=image_shape, name="image")
    if options.architecture == "conv":
        x = conv.conv_stack(
            inputs, options.filters, options.kernel_size, name="conv", activation=options.activation
        )
        x = layers.Flatten(name="flatten")(x)
    else:
        x = layers.Flatten(name="flatten")(inputs)
        for index, units in enumerate(options.units, start=1):
            x = layers.Dense(units, activation=options.activation, name=f"dense_{index}")(x)
    latent = layers.Dense(options.latent_dim, name="latent")(x)
    return keras.Model(inputs, latent, name="encoder")


def build_decoder(image_shape: tuple[int, ...], options) -> keras.Model:
    height, width, channels = image_shape
    latent = keras.Input(shape=(options.latent_dim,), name="latent")
    if options.architecture == "conv":
        halvings = 2 ** len(options.filters)
        if height % halvings or width % halvings:
            raise ConfigError(
                "model.filters",
                f"{len(options.filters)} strided layers halve the {height}x{width} images "
                f"{len(options.filters)} times; use fewer, or images divisible by {halvings}.",
            )
        small = (height // halvings, width // halvings, options.filters[-1])
        x = layers.Dense(int(np.prod(small)), activation=options.activation, name="dense")(latent)
        x = layers.Reshape(small, name="reshape")(x)
        x = conv.conv_stack(
            x,
            options.filters[::-1],
            options.kernel_size,
            name="conv_transpose",
            transpose=True,
            activation=options.activation,
        )
        outputs = conv.image_output(x, channels, options.kernel_size)
    else:
        x = latent
        for index, units in enumerate(reversed(options.units), start=1):
            x = layers.Dense(units, activation=options.activation, name=f"dense_{index}")(x)
        x = layers.Dense(
            height * width * channels, activation="sigmoid", dtype="float32", name="pixels"
        )(x)
        outputs = layers.Reshape(image_shape, name="image")(x)
    return keras.Model(latent, outputs, name="decoder")


def build_model(split: Split, options) -> keras.Model:
    if options.architecture not in ARCHITECTURES:
        raise ConfigError(
            "model.architecture", unknown_name("architecture", options.architecture, ARCHITECTURES)
        )
    image_shape = split.x_train.shape[1:]
    if len(image_shape) != 3:
        raise ConfigError("data.image_layout", "an autoencoder needs images: set it to image.")
    encoder = build_encoder(image_shape, options)
    decoder = build_decoder(image_shape, options)

    inputs = keras.Input(shape=image_shape, name="image")
    x = inputs
    if options.noise_stddev:  # denoising: noisy inputs in training, clean targets
        x = layers.GaussianNoise(options.noise_stddev, name="noise")(x)
    outputs = decoder(encoder(x))
    name = "denoising_autoencoder" if options.noise_stddev else "autoencoder"
    return keras.Model(inputs, outputs, name=name)


# --------------------------------------------------------------------------------------------
# Training: the image is its own target; scored by pixel MSE against the mean training image
# --------------------------------------------------------------------------------------------


def make_dataset(
    x: np.ndarray, y: np.ndarray | None, data: DataConfig, training: bool, seed: int, options: Any
):
    """(image, image) pairs; the labels stay in the Dataset for the latent-space plot."""
    return default_make_dataset(x, x, data, training, seed, options)


def reconstruction_metrics() -> list[keras.metrics.Metric]:
    return [keras.metrics.MeanSquaredError(name="mse"), keras.metrics.MeanAbsoluteError(name="mae")]


def compile_model(model: keras.Model, optimizer, trainer: TrainerConfig) -> None:
    model.compile(
        optimizer=optimizer,
        loss=trainer.loss or "mean_squared_error",
        metrics=reconstruction_metrics(),
        jit_compile=trainer.jit_compile,
        steps_per_execution=trainer.steps_per_execution,
    )


def baseline_predictions(
    split: Split, x: np.ndarray, y: np.ndarray, trainer: TrainerConfig
) -> np.ndarray:
    """The mean training image, for every image."""
    mean_image = np.mean(split.x_train, axis=0, keepdims=True, dtype="float32")
    return np.broadcast_to(mean_image, x.shape)


def baseline(
    split: Split, x: np.ndarray, y: np.ndarray, trainer: TrainerConfig
) -> dict[str, float]:
    """Predict the mean training image for every image, scored like the model."""
    predictions = baseline_predictions(split, x, y, trainer)
    loss = keras.losses.get(trainer.loss or "mean_squared_error")
    results = {"loss": float(keras.ops.mean(loss(x, predictions)))}
    for metric in reconstruction_metrics():
        metric.update_state(x, predictions)
        results[metric.name] = float(metric.result())
    return results


# --------------------------------------------------------------------------------------------
# Looking at results: reconstruction grids, the latent space, the encoder and decoder on their own
# --------------------------------------------------------------------------------------------


def noisy(x: np.ndarray, stddev: float, seed: int) -> np.ndarray:
    """`x` with fixed Gaussian noise, as the denoising model sees its inputs in training."""
    if not stddev:
        return x
    return (x + np.random.default_rng(seed).normal(0.0, stddev, x.shape)).astype("float32")


def reconstruction_grid(model: keras.Model, inputs: np.ndarray) -> np.ndarray:
    """Rows of `COLUMNS` inputs, each row followed by the row of their reconstructions."""
    outputs = keras.ops.convert_to_numpy(model(inputs, training=False))
    rows = []
    for start in range(0, len(inputs), COLUMNS):
        rows += [inputs[start : start + COLUMNS], outputs[start : start + COLUMNS]]
    return images.tile(np.concatenate(rows), COLUMNS)


def callbacks(run: RunInfo, split: Split) -> list[keras.callbacks.Callback]:
    examples = split.x_val if split.has_validation else split.x_train
    inputs = noisy(examples[:GRID_EXAMPLES], run.options.noise_stddev, run.seed)
    log_dir = run.dir / "logs" / "images" if run.output.tensorboard.enabled else None
    return [
        images.ImageGrid(
            lambda model: reconstruction_grid(model, inputs),
            run.dir / "reconstructions" / "epoch_{epoch:03d}.png",
            log_dir,
            tag="reconstructions",
        )
    ]


def report(model: keras.Model, dataset: Dataset, run: RunInfo, test) -> dict:
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    encoder.save(run.dir / "encoder.keras")
    decoder.save(run.dir / "decoder.keras")

    stddev = run.options.noise_stddev
    x_test = dataset.x_test
    inputs = noisy(x_test, stddev, run.seed + 1)
    grid = reconstruction_grid(model, inputs[:GRID_EXAMPLES])
    images.save_grid(run.dir / "reconstructions.png", grid)
    latent = predicting.predict(encoder, x_test)
    plots.latent_plot(
        latent,
        dataset.y_test,
        dataset.class_names,
        run.dir / "latent.png",
        f"{run.name}: test images in the {latent.shape[1]}-D latent space",
    )

    mean_image = np.mean(dataset.x_train, axis=0, keepdims=True)
    baseline_mse = float(np.mean((x_test - mean_image) ** 2))
    reconstructions = predicting.predict(model, inputs)
    test_mse = float(np.mean((reconstructions - x_test) ** 2))
    result = {
        "inputs": "noisy" if stddev else "clean",
        "test_mse": test_mse,
        "mean_image_mse": baseline_mse,
        "improvement": 1.0 - test_mse / baseline_mse,
    }
    print(
        f"reconstruction MSE on {result['inputs']} test images: {test_mse:.4f} "
        f"(mean image: {baseline_mse:.4f}, {result['improvement']:.0%} better)"
    )
    return {"reconstruction": result}
