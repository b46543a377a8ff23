"""
Title: Variational autoencoder (and its conditional variant) on handwritten digits
Why: an autoencoder's latent space has holes: decode a point between two codes and you may get
noise. A VAE's encoder outputs a distribution instead of a point, a Gaussian with mean `z_mean`
and log-variance `z_log_var`; the decoder rebuilds the image from a sample of it, and the loss
adds to the reconstruction error the KL divergence of that Gaussian from the standard normal
prior. So codes crowd around the origin without overlapping, every region of the latent space
decodes to a plausible image, and new images are drawn by decoding samples of the prior.
`model.beta` weighs the KL term (a beta-VAE past 1: a smoother latent space, blurrier images).
With `model.conditional: true` (a CVAE) both networks also see the one-hot class, so the
latent holds the style and the label says which digit: `cookbook sample RUN --label 3`.

Where the ideas come from: Kingma & Welling, 2013 (the reparameterisation trick: z = z_mean +
exp(z_log_var / 2) * epsilon, so gradients flow through the sampling), keras.io "Variational
AutoEncoder" (its encoder, decoder, sampling layer and plots), "Advanced Deep Learning with
Keras" (Atienza), ch. 8 (beta-VAE, CVAE), "Deep Learning with Python", ch. 12.

The loss lives in the model's `compute_loss`, Keras 3's hook for a loss that needs more than
(y, y_pred): `call` returns the reconstruction with z_mean and z_log_var, so `fit()` trains it
on every backend with no custom train_step (keras.io's example writes one with a GradientTape,
and Keras 3 has no `model.add_loss` on symbolic tensors). The reconstruction term is keras.io's
binary cross-entropy summed over pixels, less the images' own entropy (a constant of the data:
the same gradients), so a perfect reconstruction scores 0 and the mean-image baseline can be
beaten by half: `reconstruction_loss`, `kl_loss` (nats per image) and `loss` in metrics.json,
beside the baseline of the mean training image, scored with the same reconstruction loss.

Artifacts: latent.png (test images' z_mean coloured by class; first two principal components
when the latent is larger), manifold.png (decoded points of a grid over the latent plane, as
keras.io plots it; for a CVAE one row per class), samples.png and samples/epoch_NNN.png
(decoded prior samples, one column per class when conditional), encoder.keras and
decoder.keras, and `quality` in metrics.json: the GAN's classifier-based score of 1,000 prior
samples (conditional accuracy for a CVAE).

Default data: scikit-learn's 8x8 digits (offline). Variants: vae-conditional.yaml (CVAE),
vae-mnist.yaml (28x28 MNIST through keras.datasets, keras.io's sizes).
"""

from __future__ import annotations

import math
import secrets
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers, ops
from keras.src.losses.loss import scale_loss_for_distribution  # what keras.losses' reductions do

from common.config.run_info import RunInfo
from common.config.schema import DataConfig, TrainerConfig
from common.data.dataset import Dataset
from common.data.splits import Split
from common.errors import ConfigError, UserError
from common.modeling import conv, predicting
from common.reporting import images, plots, run_files, samples
from common.training.defaults import default_make_dataset

TASK = "vae"
KEY_METRIC = "reconstruction_loss"  # what the verdict judges a VAE by (against the mean image)
MANIFOLD_POINTS = 15  # per side of the manifold grid
MANIFOLD_SCALE = 2.0  # the grid spans +-2 standard deviations of the latent plane


# --------------------------------------------------------------------------------------------
# Encoder -> (z_mean, z_log_var) -> sampling -> decoder
# --------------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="cookbook")
class Sampling(layers.Layer):
    """z = z_mean + exp(z_log_var / 2) * epsilon, epsilon ~ N(0, I): the reparameterisation
    trick, so the sample is a differentiable function of the encoder's outputs."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator()  # seeded by the run's `seed`

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def label_maps(label: keras.KerasTensor, image_shape: tuple[int, ...]) -> keras.KerasTensor:
    """The one-hot class as constant image channels (keras.io's conditional GAN)."""
    maps = layers.Reshape((1, 1, label.shape[-1]), name="label_pixel")(label)
    return layers.UpSampling2D(size=image_shape[:2], name="label_maps")(maps)


def build_encoder(image_shape: tuple[int, ...], num_classes: int | None, options) -> keras.Model:
    """Image [+ one-hot class] -> strided Conv2D stack -> Dense -> z_mean, z_log_var, z."""
    image = keras.Input(shape=image_shape, name="image")
    inputs, x = [image], image
    if num_classes:
        label = keras.Input(shape=(num_classes,), name="label")
        inputs.append(label)
        x = layers.Concatenate(name="image_and_label")([image, label_maps(label, image_shape)])
    x = conv.conv_stack(
        x, options.filters, options.kernel_size, name="conv", activation=options.activation
    )
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(options.units, activation=options.activation, name="dense")(x)
    z_mean = layers.Dense(options.latent_dim, dtype="float32", name="z_mean")(x)
    z_log_var = layers.Dense(options.latent_dim, dtype="float32", name="z_log_var")(x)
    z = Sampling(name="z")([z_mean, z_log_var])
    return keras.Model(inputs if num_classes else image, [z_mean, z_log_var, z], name="encoder")


def build_decoder(image_shape: tuple[int, ...], num_classes: int | None, options) -> keras.Model:
    """z [+ one-hot class] -> Dense -> Reshape -> Conv2DTranspose stack -> sigmoid image: the
    same interface as the GAN's generator (noise [, label]), so its sampling code serves both."""
    height, width, channels = image_shape
    halvings = 2 ** len(options.filters)
    if height % halvings or width % halvings:
        raise ConfigError(
            "model.filters",
            f"{len(options.filters)} strided layers halve the {height}x{width} images "
            f"{len(options.filters)} times; use fewer, or images divisible by {halvings}.",
        )
    z = keras.Input(shape=(options.latent_dim,), name="z")
    inputs, x = [z], z
    if num_classes:
        label = keras.Input(shape=(num_classes,), name="label")
        inputs.append(label)
        x = layers.Concatenate(name="z_and_label")([z, label])
    small = (height // halvings, width // halvings, options.filters[-1])
    x = layers.Dense(int(np.prod(small)), activation=options.activation, name="dense")(x)
    x = layers.Reshape(small, name="reshape")(x)
    x = conv.conv_stack(
        x,
        options.filters[::-1],
        options.kernel_size,
        name="conv_transpose",
        transpose=True,
        activation=options.activation,
    )
    image = conv.image_output(x, channels, options.kernel_size)
    return keras.Model(inputs if num_classes else z, image, name="decoder")


# --------------------------------------------------------------------------------------------
# The loss: reconstruction + beta * KL, in compute_loss (every backend's fit() calls it)
# --------------------------------------------------------------------------------------------


def reconstruction_loss(images, reconstructions):
    """Per image: the pixels' binary cross-entropy beyond their own entropy, summed (nats)."""
    excess = ops.binary_crossentropy(images, reconstructions) - ops.binary_crossentropy(
        images, images
    )
    return ops.sum(excess, axis=tuple(range(1, len(excess.shape))))


def kl_divergence(z_mean, z_log_var):
    """Per image: KL(N(z_mean, exp(z_log_var)) || N(0, I)), in closed form (nats)."""
    return -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)


@keras.saving.register_keras_serializable(package="cookbook")
class VAE(keras.Model):
    """Encoder and decoder trained by `fit()`: `call` returns the reconstruction with the
    encoder's z_mean and z_log_var, and `compute_loss` turns them into the negative ELBO,
    tracking its two terms as the metrics `reconstruction_loss` and `kl_loss`."""

    def __init__(self, encoder: keras.Model, decoder: keras.Model, beta: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = beta
        self.conditional = len(encoder.inputs) == 2
        if self.conditional:  # integer labels in, one-hot for both networks
            classes = encoder.inputs[1].shape[-1]
            self.one_hot = layers.CategoryEncoding(classes, output_mode="one_hot", name="one_hot")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.built = True  # both networks are built

    def call(self, inputs, training=False):
        """An image, or for a CVAE (image, integer class)."""
        if self.conditional:
            image, label = inputs
            label = self.one_hot(label)
            z_mean, z_log_var, z = self.encoder([image, label], training=training)
            reconstruction = self.decoder([z, label], training=training)
        else:
            z_mean, z_log_var, z = self.encoder(inputs, training=training)
            reconstruction = self.decoder(z, training=training)
        return {"reconstruction": reconstruction, "z_mean": z_mean, "z_log_var": z_log_var}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction = reconstruction_loss(y, y_pred["reconstruction"])
        kl = kl_divergence(y_pred["z_mean"], y_pred["z_log_var"])
        self.reconstruction_loss_tracker.update_state(reconstruction)
        self.kl_loss_tracker.update_state(kl)
        # The batch mean, shared out over replicas as Keras' own losses are.
        return scale_loss_for_distribution(ops.mean(reconstruction + self.beta * kl))

    def get_config(self):
        return {
            "name": self.name,
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "beta": self.beta,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for network in ("encoder", "decoder"):
            config[network] = keras.saving.deserialize_keras_object(config[network])
        return cls(**config)


def build_model(split: Split, options) -> VAE:
    image_shape = split.x_train.shape[1:]
    if len(image_shape) != 3:
        raise ConfigError("data.image_layout", "a VAE needs images: set it to image.")
    num_classes = None
    if options.conditional:
        if not split.num_classes:
            raise ConfigError("model.conditional", "the dataset has no classes to condition on.")
        num_classes = split.num_classes
    return VAE(
        build_encoder(image_shape, num_classes, options),
        build_decoder(image_shape, num_classes, options),
        beta=options.beta,
        name="cvae" if num_classes else "vae",
    )


def compile_model(model: VAE, optimizer, trainer: TrainerConfig) -> None:
    """No `loss=`: the model computes its own (`VAE.compute_loss`)."""
    model.compile(
        optimizer=optimizer,
        jit_compile=trainer.jit_compile,
        steps_per_execution=trainer.steps_per_execution,
    )


def make_dataset(x, y, data: DataConfig, training: bool, seed: int, options: Any):
    """(image, image) batches: the image is its own target; for a CVAE ((image, class), image)."""
    if not options.conditional:
        return default_make_dataset(x, x, data, training, seed, options)
    import tensorflow as tf  # lazy: only the CVAE's pipeline rearranges its batches

    batches = default_make_dataset(x, y, data, training, seed, options)
    return batches.map(
        lambda image, label: ((image, label), image), num_parallel_calls=tf.data.AUTOTUNE
    )


def baseline(split: Split, x, y, trainer: TrainerConfig) -> dict[str, float]:
    """The mean training image for every image, scored by the same reconstruction loss (it
    encodes nothing, so it has no KL term)."""
    mean_image = np.mean(split.x_train, axis=0, keepdims=True, dtype="float32")
    per_image = reconstruction_loss(x.astype("float32"), np.broadcast_to(mean_image, x.shape))
    value = float(np.mean(keras.ops.convert_to_numpy(per_image)))
    return {"loss": value, "reconstruction_loss": value}


# --------------------------------------------------------------------------------------------
# Looking at results: the latent space, the manifold, samples of the prior and their score
# --------------------------------------------------------------------------------------------


def latent_plane(z_mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(centre, two axes) of the latent plane shown: the latent itself when 2-D, else the
    first two principal components of the test codes, each axis one standard deviation long."""
    if z_mean.shape[1] == 2:
        return np.zeros(2, "float32"), np.eye(2, dtype="float32")
    from sklearn.decomposition import PCA  # lazy: only latents past 2-D are projected

    pca = PCA(n_components=2).fit(z_mean)
    axes = pca.components_ * np.sqrt(pca.explained_variance_)[:, None]
    return pca.mean_.astype("float32"), axes.astype("float32")


def manifold(decoder: keras.Model, z_mean: np.ndarray, num_classes: int | None) -> np.ndarray:
    """keras.io's manifold: decoded points of a grid over the latent plane, -2 to 2 standard
    deviations each way (top row: the second axis high). For a CVAE, one row per class, each
    decoding the same points along the plane's first axis: the style held, the digit asked."""
    centre, axes = latent_plane(z_mean)
    steps = np.linspace(-MANIFOLD_SCALE, MANIFOLD_SCALE, MANIFOLD_POINTS, dtype="float32")
    if num_classes:
        points = np.tile(centre + steps[:, None] * axes[0], (num_classes, 1))
        labels = np.repeat(np.arange(num_classes), MANIFOLD_POINTS)
        return images.tile(samples.generate(decoder, points, labels), MANIFOLD_POINTS)
    grid = [centre + a * axes[0] + b * axes[1] for b in steps[::-1] for a in steps]
    return images.tile(samples.generate(decoder, np.stack(grid)), MANIFOLD_POINTS)


def test_codes(model: VAE, dataset: Dataset) -> np.ndarray:
    """z_mean of every test image (a CVAE's with its class)."""
    encoder = model.encoder
    z_mean = keras.Model(encoder.inputs, encoder.get_layer("z_mean").output, name="z_mean")
    if not model.conditional:
        return predicting.predict(z_mean, dataset.x_test)
    one_hot = keras.utils.to_categorical(dataset.y_test, encoder.inputs[1].shape[-1])
    return predicting.predict(z_mean, [dataset.x_test, one_hot.astype("float32")])


def callbacks(run: RunInfo, split: Split) -> list[keras.callbacks.Callback]:
    """The decoder's grid from fixed noise after every epoch (samples/, TensorBoard Images)."""
    return samples.epoch_grids(run, lambda model: model.decoder)


def report(model: VAE, dataset: Dataset, run: RunInfo, test) -> dict:
    model.encoder.save(run.dir / "encoder.keras")
    model.decoder.save(run.dir / "decoder.keras")
    z_mean = test_codes(model, dataset)
    num_classes = model.decoder.inputs[1].shape[-1] if model.conditional else None
    if run.output.plot:
        plots.latent_plot(
            z_mean,
            dataset.y_test,
            dataset.class_names,
            run.dir / "latent.png",
            f"{run.name}: test z_mean, {z_mean.shape[1]}-D",
        )
        images.save_grid(run.dir / "manifold.png", manifold(model.decoder, z_mean, num_classes))
        grid = samples.fixed_noise_grid(model.decoder, run.seed)
        images.save_grid(run.dir / "samples.png", grid)
    if not dataset.num_classes:
        return {}
    quality = samples.quality(
        model.decoder,
        dataset,
        run.dir / "quality_classifier.keras",
        epochs=run.options.classifier_epochs,
        count=run.options.quality_samples,
        seed=run.seed,
        kept_in=run_files.cache_dir(run.output.dir, "quality_classifier"),
    )
    generated = quality["generated"]
    print("prior samples: " + "  ".join(f"{k} {v:.3f}" for k, v in generated.items()))
    return {"quality": quality}


def sample(run: RunInfo, count: int, label: int | None = None, seed: int | None = None) -> Path:
    """`cookbook sample RUN --n 64 [--label 3]`: `count` decoded samples of the prior, as a
    grid beside the run (one column per class for a CVAE without --label)."""
    path = run.dir / "decoder.keras"
    if not path.is_file():
        raise UserError(
            f"{run.dir} has no decoder.keras yet: it is saved when the run finishes "
            f"(`cookbook train --resume {run.dir}` to finish it)."
        )
    if label is not None and not run.options.conditional:
        raise UserError(
            f"--label needs a conditional VAE; {run.dir} was trained with model.conditional: "
            "false (see configs/vae-conditional.yaml)."
        )
    decoder = keras.saving.load_model(path, safe_mode=True)
    if label is not None:
        num_classes = decoder.inputs[1].shape[-1]
        if not 0 <= label < num_classes:
            raise UserError(f"--label must be a class from 0 to {num_classes - 1}, got {label}.")
    noise, labels = samples.sample_inputs(decoder, count, seed, label)
    columns = math.ceil(math.sqrt(count))
    if labels is not None and label is None:
        columns = decoder.inputs[1].shape[-1]
    grid = images.tile(samples.generate(decoder, noise, labels), columns)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return images.save_grid(run.dir / f"sample-{stamp}-{secrets.token_hex(2)}.png", grid)
