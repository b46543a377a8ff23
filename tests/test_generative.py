"""Generative recipes through the same driver as every other: the autoencoder (targets are the
inputs) and the GANs (a Model subclass with its own train_step and two optimizers).

Three short real runs are shared by the tests: a conv autoencoder, an unconditional GAN and a
conditional GAN. The conditional GAN run is killed after its first epoch and resumed, as a
user would with `cookbook train --resume`, so every other test also checks that a resumed GAN
run finishes like any run.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from common.config import load_config
from common.data import catalogue
from common.errors import ConfigError
from common.reporting import run_files
from common.training import runs
from common.training.driver import check, train
from tests import keras_files
from tests.conftest import cookbook, tiny
from tests.interrupted import killed_and_resumed

GAN_EPOCHS = 8
# Short runs learn faster at a higher rate; the judge (a classifier) still trains properly.
TINY_GAN = (
    "optimizer.learning_rate=0.001",
    "model.classifier_epochs=10",
    "model.quality_samples=500",
)


def image_summaries(log_dir: Path, tag: str) -> list[np.ndarray]:
    """The images logged under `tag` in every event file of `log_dir`, decoded from PNG."""
    decoded = []
    for path in sorted(log_dir.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == tag and value.metadata.plugin_data.plugin_name == "images":
                    width, height, *pngs = tf.make_ndarray(value.tensor)
                    decoded += [tf.io.decode_png(png).numpy() for png in pngs]
    return decoded


def png_shape(path: Path) -> tuple[int, ...]:
    return tuple(tf.io.decode_png(tf.io.read_file(str(path))).shape)


# --------------------------------------------------------------------------------------------
# Fashion-MNIST: four gzipped IDX files in a folder, read as keras.datasets reads them
# --------------------------------------------------------------------------------------------


def test_fashion_mnist_folder_loads_as_images_or_flat(tmp_path):
    folder = keras_files.write_fashion_mnist(tmp_path, count=40)
    images = load_config("autoencoder-fashion_mnist", [f"data.path={folder}"]).data
    data = catalogue.load(images, seed=0, stratify=False)
    assert data.x_train.shape == (40, 28, 28, 1) and data.x_test.shape == (10, 28, 28, 1)
    assert data.x_train.dtype == np.float32 and data.x_train.min() >= 0 and data.x_train.max() == 1
    np.testing.assert_array_equal(data.y_train, np.arange(40) % 10)
    assert data.class_names[0] == "T-shirt/top" and data.num_classes == 10
    overrides = [f"data.path={folder}", "data.image_layout=flat"]
    flat = load_config("autoencoder-fashion_mnist", overrides)
    assert catalogue.load(flat.data, seed=0, stratify=False).x_test.shape == (10, 784)


def test_fashion_mnist_folder_errors_name_the_missing_file(tmp_path):
    folder = keras_files.write_fashion_mnist(tmp_path)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    name = "autoencoder-fashion_mnist"
    with pytest.raises(ConfigError, match="lacks t10k-labels-idx1-ubyte.gz"):
        catalogue.check_source(load_config(name, [f"data.path={folder}"]).data)
    with pytest.raises(ConfigError, match="reads a folder"):
        catalogue.check_source(load_config(name, [f"data.path={tmp_path / 'nowhere'}"]).data)


# --------------------------------------------------------------------------------------------
# Autoencoder
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def autoencoder_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("autoencoder")
    return train(tiny("autoencoder", output, "trainer.epochs=8"))


def test_autoencoder_beats_the_mean_image_by_half(autoencoder_run):
    _, metrics = autoencoder_run
    assert metrics["task"] == "autoencoder"
    assert set(metrics["test"]) == set(metrics["baseline"]) == {"loss", "mse", "mae"}
    assert metrics["test"]["mse"] < 0.5 * metrics["baseline"]["mse"]
    reconstruction = metrics["reconstruction"]
    assert reconstruction["improvement"] > 0.5
    assert reconstruction["test_mse"] == pytest.approx(metrics["test"]["mse"], rel=1e-4)


def test_encoder_and_decoder_reload_on_their_own(autoencoder_run):
    run_dir, _ = autoencoder_run
    config = runs.open_run(run_dir)[1]
    x = catalogue.load(config.data, config.seed, stratify=False).x_test[:16]
    encoder = keras.saving.load_model(run_dir / "encoder.keras", safe_mode=True)
    decoder = keras.saving.load_model(run_dir / "decoder.keras", safe_mode=True)
    autoencoder = keras.saving.load_model(run_dir / "best.keras", safe_mode=True)
    latent = encoder.predict(x, verbose=0)
    assert latent.shape == (16, config.model.latent_dim)
    np.testing.assert_allclose(
        decoder.predict(latent, verbose=0), autoencoder.predict(x, verbose=0), atol=1e-5
    )


def test_autoencoder_pictures_reach_the_run_folder_and_tensorboard(autoencoder_run):
    run_dir, metrics = autoencoder_run
    per_epoch = sorted((run_dir / "reconstructions").glob("epoch_*.png"))
    assert [p.name for p in per_epoch] == [f"epoch_{e:03d}.png" for e in range(1, 9)]
    logged = image_summaries(run_dir / "logs" / "images", "reconstructions")
    assert len(logged) == metrics["epochs"] == 8
    assert logged[-1].shape == png_shape(per_epoch[-1])
    assert logged[0].std() > 0 and not np.array_equal(logged[0], logged[-1]), "training shows"
    for name in ("reconstructions.png", "latent.png"):
        assert (run_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dense_denoising_variant_trains_one_step(tmp_path):
    variant = ["model.architecture=dense", "model.noise_stddev=0.3", "model.latent_dim=2"]
    summary = check(tiny("autoencoder", tmp_path, *variant))
    assert summary["parameters"] > 0 and np.isfinite(summary["loss_after_one_step"])


# --------------------------------------------------------------------------------------------
# GANs
# --------------------------------------------------------------------------------------------


def training_state(model) -> dict[str, list[np.ndarray]]:
    return {
        "discriminator_optimizer": [v.numpy() for v in model.discriminator_optimizer.variables],
        "generator_optimizer": [v.numpy() for v in model.generator_optimizer.variables],
        "generator": [w.numpy() for w in model.generator.weights],
    }


class RecordStates(keras.callbacks.Callback):
    """The training state as each attempt starts, and as the first epoch ends (the kill)."""

    def __init__(self, states: dict):
        super().__init__()
        self.states = states

    def on_train_begin(self, logs=None):  # after BackupAndRestore, which comes first
        self.states.setdefault("started", []).append(training_state(self.model))

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0 and "killed" not in self.states:
            self.states["killed"] = training_state(self.model)


@pytest.fixture(scope="session")
def conditional_gan_run(tmp_path_factory):
    """A conditional GAN run killed after epoch 1, then resumed from its run folder."""
    from recipes import gan

    output = tmp_path_factory.mktemp("gan-conditional")
    states: dict = {}
    config = tiny(
        "gan-conditional",
        output,
        f"trainer.epochs={GAN_EPOCHS}",
        "trainer.backup_interval=0",  # epoch 1 is backed up before the "kill"
        *TINY_GAN,
    )
    run_dir, metrics = killed_and_resumed(gan, config, watchers=(RecordStates(states),))
    return run_dir, metrics, states


@pytest.fixture(scope="session")
def gan_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("gan")
    fast = ("model.classifier_epochs=2", "model.quality_samples=200")
    return train(tiny("gan", output, "trainer.epochs=1", *TINY_GAN, *fast))


@pytest.mark.slow
def test_resumed_gan_restores_both_optimizers_and_their_step_counters(conditional_gan_run):
    run_dir, metrics, states = conditional_gan_run
    killed, (first_start, resumed_start) = states["killed"], states["started"]
    for name, saved in killed.items():
        for before, after in zip(saved, resumed_start[name], strict=True):
            np.testing.assert_array_equal(before, after, err_msg=name)
    # Not trivially equal: the kill came after a real epoch of updates.
    assert killed["discriminator_optimizer"][0] > first_start["discriminator_optimizer"][0]
    # Both step counters carried on to the end, one optimizer step per batch per epoch.
    final = keras.saving.load_model(run_dir / "last.keras", safe_mode=True)
    steps = int(final.discriminator_optimizer.iterations.numpy())
    assert steps == int(final.generator_optimizer.iterations.numpy())
    assert steps == GAN_EPOCHS * int(killed["discriminator_optimizer"][0])
    history = run_files.read_history(run_dir / "history.csv")
    assert [int(row["epoch"]) for row in history] == list(range(GAN_EPOCHS))
    assert metrics["epochs"] == GAN_EPOCHS and not (run_dir / "backup").exists()


@pytest.mark.slow
def test_gan_losses_move_and_reach_tensorboard(conditional_gan_run):
    run_dir, metrics, _ = conditional_gan_run
    history = run_files.read_history(run_dir / "history.csv")
    for name in ("discriminator_loss", "generator_loss"):
        values = [float(row[name]) for row in history]
        assert all(np.isfinite(values)) and len(set(values)) == len(values), name
        assert np.isfinite(metrics["test"][name])
    events = [
        value.tag
        for path in (run_dir / "logs" / "train").glob("events.out.tfevents.*")
        for event in tf.compat.v1.train.summary_iterator(str(path))
        for value in event.summary.value
    ]
    assert events.count("epoch_discriminator_loss") == events.count("epoch_generator_loss")
    assert events.count("epoch_generator_loss") == GAN_EPOCHS


@pytest.mark.slow
def test_gan_sample_grids_per_epoch_in_the_run_folder_and_tensorboard(conditional_gan_run):
    run_dir, _, _ = conditional_gan_run
    per_epoch = sorted((run_dir / "samples").glob("epoch_*.png"))
    assert [p.name for p in per_epoch] == [f"epoch_{e:03d}.png" for e in range(1, GAN_EPOCHS + 1)]
    logged = image_summaries(run_dir / "logs" / "images", "samples")
    assert len(logged) == GAN_EPOCHS  # epoch 1 before the kill, the rest after the resume
    assert logged[-1].shape == png_shape(per_epoch[-1]) == png_shape(run_dir / "samples.png")
    assert not np.array_equal(logged[0], logged[-1]), "the fixed-noise samples change"


@pytest.mark.slow
def test_conditional_gan_draws_the_requested_digit_above_chance(conditional_gan_run):
    run_dir, metrics, _ = conditional_gan_run
    quality = metrics["quality"]
    assert quality["generated"]["conditional_accuracy"] > 0.25  # chance is 0.1
    assert quality["real_test"]["conditional_accuracy"] > 0.8  # the judge itself is sound
    assert 1.0 <= quality["generated"]["inception_score"] <= 10.0
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved["quality"] == json.loads(json.dumps(quality))


def test_unconditional_gan_reports_the_inception_score_analogue(gan_run):
    run_dir, metrics = gan_run
    generated = metrics["quality"]["generated"]
    assert "conditional_accuracy" not in generated
    assert 1.0 <= generated["inception_score"] <= generated["class_diversity"] <= 10.0
    assert 0.1 <= generated["mean_max_probability"] <= 1.0
    assert (run_dir / "quality_classifier.keras").is_file()


@pytest.mark.slow
def test_generator_and_discriminator_reload_safely(conditional_gan_run):
    run_dir, _, _ = conditional_gan_run
    generator = keras.saving.load_model(run_dir / "generator.keras", safe_mode=True)
    discriminator = keras.saving.load_model(run_dir / "discriminator.keras", safe_mode=True)
    noise = np.random.default_rng(0).normal(size=(6, generator.inputs[0].shape[-1]))
    labels = keras.utils.to_categorical(np.arange(6), 10)
    fakes = generator.predict([noise, labels], verbose=0)
    assert fakes.shape == (6, 8, 8, 1) and fakes.min() >= 0.0 and fakes.max() <= 1.0
    assert discriminator.predict([fakes, labels], verbose=0).shape == (6, 1)


@pytest.mark.slow
def test_cookbook_sample_writes_a_grid_of_the_requested_digit(conditional_gan_run):
    run_dir, _, _ = conditional_gan_run
    result = cookbook("sample", str(run_dir), "--n", "16", "--label", "3", "--seed", "1")
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path.parent == run_dir and path.suffix == ".png"
    assert png_shape(path) == (4 * 33 + 1, 4 * 33 + 1, 1)  # 4x4 tiles of 32 px, 1 px borders


@pytest.mark.slow
def test_cookbook_sample_refuses_what_it_cannot_draw(autoencoder_run, gan_run, tmp_path):
    cases = [
        ((str(tmp_path / "missing"),), "not found"),
        ((str(autoencoder_run[0]),), "does not draw samples"),
        ((str(gan_run[0]), "--label", "3"), "needs a conditional GAN"),
    ]
    for args, message in cases:
        result = cookbook("sample", *args)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
