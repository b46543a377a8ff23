"""What a trained generator draws: the GAN recipe's sample grids, their score, `cookbook sample`.

    images.save_grid(path, fixed_noise_grid(generator, seed))   # the same noise every epoch
    epoch_grids(run, lambda model: model.generator)   # that grid after every epoch (callbacks)
    quality(generator, dataset, path, epochs=15, count=1000, seed=0)   # a classifier's score
    draw_samples(run_dir, conditional, count=64, label=3, seed=None)   # `cookbook sample`

A generator here is a Keras model from noise (and, when conditional, a one-hot class) to
images, such as `recipes/gan.py` builds and saves as `generator.keras`. Everything is read off
its inputs: the noise size from the first, the number of classes from the second. The game
that trains it stays in the recipe; this module only draws from it, so the `sample` command
needs neither the recipe's training code nor the driver.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from common.config.run_info import RunInfo
from common.data.dataset import Dataset
from common.errors import UserError
from common.modeling import predicting
from common.reporting import images, scores

GRID_COLUMNS = 10  # samples per row of an unconditional grid
GRID_ROWS = 10


def generate(
    generator: keras.Model, noise: np.ndarray, labels: np.ndarray | None = None
) -> np.ndarray:
    """Images from `noise` (and class `labels` for a conditional generator)."""
    if len(generator.inputs) == 2:
        num_classes = generator.inputs[1].shape[-1]
        noise = [noise, keras.utils.to_categorical(labels, num_classes)]
    return predicting.predict(generator, noise)


def sample_inputs(
    generator: keras.Model, count: int, seed: int | None, label: int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Noise for `count` samples and, for a conditional generator, their classes: `label`,
    or every class in turn (so a grid `num_classes` wide has one class per column)."""
    latent_dim = generator.inputs[0].shape[-1]
    noise = np.random.default_rng(seed).normal(size=(count, latent_dim)).astype("float32")
    if len(generator.inputs) == 1:
        return noise, None
    num_classes = generator.inputs[1].shape[-1]
    labels = np.full(count, label) if label is not None else np.arange(count) % num_classes
    return noise, labels


def epoch_grids(
    run: RunInfo, generator_of: Callable[[keras.Model], keras.Model]
) -> list[keras.callbacks.Callback]:
    """A recipe's callbacks for a model that generates (a GAN's generator, a VAE's decoder,
    found by `generator_of`): its `fixed_noise_grid` after every epoch, saved as
    samples/epoch_NNN.png and shown in TensorBoard's Images tab."""
    log_dir = run.dir / "logs" / "images" if run.output.tensorboard.enabled else None
    return [
        images.ImageGrid(
            lambda model: fixed_noise_grid(generator_of(model), run.seed),
            run.dir / "samples" / "epoch_{epoch:03d}.png",
            log_dir,
            tag="samples",
        )
    ]


def fixed_noise_grid(generator: keras.Model, seed: int) -> np.ndarray:
    """A grid from `seed`'s noise: the same every epoch, so the pictures show the generator
    learning. `GRID_COLUMNS` samples a row, or one column per class when conditional."""
    columns = generator.inputs[1].shape[-1] if len(generator.inputs) == 2 else GRID_COLUMNS
    noise, labels = sample_inputs(generator, columns * GRID_ROWS, seed)
    return images.tile(generate(generator, noise, labels), columns)


def quality(
    generator: keras.Model,
    dataset: Dataset,
    classifier_path: Path,
    *,
    epochs: int,
    count: int,
    seed: int,
    kept_in: Path | None = None,
) -> dict:
    """The classifier-based score of `count` generated samples, and of the real test images
    for reference (`common.reporting.scores`). The judge is a small convnet trained on the
    real training images, saved at `classifier_path` (and kept in `kept_in` for every run on
    the same data)."""
    classifier = scores.quality_classifier(dataset, classifier_path, epochs, seed, kept_in=kept_in)
    noise, labels = sample_inputs(generator, count, seed + 1)
    generated = predicting.predict(classifier, generate(generator, noise, labels))
    real = predicting.predict(classifier, dataset.x_test)
    return {
        "generated": scores.classifier_scores(generated, labels),
        "real_test": scores.classifier_scores(real, dataset.y_test),
        "samples": len(noise),
    }


def draw_samples(
    run_dir: Path, conditional: bool, count: int, label: int | None, seed: int | None
) -> Path:
    """`cookbook sample RUN --n 64 [--label 3]`: a grid of `count` new samples from a finished
    run's `generator.keras`, written beside it; `conditional` is how the run was trained."""
    if not (run_dir / "generator.keras").is_file():
        raise UserError(
            f"{run_dir} has no generator.keras yet: it is saved when the run finishes "
            f"(`cookbook train --resume {run_dir}` to finish it)."
        )
    if label is not None and not conditional:
        raise UserError(
            f"--label needs a conditional GAN; {run_dir} was trained with "
            "model.conditional: false (see configs/gan-conditional.yaml)."
        )
    generator = keras.saving.load_model(run_dir / "generator.keras", safe_mode=True)
    if label is not None:
        num_classes = generator.inputs[1].shape[-1]
        if not 0 <= label < num_classes:
            raise UserError(f"--label must be a class from 0 to {num_classes - 1}, got {label}.")
    noise, labels = sample_inputs(generator, count, seed, label)
    columns = math.ceil(math.sqrt(count))
    if labels is not None and label is None:  # every class in turn: one class per column
        columns = generator.inputs[1].shape[-1]
    grid = images.tile(generate(generator, noise, labels), columns)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    name = f"sample-{stamp}-{secrets.token_hex(2)}.png"
    return images.save_grid(run_dir / name, grid)
