"""
Title: DCGAN and conditional GAN on handwritten digits
Why: a GAN is trained by a game, not by fit(x, y): a generator turns random noise into images,
a discriminator learns to tell them from real ones, and the generator learns from the
discriminator's mistakes. So this recipe overrides `train_step` in a `keras.Model` subclass
with two optimizers, one per player — the one place in the cookbook where the training loop
itself is the lesson. With `model.conditional: true` both players also see the one-hot class,
so the generator learns to draw the digit it is asked for.

Where the ideas come from: keras.io "DCGAN to generate face images" and "Conditional GAN"
(the train_step, the label maps concatenated to the discriminator's input), and the DCGAN
paper (Radford et al., 2015). The usual stabilising choices, each deliberate:

- strided convolutions instead of pooling, both ways (Conv2D down, Conv2DTranspose up);
- batch normalization in the generator, none in the discriminator (it sees real and fake
  batches separately, and batch statistics would leak which is which); ReLU in the generator,
  LeakyReLU(0.2) and dropout in the discriminator;
- sigmoid output pixels in [0, 1], the range of the data; the discriminator outputs a logit
  and the loss is binary cross-entropy from logits (numerically stable);
- a minibatch standard-deviation channel before the discriminator's last convolution
  (Karras et al., 2018): without it the unconditional GAN collapsed to one digit on this data;
- one-sided label smoothing (Salimans et al., 2016): real images are labelled
  `1 - label_smoothing`, fakes stay 0, so the discriminator is never rewarded for certainty;
- the non-saturating generator loss (maximise log D(G(z)) rather than minimise
  log(1 - D(G(z)))), whose gradients do not vanish while the generator is still poor;
- fresh noise for each player's step, and Adam for both (clones of the configured optimizer).

Judged by a measured score, not by eye: a small convnet trained on the real training images
(saved in the run folder as quality_classifier.keras, and kept under output.dir/.cache/ so
every run on the same data is scored by the same one, trained once) classifies generated
samples. For a conditional GAN, `conditional_accuracy` is the fraction classified as the class
they were asked for; for both, an Inception-Score analogue exp(E_x[KL(p(y|x) || p(y))]) —
high when each sample is a confident digit (`mean_max_probability`) and the samples cover all
classes (`class_diversity` = exp(entropy of p(y)), at most the number of classes). The same scores
for the real test images are the reference. Artifacts beside the usual ones: samples/ (a grid
from fixed noise per epoch, also in TensorBoard's Images tab; one row per class when
conditional), samples.png, generator.keras and discriminator.keras.
`cookbook sample RUN --n 64 [--label 3]` draws new samples from a finished run. This file is
the game and its players; drawing from a trained generator (the grids, the score, the `sample`
command) is `common.reporting.samples`, and the strided stacks are `common.modeling.conv`.

Default data: scikit-learn's 8x8 digits (offline). Variants: gan-conditional.yaml,
gan-mnist.yaml (28x28 MNIST through keras.datasets).
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from common.config.run_info import RunInfo
from common.config.schema import TrainerConfig
from common.data.dataset import Dataset
from common.data.splits import Split
from common.errors import ConfigError
from common.modeling import conv
from common.reporting import images, run_files, samples

TASK = "gan"


# --------------------------------------------------------------------------------------------
# The two networks (Functional API, keras.layers only)
# --------------------------------------------------------------------------------------------


def upsamplings(image_shape: tuple[int, ...], count: int) -> tuple[int, int]:
    """The generator's starting size: the image size halved once per Conv2DTranspose."""
    height, width = image_shape[:2]
    factor = 2**count
    if height % factor or width % factor:
        raise ConfigError(
            "model.generator_filters",
            f"{count} Conv2DTranspose layers double the size {count} times; "
            f"{height}x{width} images need a size divisible by {factor}.",
        )
    return height // factor, width // factor


def build_generator(image_shape: tuple[int, ...], num_classes: int | None, options) -> keras.Model:
    """Noise [+ one-hot class] -> Dense -> Reshape -> (Conv2DTranspose, BatchNorm, ReLU)* ->
    sigmoid image."""
    noise = keras.Input(shape=(options.latent_dim,), name="noise")
    inputs = [noise]
    x = noise
    if num_classes:
        label = keras.Input(shape=(num_classes,), name="label")
        inputs.append(label)
        x = layers.Concatenate(name="noise_and_label")([noise, label])
    height, width = upsamplings(image_shape, len(options.generator_filters))
    channels = options.generator_filters[0]
    x = layers.Dense(height * width * channels, use_bias=False, name="project")(x)
    x = layers.BatchNormalization(name="project_batch_norm")(x)
    x = layers.ReLU(name="project_relu")(x)
    x = layers.Reshape((height, width, channels), name="reshape")(x)
    x = conv.conv_stack(
        x,
        options.generator_filters,
        options.kernel_size,
        name="upsample",
        transpose=True,
        use_bias=False,
        after=lambda index, _: [
            layers.BatchNormalization(name=f"batch_norm_{index}"),
            layers.ReLU(name=f"relu_{index}"),
        ],
    )
    image = conv.image_output(x, image_shape[-1], options.kernel_size)
    return keras.Model(inputs if num_classes else noise, image, name="generator")


@keras.saving.register_keras_serializable(package="cookbook")
class MinibatchStandardDeviation(layers.Layer):
    """Appends one channel: the standard deviation of each feature across the batch, averaged
    (Karras et al., 2018, "Progressive growing of GANs"). A batch of near-identical fakes has
    a telltale low value, so the discriminator can punish mode collapse, which it cannot do
    looking at one image at a time."""

    def call(self, x):
        spread = keras.ops.mean(keras.ops.std(x, axis=0))
        return keras.ops.concatenate([x, keras.ops.ones_like(x[..., :1]) * spread], axis=-1)


def build_discriminator(
    image_shape: tuple[int, ...], num_classes: int | None, options
) -> keras.Model:
    """Image [+ one-hot class as constant maps] -> (strided Conv2D, LeakyReLU, Dropout)* ->
    one logit: real or fake."""
    image = keras.Input(shape=image_shape, name="image")
    inputs = [image]
    x = image
    if num_classes:  # the class as extra channels, one constant map per class (keras.io cGAN)
        label = keras.Input(shape=(num_classes,), name="label")
        inputs.append(label)
        maps = layers.Reshape((1, 1, num_classes), name="label_pixel")(label)
        maps = layers.UpSampling2D(size=image_shape[:2], name="label_maps")(maps)
        x = layers.Concatenate(name="image_and_label")([image, maps])
    last = len(options.discriminator_filters)
    x = conv.conv_stack(
        x,
        options.discriminator_filters,
        options.kernel_size,
        name="downsample",
        before=lambda index, _: (
            [MinibatchStandardDeviation(name="minibatch_std")]
            if index == last and options.minibatch_std
            else []
        ),
        after=lambda index, _: [
            layers.LeakyReLU(negative_slope=0.2, name=f"leaky_relu_{index}"),
            layers.Dropout(options.dropout, name=f"dropout_{index}"),
        ],
    )
    x = layers.Flatten(name="flatten")(x)
    logit = layers.Dense(1, dtype="float32", name="real_logit")(x)
    return keras.Model(inputs if num_classes else image, logit, name="discriminator")


# --------------------------------------------------------------------------------------------
# The game: a Model subclass with its own train_step and two optimizers
# --------------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="cookbook")
class GAN(keras.Model):
    """Generator and discriminator, trained against each other by `fit()`.

    Both networks and both optimizers are attributes, so Keras saves them with the model and
    BackupAndRestore restores them, step counters and Adam moments included. (Keras saves no
    random-generator state: a resumed run draws new noise, as Dropout draws new masks.)
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        latent_dim: int,
        num_classes: int | None = None,
        label_smoothing: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.label_smoothing = label_smoothing
        self.seed_generator = keras.random.SeedGenerator()  # seeded by the run's `seed`
        self.cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True, reduction=None)
        self.discriminator_loss_tracker = keras.metrics.Mean(name="discriminator_loss")
        self.generator_loss_tracker = keras.metrics.Mean(name="generator_loss")
        self.built = True  # both networks are built; nothing to infer from data

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    @property
    def metrics(self):
        return [self.discriminator_loss_tracker, self.generator_loss_tracker]

    def compile(self, discriminator_optimizer, generator_optimizer, **kwargs):
        super().compile(optimizer=None, **kwargs)
        self.discriminator_optimizer = discriminator_optimizer
        self.generator_optimizer = generator_optimizer
        # Built now, so BackupAndRestore and load_model can restore their state before fit.
        discriminator_optimizer.build(self.discriminator.trainable_variables)
        generator_optimizer.build(self.generator.trainable_variables)

    # -- one step of the game ----------------------------------------------------------------

    def conditioned(self, images_or_noise, one_hot):
        return images_or_noise if one_hot is None else [images_or_noise, one_hot]

    def fake_images(self, one_hot, batch_size, training: bool):
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        return self.generator(self.conditioned(noise, one_hot), training=training)

    def discriminator_loss(self, real_images, one_hot, training: bool):
        """Per-example loss for telling real (target 1 - label_smoothing) from fake (0)."""
        fake_images = self.fake_images(one_hot, tf.shape(real_images)[0], training)
        real_logits = self.discriminator(self.conditioned(real_images, one_hot), training=training)
        fake_logits = self.discriminator(self.conditioned(fake_images, one_hot), training=training)
        real_targets = tf.fill(tf.shape(real_logits), 1.0 - self.label_smoothing)  # one-sided
        return self.cross_entropy(real_targets, real_logits) + self.cross_entropy(
            tf.zeros_like(fake_logits), fake_logits
        )

    def generator_loss(self, one_hot, batch_size, training: bool):
        """Per-example non-saturating loss: fresh fakes that should be judged real."""
        fake_images = self.fake_images(one_hot, batch_size, training)
        fake_logits = self.discriminator(self.conditioned(fake_images, one_hot), training=training)
        return self.cross_entropy(tf.ones_like(fake_logits), fake_logits)

    def train_step(self, data):
        real_images, labels = data
        batch_size = tf.shape(real_images)[0]
        one_hot = tf.one_hot(labels, self.num_classes) if self.num_classes else None

        # 1. The discriminator learns from a real batch and a fake batch.
        with tf.GradientTape() as tape:
            discriminator_loss = self.discriminator_loss(real_images, one_hot, training=True)
            # Divided by the global batch size, so gradients add up right across replicas.
            average = tf.nn.compute_average_loss(discriminator_loss)
        weights = self.discriminator.trainable_variables
        gradients = tape.gradient(average, weights)
        self.discriminator_optimizer.apply_gradients(zip(gradients, weights, strict=True))

        # 2. The generator learns from the updated discriminator's verdict on new fakes.
        with tf.GradientTape() as tape:
            generator_loss = self.generator_loss(one_hot, batch_size, training=True)
            average = tf.nn.compute_average_loss(generator_loss)
        weights = self.generator.trainable_variables
        gradients = tape.gradient(average, weights)
        self.generator_optimizer.apply_gradients(zip(gradients, weights, strict=True))
        return self.track(discriminator_loss, generator_loss)

    def test_step(self, data):
        """Both losses on held-out real images, no updates: `evaluate()` works as usual."""
        real_images, labels = data
        one_hot = tf.one_hot(labels, self.num_classes) if self.num_classes else None
        return self.track(
            self.discriminator_loss(real_images, one_hot, training=False),
            self.generator_loss(one_hot, tf.shape(real_images)[0], training=False),
        )

    def track(self, discriminator_loss, generator_loss):
        self.discriminator_loss_tracker.update_state(discriminator_loss)
        self.generator_loss_tracker.update_state(generator_loss)
        return {metric.name: metric.result() for metric in self.metrics}

    # -- saving: networks in the config, both optimizers in the compile config ---------------

    def get_config(self):
        return {
            "name": self.name,
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "num_classes": self.num_classes,
            "label_smoothing": self.label_smoothing,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for network in ("generator", "discriminator"):
            config[network] = keras.saving.deserialize_keras_object(config[network])
        return cls(**config)

    def get_compile_config(self):
        if not self.compiled:
            return {}
        return {
            "discriminator_optimizer": keras.saving.serialize_keras_object(
                self.discriminator_optimizer
            ),
            "generator_optimizer": keras.saving.serialize_keras_object(self.generator_optimizer),
            "steps_per_execution": self.steps_per_execution,
            "jit_compile": self.jit_compile,
        }

    def compile_from_config(self, config):
        config = dict(config)
        for optimizer in ("discriminator_optimizer", "generator_optimizer"):
            config[optimizer] = keras.saving.deserialize_keras_object(config[optimizer])
        self.compile(**config)


def build_model(split: Split, options) -> GAN:
    image_shape = split.x_train.shape[1:]
    if len(image_shape) != 3:
        raise ConfigError("data.image_layout", "a GAN needs images: set it to image.")
    num_classes = None
    if options.conditional:
        if not split.num_classes:
            raise ConfigError("model.conditional", "the dataset has no classes to condition on.")
        num_classes = split.num_classes
    return GAN(
        build_generator(image_shape, num_classes, options),
        build_discriminator(image_shape, num_classes, options),
        latent_dim=options.latent_dim,
        num_classes=num_classes,
        label_smoothing=options.label_smoothing,
        name="conditional_gan" if num_classes else "dcgan",
    )


def compile_model(model: GAN, optimizer, trainer: TrainerConfig) -> None:
    """The configured optimizer for the discriminator, and a clone of it for the generator."""
    settings = {**optimizer.get_config(), "name": "generator_optimizer"}
    model.compile(
        discriminator_optimizer=optimizer,
        generator_optimizer=optimizer.__class__.from_config(settings),
        jit_compile=trainer.jit_compile,
        steps_per_execution=trainer.steps_per_execution,
    )


def baseline(
    split: Split, x: np.ndarray, y: np.ndarray, trainer: TrainerConfig
) -> dict[str, float]:
    """No common-sense loss to beat: the GAN's baseline is the quality score of real images,
    reported by `report` beside the generated samples' score."""
    return {}


# --------------------------------------------------------------------------------------------
# Looking at results: sample grids and the classifier-based score (`common.reporting.samples`)
# --------------------------------------------------------------------------------------------


def callbacks(run: RunInfo, split: Split) -> list[keras.callbacks.Callback]:
    """The generator's grid from fixed noise after every epoch (samples/, TensorBoard Images)."""
    return samples.epoch_grids(run, lambda model: model.generator)


def report(model: GAN, dataset: Dataset, run: RunInfo, test) -> dict:
    model.generator.save(run.dir / "generator.keras")
    model.discriminator.save(run.dir / "discriminator.keras")
    images.save_grid(run.dir / "samples.png", samples.fixed_noise_grid(model.generator, run.seed))
    if not dataset.num_classes:
        return {}
    quality = samples.quality(
        model.generator,
        dataset,
        run.dir / "quality_classifier.keras",
        epochs=run.options.classifier_epochs,
        count=run.options.quality_samples,
        seed=run.seed,
        kept_in=run_files.cache_dir(run.output.dir, "quality_classifier"),
    )
    for name, values in quality.items():
        if isinstance(values, dict):
            print(f"{name:<10} " + "  ".join(f"{k} {v:.3f}" for k, v in values.items()))
    return {"quality": quality}


def sample(run: RunInfo, count: int, label: int | None = None, seed: int | None = None) -> Path:
    """`cookbook sample RUN --n 64 [--label 3]`: a grid of `count` new samples from a finished
    run's generator, written beside it."""
    return samples.draw_samples(run.dir, run.options.conditional, count, label, seed)
