"""The VAE recipe: encoder -> (z_mean, z_log_var) -> sampling -> decoder, its loss in Keras 3's
`compute_loss`, samples of the prior, and the conditional VAE drawing the digit asked for.

The loss terms and saving are fast unit tests. Two short real runs are shared by the others:
a VAE (killed after its first epoch and resumed, as `cookbook train --resume` would) and a
conditional VAE, whose samples a digits classifier judges.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from common.config import load_config
from common.data import catalogue, splits
from common.reporting import run_files, samples
from common.training.driver import train
from recipes import vae
from tests.conftest import cookbook, tiny
from tests.interrupted import killed_and_resumed

EPOCHS = 12
FAST = ("model.classifier_epochs=8", "model.quality_samples=300")


def digits_split(count: int = 128) -> splits.Split:
    data = load_config("vae").data
    dataset = catalogue.load(data, seed=0, stratify=True)
    x, y = dataset.x_train[:count], dataset.y_train[:count]
    return splits.Split("holdout", x, y, None, None, 10)


def test_the_loss_terms_are_zero_exactly_when_they_should_be():
    rng = np.random.default_rng(0)
    images = rng.random((4, 8, 8, 1)).astype("float32")
    same = keras.ops.convert_to_numpy(vae.reconstruction_loss(images, images))
    other = keras.ops.convert_to_numpy(vae.reconstruction_loss(images, 1 - images))
    assert same.shape == (4,) and np.allclose(same, 0.0, atol=1e-3)
    assert (other > 1.0).all()
    zeros = np.zeros((3, 2), "float32")
    assert np.allclose(keras.ops.convert_to_numpy(vae.kl_divergence(zeros, zeros)), 0.0)
    kl = keras.ops.convert_to_numpy(vae.kl_divergence(zeros + 1.0, zeros + 0.5))
    assert np.allclose(kl, 2 * 0.5 * (1.0 + np.exp(0.5) - 1 - 0.5))  # closed form, 2 dims


def test_a_trained_vae_reloads_in_safe_mode(tmp_path):
    split = digits_split()
    options = load_config("vae-conditional", ["model.latent_dim=3"]).model
    model = vae.build_model(split, options)
    model.compile(optimizer="adam")
    history = model.fit((split.x_train, split.y_train), split.x_train, epochs=1, verbose=0)
    logs = history.history
    assert set(logs) == {"loss", "reconstruction_loss", "kl_loss"}
    assert logs["loss"][0] == pytest.approx(
        logs["reconstruction_loss"][0] + options.beta * logs["kl_loss"][0], rel=1e-3
    )
    model.save(tmp_path / "cvae.keras")
    loaded = keras.saving.load_model(tmp_path / "cvae.keras", safe_mode=True)
    inputs = (split.x_train[:5], split.y_train[:5])
    outputs, again = model(inputs), loaded(inputs)
    np.testing.assert_allclose(outputs["z_mean"], again["z_mean"], atol=1e-5)
    assert again["reconstruction"].shape == (5, 8, 8, 1)


# --------------------------------------------------------------------------------------------
# A VAE run killed after epoch 1 and resumed, and a conditional VAE run
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("vae")
    config = tiny("vae", output, f"trainer.epochs={EPOCHS}", "trainer.backup_interval=0", *FAST)
    return killed_and_resumed(vae, config)


@pytest.fixture(scope="module")
def cvae_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("vae-conditional")
    return train(tiny("vae-conditional", output, "trainer.epochs=25", *FAST))


@pytest.mark.slow
def test_reconstruction_is_far_below_the_mean_image_and_kl_above_zero(vae_run):
    run_dir, metrics = vae_run
    test, baseline = metrics["test"], metrics["baseline"]
    assert set(test) == {"loss", "reconstruction_loss", "kl_loss"}
    assert test["reconstruction_loss"] < 0.75 * baseline["reconstruction_loss"]
    assert test["kl_loss"] > 0.5
    assert test["loss"] == pytest.approx(
        test["reconstruction_loss"] + 0.5 * test["kl_loss"], rel=0.02
    )
    history = run_files.read_history(run_dir / "history.csv")
    assert [int(row["epoch"]) for row in history] == list(range(EPOCHS)), "resumed, no repeats"
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved["baseline"]["reconstruction_loss"] == pytest.approx(
        baseline["reconstruction_loss"]
    )


@pytest.mark.slow
def test_the_run_holds_the_latent_space_the_manifold_and_samples(vae_run):
    run_dir, _ = vae_run
    for name in ("latent.png", "manifold.png", "samples.png", "encoder.keras", "decoder.keras"):
        assert (run_dir / name).is_file(), name
    assert len(list((run_dir / "samples").glob("epoch_*.png"))) == EPOCHS
    from PIL import Image

    manifold = np.asarray(Image.open(run_dir / "manifold.png"))
    side = vae.MANIFOLD_POINTS * 33 + 1  # 8x8 digits enlarged to 32, one-pixel borders
    assert manifold.shape[:2] == (side, side) and manifold.std() > 10


@pytest.mark.slow
def test_cookbook_sample_draws_a_grid_and_refuses_a_label(vae_run):
    run_dir, _ = vae_run
    result = cookbook("sample", str(run_dir), "--n", "9", "--seed", "1")
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path.parent == run_dir and path.suffix == ".png"
    refused = cookbook("sample", str(run_dir), "--label", "3")
    assert refused.returncode == 2 and "needs a conditional VAE" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.slow
def test_the_conditional_vae_draws_the_requested_digit(cvae_run):
    run_dir, metrics = cvae_run
    generated = metrics["quality"]["generated"]
    assert generated["conditional_accuracy"] > 0.6  # chance: 0.1
    assert metrics["quality"]["real_test"]["conditional_accuracy"] > 0.8  # the judge is sound
    result = cookbook("sample", str(run_dir), "--n", "100", "--label", "3", "--seed", "2")
    assert result.returncode == 0, result.stderr
    # The same draws as the command's, judged by the run's own digits classifier.
    decoder = keras.saving.load_model(run_dir / "decoder.keras", safe_mode=True)
    classifier = keras.saving.load_model(run_dir / "quality_classifier.keras", safe_mode=True)
    noise, labels = samples.sample_inputs(decoder, 100, 2, 3)
    drawn = samples.generate(decoder, noise, labels)
    assert np.mean(classifier.predict(drawn, verbose=0).argmax(axis=1) == 3) > 0.6
    assert metrics["test"]["reconstruction_loss"] < metrics["baseline"]["reconstruction_loss"]
