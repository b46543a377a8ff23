"""Looking inside a classifier: a tiny convnet trained for 3 epochs on scikit-learn's 8x8
digits, inspected from arrays, from a folder of PNGs, and as a binary sigmoid model."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers
from PIL import Image

from common.data.files import index_folder
from common.errors import UserError
from common.reporting import inspect
from tests.user_files import digit_images

NAMES = [str(k) for k in range(10)]


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.data / 16.0).astype("float32").reshape(-1, 8, 8, 1)
    return x[:1400], bunch.target[:1400], x[1400:], bunch.target[1400:]


def convnet(classes: int = 10, channels: int = 1, name: str = "convnet") -> keras.Model:
    inputs = keras.Input((8, 8, channels), name="image")
    x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_1")(inputs)
    x = layers.MaxPooling2D(name="pool_1")(x)
    x = layers.Conv2D(16, 3, padding="same", name="conv_2")(x)
    x = layers.Activation("relu", name="relu_2")(x)
    x = layers.Flatten(name="flatten")(layers.MaxPooling2D(name="pool_2")(x))
    activation = "sigmoid" if classes == 2 else "softmax"
    outputs = layers.Dense(1 if classes == 2 else classes, activation=activation, name="head")(x)
    return keras.Model(inputs, outputs, name=name)


@pytest.fixture(scope="module")
def trained(digits):
    x_train, y_train, x_test, y_test = digits
    keras.utils.set_random_seed(0)
    model = convnet()
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    model.fit(x_train, y_train, batch_size=64, epochs=3, verbose=0)
    probabilities = model.predict(x_test, verbose=0)
    return model, probabilities


def rescaled(model: keras.Model) -> keras.Model:
    """`model` nested inside a model that takes 0..255 pixels, as models built from files do."""
    inputs = keras.Input(model.inputs[0].shape[1:], name="pixels")
    x = layers.Rescaling(1 / 255, name="rescale")(inputs)
    return keras.Model(inputs, model(x), name="from_files")


def png(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image, dtype="float32")


def event_tags(log_dir: Path) -> dict[str, tf.Tensor]:
    tags = {}
    for file in log_dir.rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(file)):
            for value in event.summary.value:
                tags[value.tag] = tf.make_ndarray(value.tensor)
    return tags


def test_confusion_matrix_and_per_class_report(tmp_path, digits, trained):
    _, _, _, y_test = digits
    predicted = trained[1].argmax(axis=1)
    path = inspect.confusion_matrix_figure(y_test, predicted, NAMES, tmp_path / "cm.png")
    pixels = png(path)
    assert pixels.shape[0] > 300 and pixels.std() > 10  # a drawing, not a blank page
    report = inspect.per_class_report(y_test, predicted, NAMES)
    assert all(name in report for name in NAMES)
    recall_3 = np.mean(predicted[y_test == 3] == 3)
    assert report["3"]["recall"] == pytest.approx(recall_3)
    assert report["accuracy"] == pytest.approx(np.mean(predicted == y_test))
    assert sum(report[name]["support"] for name in NAMES) == len(y_test)
    json.dumps(report)


def test_worst_misclassified_are_wrong_and_most_confident_first(tmp_path, digits, trained):
    _, _, x_test, y_test = digits
    probabilities = trained[1]
    predicted = probabilities.argmax(axis=1)
    assert (predicted != y_test).sum() > 5, "the 3-epoch model should still make mistakes"
    worst = inspect.worst_misclassified(y_test, probabilities, count=5)
    assert len(worst) == 5 and np.all(predicted[worst] != y_test[worst])
    confidence = probabilities[worst, predicted[worst]]
    assert np.all(np.diff(confidence) <= 0)
    others = np.setdiff1d(np.flatnonzero(predicted != y_test), worst)
    assert probabilities[others, predicted[others]].max() <= confidence.min()
    path = inspect.worst_misclassified_grid(
        x_test, y_test, probabilities, NAMES, tmp_path / "wrong.png", count=5
    )
    assert png(path).std() > 10
    right = np.flatnonzero(predicted == y_test)  # no mistakes: a picture that says so
    path = inspect.worst_misclassified_grid(
        x_test[right], y_test[right], probabilities[right], NAMES, tmp_path / "none.png"
    )
    assert inspect.worst_misclassified(y_test[right], probabilities[right]).size == 0
    assert png(path).std() > 1


def test_last_conv_layer_flat_and_nested():
    assert inspect.last_conv_layer(convnet()) == "relu_2"  # after conv_2, not the pooling

    inputs = keras.Input((8, 8, 1))
    x = layers.Conv2D(4, 3, name="conv")(inputs)
    x = layers.MaxPooling2D(name="pool")(x)  # shrinks the map: Grad-CAM stays on conv
    flat = keras.Model(inputs, layers.Dense(2)(layers.Flatten()(x)))
    assert inspect.last_conv_layer(flat) == "conv"

    functional = rescaled(convnet(name="backbone"))  # a Functional model used as a layer
    assert inspect.last_conv_layer(functional) == "backbone/relu_2"
    assert isinstance(inspect.get_layer(functional, "backbone/relu_2"), layers.Activation)

    for dropout, expected in ((False, "block/inner"), (True, "dropout")):
        block = keras.Sequential(  # a Sequential model used as a layer
            [keras.Input((8, 8, 4)), layers.Conv2D(4, 3, padding="same", name="inner")],
            name="block",
        )
        inputs = keras.Input((8, 8, 1))
        x = block(layers.Conv2D(4, 3, padding="same", name="stem")(inputs))
        if dropout:  # the same 4-D map, after the block's convolution
            x = layers.Dropout(0.5, name="dropout")(x)
        model = keras.Model(inputs, layers.Dense(2)(layers.GlobalAveragePooling2D()(x)))
        assert inspect.last_conv_layer(model) == expected

    dense = keras.Sequential([keras.Input((8, 8, 1)), layers.Flatten(), layers.Dense(2)])
    with pytest.raises(ValueError, match="no 2-D convolution"):
        inspect.last_conv_layer(dense)


def test_gradcam_heatmap_and_overlay(digits, trained):
    _, _, x_test, _ = digits
    model, probabilities = trained
    heatmaps = [inspect.gradcam_heatmap(model, image) for image in x_test[:4]]
    for heatmap in heatmaps:
        assert heatmap.shape == (8, 8)  # the 4x4 map of relu_2, resized to the input
        assert heatmap.min() >= 0 and heatmap.max() == pytest.approx(1.0)
        assert heatmap.std() > 0.05
    # Through a nested sub-model, on 0..255 pixels: the same map.
    nested = inspect.gradcam_heatmap(rescaled(model), x_test[0] * 255)
    np.testing.assert_allclose(nested, heatmaps[0], atol=1e-4)
    # Another class looks elsewhere.
    other = int(np.argsort(probabilities[0])[-2])
    assert not np.allclose(inspect.gradcam_heatmap(model, x_test[0], other), heatmaps[0])
    # The model is left as it was: softmax head, layers' own call.
    np.testing.assert_allclose(model.predict(x_test[:4], verbose=0), probabilities[:4], atol=1e-6)
    assert "call" not in vars(model.get_layer("relu_2"))

    overlay = inspect.gradcam_overlay(x_test[0], heatmaps[0][:4, :4])  # resized up to 8x8
    assert overlay.shape == (8, 8, 3) and overlay.min() >= 0 and overlay.max() <= 1


def test_gradcam_on_a_keras_applications_backbone(tmp_path):
    backbone = keras.applications.MobileNetV3Small(
        input_shape=(64, 64, 3), include_top=False, weights=None, include_preprocessing=True
    )
    inputs = keras.Input((64, 64, 3))
    features = layers.GlobalAveragePooling2D()(backbone(inputs))
    model = keras.Model(inputs, layers.Dense(3, activation="softmax")(features))
    name = inspect.last_conv_layer(model)
    assert name.startswith(f"{backbone.name}/")
    assert inspect.get_layer(model, name).output.shape[1:3] == (2, 2)
    image = np.random.default_rng(0).uniform(0, 255, (64, 64, 3))
    heatmap = inspect.gradcam_heatmap(model, image)
    assert heatmap.shape == (64, 64) and heatmap.min() >= 0 and heatmap.max() <= 1
    filters = png(inspect.first_layer_filters(model, tmp_path / "filters.png"))
    assert filters.shape[2] == 3  # 16 RGB kernels, after the backbone's own Rescaling
    assert png(inspect.intermediate_activations(model, image, tmp_path / "maps.png")).std() > 5


def test_first_layer_filters_one_tile_per_filter(tmp_path, trained):
    path = inspect.first_layer_filters(trained[0], tmp_path / "filters.png")
    pixels = png(path)  # 8 filters of 3x3, enlarged to 33x33, on a 3x3 grid (one empty)
    assert pixels.shape == (3 * 34 + 1, 3 * 34 + 1)
    tiles = [pixels[1 + r * 34 :, 1 + c * 34 :][:33, :33] for r in range(3) for c in range(3)]
    assert all(t.std() > 0 for t in tiles[:8]) and tiles[8].std() == 0

    colour = inspect.first_layer_filters(convnet(channels=3), tmp_path / "rgb.png")
    assert png(colour).shape == (3 * 34 + 1, 3 * 34 + 1, 3)


def test_intermediate_activations(tmp_path, digits, trained):
    model = trained[0]
    path = inspect.intermediate_activations(model, digits[2][0], tmp_path / "maps.png")
    assert png(path).std() > 10
    assert all("call" not in vars(model.get_layer(n)) for n in ("conv_1", "conv_2"))


def test_tensorboard_holds_the_images(tmp_path, digits, trained):
    first = inspect.first_layer_filters(trained[0], tmp_path / "a.png")
    second = inspect.intermediate_activations(trained[0], digits[2][0], tmp_path / "b.png")
    inspect.log_images_to_tensorboard(tmp_path / "logs", {"look/a": first, "look/b": second})
    tags = event_tags(tmp_path / "logs")
    assert set(tags) == {"look/a", "look/b"}
    width, height = (int(v) for v in tags["look/a"][:2])  # then the PNG itself
    assert (height, width) == png(first).shape[:2]


def test_inspect_classifier_on_a_folder_of_pngs(tmp_path, trained):
    pngs = digit_images(tmp_path / "digits", per_class=4)
    folder = index_folder(pngs, "image", color_mode="grayscale")
    run_dir = tmp_path / "run"
    result = inspect.inspect_classifier(
        rescaled(trained[0]),
        folder.files,
        folder.labels,
        folder.class_names,
        run_dir,
        log_dir=run_dir / "logs" / "inspect",
        batch_size=16,
    )
    expected = [f"inspect/{name}.png" for name in inspect.PICTURES]
    assert result["images"] == expected
    assert all(png(run_dir / image).std() > 5 for image in expected)
    assert all(name in result["per_class"] for name in folder.class_names)
    assert result["per_class"]["accuracy"] > 0.5  # 0..255 pixels reached the model rescaled
    assert set(event_tags(run_dir / "logs" / "inspect")) == {
        f"inspect/{name}" for name in inspect.PICTURES
    }
    json.dumps(result)


def test_outputs_from_the_test_pass_show_the_same_examples(tmp_path, trained, digits):
    """Given the driver's outputs, the pictures show what one pass of their own would: the
    same kept and worst examples, in the same order, with the same pixels (arrays and files)."""
    pngs = digit_images(tmp_path / "digits", per_class=4)
    folder = index_folder(pngs, "image", color_mode="grayscale")
    cases = [
        (trained[0], digits[2], digits[3]),
        (rescaled(trained[0]), folder.files, folder.labels),
    ]
    for model, x, y in cases:
        keep = inspect._spread_over_classes(y, 8)
        probabilities, kept, worst = inspect._predict(model, x, y, 16, keep, 5)
        assert worst, "the check needs mistakes to compare"
        outputs = np.concatenate([model.predict_on_batch(b) for b in inspect._batches(x, 16)])
        again = inspect._from_outputs(x, y, outputs, 16, keep, 5)
        np.testing.assert_allclose(again[0], probabilities, atol=1e-6)
        assert sorted(again[1]) == sorted(kept)
        assert all(np.array_equal(again[1][k], kept[k]) for k in kept)
        assert [i for _, i, _ in again[2]] == [i for _, i, _ in worst]
        assert all(np.array_equal(a[2], b[2]) for a, b in zip(again[2], worst, strict=True))


def test_inspect_classifier_on_a_binary_sigmoid_model(tmp_path, digits):
    x_train, y_train, x_test, y_test = digits
    train, test = np.isin(y_train, (0, 1)), np.isin(y_test, (0, 1))
    keras.utils.set_random_seed(0)
    model = convnet(classes=2)
    model.compile(keras.optimizers.Adam(1e-2), "binary_crossentropy")
    model.fit(x_train[train], y_train[train], batch_size=64, epochs=2, verbose=0)
    result = inspect.inspect_classifier(
        model, x_test[test], y_test[test], ["zero", "one"], tmp_path, batch_size=32
    )
    assert set(result["per_class"]) >= {"zero", "one"}
    assert result["per_class"]["accuracy"] > 0.8
    assert len(result["images"]) == 5
    for class_index in (0, 1):
        heatmap = inspect.gradcam_heatmap(model, x_test[test][0], class_index)
        assert heatmap.shape == (8, 8) and heatmap.min() >= 0 and heatmap.max() <= 1


def test_gradcam_files(tmp_path, trained, monkeypatch):
    folder = digit_images(tmp_path / "digits", per_class=1)
    images = sorted(folder.rglob("*.png"))[:2]
    seen = []  # what reached the model: [0, 1] for array-trained, 0..255 for a Rescaling model
    heatmap = inspect.gradcam_heatmap

    def spy(model, image, *args):
        seen.append(image)
        return heatmap(model, image, *args)

    monkeypatch.setattr(inspect, "gradcam_heatmap", spy)
    written = inspect.gradcam_files(trained[0], images, tmp_path / "out", NAMES)
    assert written == [tmp_path / "out" / f"{p.stem}.gradcam.png" for p in images]
    assert all(png(path).std() > 5 for path in written)
    assert seen[0].shape == (8, 8, 1) and 0.9 < seen[0].max() <= 1.0
    inspect.gradcam_files(rescaled(trained[0]), images[:1], tmp_path / "out")
    assert seen[-1].max() > 200
    inputs = keras.Input((8, 8, 1))  # a Rescaling(255) first takes [0, 1] (a backbone's)
    scaled = layers.Rescaling(1 / 255)(layers.Rescaling(255.0)(inputs))
    inspect.gradcam_files(keras.Model(inputs, trained[0](scaled)), images[:1], tmp_path / "out")
    assert seen[-1].max() <= 1.0
    with pytest.raises(UserError, match="not found"):
        inspect.gradcam_files(trained[0], [tmp_path / "missing.png"], tmp_path / "out")
