"""The segmentation recipe: a U-Net on scenes composed from digits, on a mask folder and on
Oxford Pets' layout, with `cookbook predict` writing masks.

The data tests are fast (files written here, a few hundred pixels each). One short real run is
shared by the slow tests: small 32x32 scenes, killed after its first epoch and resumed as
`cookbook train --resume` would, so every test on it also checks a resumed run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from common.config import load_config
from common.data import catalogue, masks, scenes
from common.data.splits import Split
from common.errors import ConfigError
from common.reporting import run_files
from common.training import runs
from common.training.driver import train
from recipes import segmentation
from tests import keras_files
from tests.conftest import cookbook, tiny
from tests.interrupted import killed_and_resumed

SMALL = ("data.image_size=[32,32]", "model.depth=2", "model.pictures=3")
EPOCHS = 6


# --------------------------------------------------------------------------------------------
# Scenes of digits
# --------------------------------------------------------------------------------------------


def test_scenes_are_seeded_and_their_masks_mark_the_digits_ink():
    digits = np.zeros((3, 8, 8), dtype="float32")
    digits[:, 2:6, 3:5] = 1.0  # a bar: its ink is exactly known
    labels = np.array([4, 7, 9])
    images, masks_ = scenes.compose(digits, labels, 30, (32, 32), seed=1)
    again, masks_again = scenes.compose(digits, labels, 30, (32, 32), seed=1)
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(masks_, masks_again)
    assert images.shape == (30, 32, 32, 1) and masks_.shape == (30, 32, 32)
    assert images.dtype == np.float32 and images.min() >= 0 and images.max() <= 255
    assert set(np.unique(masks_)) <= {0, 5, 8, 10} and {5, 8, 10} <= set(np.unique(masks_))
    assert all((mask > 0).any() for mask in masks_), "every scene holds a digit"
    ink, background = images[..., 0][masks_ > 0], images[..., 0][masks_ == 0]
    assert ink.mean() > background.mean() + 80
    assert not np.array_equal(images, scenes.compose(digits, labels, 30, (32, 32), seed=2)[0])


def test_digit_scenes_hold_out_the_test_digits():
    data = load_config("segmentation", ["data.image_size=[32,32]"]).data
    dataset = catalogue.load(data, seed=0, stratify=False)
    assert dataset.class_names == ["background", *map(str, range(10))]
    assert len(dataset.x_test) == scenes.SCENES_PER_DIGIT * 360  # 20% of 1,797 digits
    assert dataset.x_train.shape[1:] == (32, 32, 1) and dataset.y_train.dtype == np.uint8
    with pytest.raises(ConfigError, match="at least 32 pixels"):
        catalogue.load(load_config("segmentation", ["data.image_size=[16,16]"]).data, 0, False)


# --------------------------------------------------------------------------------------------
# A folder of images and masks, and Oxford Pets' layout
# --------------------------------------------------------------------------------------------


def write_mask_folder(folder: Path, count: int = 10, classes: bool = True) -> Path:
    """images/<n>.png (RGB, sizes vary) and masks/<n>.png (class 0 background, 1 a square,
    2 a bar), and classes.txt naming them."""
    rng = np.random.default_rng(0)
    (folder / "images").mkdir(parents=True)
    (folder / "masks").mkdir()
    for index in range(count):
        height, width = int(rng.integers(20, 40)), int(rng.integers(20, 40))
        mask = np.zeros((height, width), dtype=np.uint8)
        mask[2:10, 2:10] = 1
        mask[-6:-2, :] = 2
        pixels = rng.integers(0, 60, (height, width, 3)) + 90 * mask[..., None]
        Image.fromarray(pixels.astype(np.uint8)).save(folder / "images" / f"scan_{index}.png")
        Image.fromarray(mask, "L").save(folder / "masks" / f"scan_{index}.png")
    if classes:
        (folder / "classes.txt").write_text("background\nsquare\nbar\n")
    return folder


def first_batch(dataset):
    return next(
        segmentation.make_dataset(
            dataset.x_train, dataset.y_train, _data(), False, 0, None
        ).as_numpy_iterator()
    )


def _data():
    return load_config("segmentation", ["data.batch_size=64"]).data


def test_mask_folder_pairs_images_with_masks_and_streams_them(tmp_path):
    root = write_mask_folder(tmp_path / "scans")
    data = load_config(
        "segmentation", ["data.dataset=mask_folder", f"data.path={root}", "data.image_size=[24,24]"]
    ).data
    dataset = catalogue.load(data, seed=0, stratify=False)
    assert dataset.class_names == ["background", "square", "bar"]
    assert len(dataset.x_train) + len(dataset.x_test) == 10
    assert isinstance(dataset.y_train, masks.MaskFiles) and dataset.y_train.counts.shape[1] == 3
    pixels, truth = first_batch(dataset)
    assert pixels.shape == (len(dataset.x_train), 24, 24, 3) and truth.shape[1:] == (24, 24)
    assert truth.dtype == np.uint8 and set(np.unique(truth)) == {0, 1, 2}
    bright = pixels.mean(axis=-1)  # the square and the bar are brighter than the background
    assert bright[truth > 0].mean() > bright[truth == 0].mean() + 60
    for x, y in ((dataset.x_train, dataset.y_train), (dataset.x_test, dataset.y_test)):
        stems = [Path(p).stem for p in x.paths]
        assert stems == [Path(p).stem for p in y.paths], "each image keeps its own mask"


def test_mask_folder_without_classes_txt_numbers_the_classes(tmp_path):
    root = write_mask_folder(tmp_path / "scans", classes=False)
    data = load_config("segmentation", ["data.dataset=mask_folder", f"data.path={root}"]).data
    assert catalogue.load(data, 0, False).class_names == ["0", "1", "2"]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("rgb_mask", "is a mode RGB image"),
        ("missing_mask", "has no mask"),
        ("wrong_size", "must be the size of its image"),
        ("no_masks_folder", "needs images/ and masks/"),
        ("too_many_classes", "expected 0 to 2"),
    ],
)
def test_mask_folder_mistakes_name_the_file(tmp_path, damage, message):
    root = write_mask_folder(tmp_path / "scans", count=4)
    mask = root / "masks" / "scan_1.png"
    if damage == "rgb_mask":
        Image.open(mask).convert("RGB").save(mask)
    elif damage == "missing_mask":
        mask.unlink()
    elif damage == "wrong_size":
        Image.open(mask).resize((5, 5)).save(mask)
    elif damage == "no_masks_folder":
        for path in (root / "masks").iterdir():
            path.unlink()
        (root / "masks").rmdir()
    else:
        Image.fromarray(np.full((30, 30), 7, np.uint8), "L").resize(Image.open(mask).size).save(
            mask
        )
    data = load_config("segmentation", ["data.dataset=mask_folder", f"data.path={root}"]).data
    with pytest.raises(ConfigError, match=message) as error:
        catalogue.load(data, 0, False)
    assert error.value.key == "data.path" and "\n" not in str(error.value)


def test_oxford_pets_trimaps_load_as_classes_0_to_2(tmp_path):
    root = keras_files.write_oxford_pets(tmp_path)
    config = load_config("segmentation-pets", [f"data.path={root}", "data.test_split=0.25"])
    dataset = catalogue.load(config.data, seed=0, stratify=False)
    assert dataset.class_names == ["pet", "background", "outline"]
    assert len(dataset.x_train) + len(dataset.x_test) == 8  # the .mat and "._" files are skipped
    pixels, truth = first_batch(dataset)
    assert pixels.shape[1:] == (160, 160, 3) and truth.shape[1:] == (160, 160)
    assert set(np.unique(truth)) == {0, 1, 2}  # trimap 1, 2, 3 less one, as keras.io reads them
    centre, corner = truth[:, 80, 80], truth[:, 0, 0]
    assert (centre == 0).all() and (corner == 1).all(), "the pet in the middle, background around"
    assert pixels[truth == 0].mean() > pixels[truth == 1].mean() + 50
    with pytest.raises(ConfigError, match="annotations/trimaps"):
        catalogue.load(load_config("segmentation-pets", [f"data.path={tmp_path}"]).data, 0, False)


def test_an_image_size_the_unet_cannot_halve_is_a_config_error(tmp_path):
    root = write_mask_folder(tmp_path / "scans", count=4)
    config = load_config(
        "segmentation",
        ["data.dataset=mask_folder", f"data.path={root}", "data.image_size=[30,30]"],
    )
    dataset = catalogue.load(config.data, 0, False)
    split = Split("holdout", dataset.x_train, dataset.y_train, None, None, 3)
    with pytest.raises(ConfigError, match="divisible by 8"):
        segmentation.build_model(split, config.model)


# --------------------------------------------------------------------------------------------
# A short real run on small scenes, killed after epoch 1 and resumed
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def segmentation_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("segmentation")
    config = tiny(
        "segmentation",
        output,
        *SMALL,
        f"trainer.epochs={EPOCHS}",
        "trainer.backup_interval=0",
        "optimizer.learning_rate=0.005",
    )
    return killed_and_resumed(segmentation, config)


@pytest.mark.slow
def test_mean_iou_beats_the_all_background_baseline_widely(segmentation_run):
    run_dir, metrics = segmentation_run
    test, baseline = metrics["test"], metrics["baseline"]
    assert metrics["task"] == "segmentation"
    assert set(test) == set(baseline) == {"loss", "pixel_accuracy", "mean_iou"}
    assert baseline["mean_iou"] < 0.12 and baseline["pixel_accuracy"] > 0.85  # mostly background
    assert test["mean_iou"] > baseline["mean_iou"] + 0.3
    assert test["pixel_accuracy"] > baseline["pixel_accuracy"] and test["loss"] < baseline["loss"]
    per_class = metrics["per_class_iou"]
    assert list(per_class) == ["background", *map(str, range(10))]
    assert np.nanmean([v for v in per_class.values() if v is not None]) == pytest.approx(
        test["mean_iou"], abs=1e-3
    )
    history = run_files.read_history(run_dir / "history.csv")
    assert [int(row["epoch"]) for row in history] == list(range(EPOCHS)), "resumed, no repeats"
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved["test"]["mean_iou"] == pytest.approx(test["mean_iou"])


@pytest.mark.slow
def test_pictures_show_image_truth_and_prediction(segmentation_run):
    run_dir, _ = segmentation_run
    grid = np.asarray(Image.open(run_dir / "predictions.png"))
    tile = 96 + 1  # 32-pixel scenes enlarged 3x, one-pixel borders
    assert grid.shape[:2] == (3 * tile + 1, 3 * tile + 1)
    per_epoch = sorted((run_dir / "predictions").glob("epoch_*.png"))
    assert [p.name for p in per_epoch] == [f"epoch_{e:03d}.png" for e in range(1, EPOCHS + 1)]


@pytest.mark.slow
def test_predict_writes_a_mask_and_an_overlay_of_each_inputs_size(segmentation_run, tmp_path):
    run_dir, _ = segmentation_run
    config = runs.open_run(run_dir)[1]
    dataset = catalogue.load(config.data, config.split_seed, stratify=False)
    scene = dataset.x_test[0, ..., 0].astype(np.uint8)
    Image.fromarray(scene).save(tmp_path / "scene.png")
    Image.fromarray(scene).convert("RGB").resize((50, 40)).save(tmp_path / "wide.jpg")
    output = tmp_path / "masks"
    result = cookbook(
        "predict",
        str(run_dir),
        str(tmp_path / "scene.png"),
        str(tmp_path / "wide.jpg"),
        "--output",
        str(output),
    )
    assert result.returncode == 0, result.stderr
    rows = result.stdout.strip().splitlines()
    assert rows[0].split(",")[:3] == ["input", "mask", "overlay"] and len(rows) == 3
    mask = np.asarray(Image.open(output / "scene_mask.png"))
    assert mask.shape == (32, 32) and Image.open(output / "scene_mask.png").mode == "L"
    assert np.mean(mask == dataset.y_test[0]) > 0.9  # the model's own test scene
    assert np.asarray(Image.open(output / "wide_mask.png")).shape == (40, 50)
    assert Image.open(output / "wide_overlay.png").size == (50, 40)
    assert Image.open(output / "scene_overlay.png").mode == "RGB"
    refused = cookbook(
        "predict", str(run_dir), str(tmp_path / "scene.png"), "--output", str(tmp_path / "wide.jpg")
    )
    assert refused.returncode == 2 and "must be a folder" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.slow
def test_a_mask_folder_trains_end_to_end(tmp_path):
    root = write_mask_folder(tmp_path / "scans", count=40)
    overrides = [
        "data.dataset=mask_folder",
        f"data.path={root}",
        "data.image_size=[24,24]",
        "model.depth=2",
        "trainer.epochs=3",
        "data.batch_size=8",
    ]
    run_dir, metrics = train(tiny("segmentation", tmp_path / "runs", *overrides))
    assert set(metrics["per_class_iou"]) == {"background", "square", "bar"}
    assert np.isfinite(metrics["test"]["loss"]) and metrics["baseline"]["mean_iou"] < 0.5
    assert (run_dir / "predictions.png").is_file()
