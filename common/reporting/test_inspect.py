"""Looking inside a classifier: the small digits convnet inspected from arrays, from a folder
of PNGs and from the driver's outputs, a binary sigmoid model, and TensorBoard's copy."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from common.data.files import index_folder
from common.reporting import features, gradcam, inspect
from tests.classifiers import convnet, png, rescaled
from tests.user_files import digit_images


def event_tags(log_dir: Path) -> dict[str, tf.Tensor]:
    tags = {}
    for file in log_dir.rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(file)):
            for value in event.summary.value:
                tags[value.tag] = tf.make_ndarray(value.tensor)
    return tags


def test_tensorboard_holds_the_images(tmp_path, digits, trained):
    first = features.first_layer_filters(trained[0], tmp_path / "a.png")
    second = features.intermediate_activations(trained[0], digits[2][0], tmp_path / "b.png")
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
        heatmap = gradcam.gradcam_heatmap(model, x_test[test][0], class_index)
        assert heatmap.shape == (8, 8) and heatmap.min() >= 0 and heatmap.max() <= 1
