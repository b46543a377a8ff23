"""Grad-CAM on a small digits convnet, through nested sub-models and a keras.applications
backbone: the layer it reads, its heatmaps, and the model left as it was."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers

from common.reporting import gradcam, probing
from common.reporting.features import first_layer_filters, intermediate_activations
from tests.classifiers import convnet, png, rescaled


def test_last_conv_layer_flat_and_nested():
    assert gradcam.last_conv_layer(convnet()) == "relu_2"  # after conv_2, not the pooling

    inputs = keras.Input((8, 8, 1))
    x = layers.Conv2D(4, 3, name="conv")(inputs)
    x = layers.MaxPooling2D(name="pool")(x)  # shrinks the map: Grad-CAM stays on conv
    flat = keras.Model(inputs, layers.Dense(2)(layers.Flatten()(x)))
    assert gradcam.last_conv_layer(flat) == "conv"

    functional = rescaled(convnet(name="backbone"))  # a Functional model used as a layer
    assert gradcam.last_conv_layer(functional) == "backbone/relu_2"
    assert isinstance(probing.get_layer(functional, "backbone/relu_2"), layers.Activation)

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
        assert gradcam.last_conv_layer(model) == expected

    dense = keras.Sequential([keras.Input((8, 8, 1)), layers.Flatten(), layers.Dense(2)])
    with pytest.raises(ValueError, match="no 2-D convolution"):
        gradcam.last_conv_layer(dense)


def test_gradcam_heatmap_and_overlay(digits, trained):
    _, _, x_test, _ = digits
    model, probabilities = trained
    heatmaps = [gradcam.gradcam_heatmap(model, image) for image in x_test[:4]]
    for heatmap in heatmaps:
        assert heatmap.shape == (8, 8)  # the 4x4 map of relu_2, resized to the input
        assert heatmap.min() >= 0 and heatmap.max() == pytest.approx(1.0)
        assert heatmap.std() > 0.05
    # Through a nested sub-model, on 0..255 pixels: the same map.
    nested = gradcam.gradcam_heatmap(rescaled(model), x_test[0] * 255)
    np.testing.assert_allclose(nested, heatmaps[0], atol=1e-4)
    # Another class looks elsewhere.
    other = int(np.argsort(probabilities[0])[-2])
    assert not np.allclose(gradcam.gradcam_heatmap(model, x_test[0], other), heatmaps[0])
    # The model is left as it was: softmax head, layers' own call.
    np.testing.assert_allclose(model.predict(x_test[:4], verbose=0), probabilities[:4], atol=1e-6)
    assert "call" not in vars(model.get_layer("relu_2"))

    overlay = gradcam.gradcam_overlay(x_test[0], heatmaps[0][:4, :4])  # resized up to 8x8
    assert overlay.shape == (8, 8, 3) and overlay.min() >= 0 and overlay.max() <= 1


def test_gradcam_on_a_keras_applications_backbone(tmp_path):
    backbone = keras.applications.MobileNetV3Small(
        input_shape=(64, 64, 3), include_top=False, weights=None, include_preprocessing=True
    )
    inputs = keras.Input((64, 64, 3))
    features = layers.GlobalAveragePooling2D()(backbone(inputs))
    model = keras.Model(inputs, layers.Dense(3, activation="softmax")(features))
    name = gradcam.last_conv_layer(model)
    assert name.startswith(f"{backbone.name}/")
    assert probing.get_layer(model, name).output.shape[1:3] == (2, 2)
    image = np.random.default_rng(0).uniform(0, 255, (64, 64, 3))
    heatmap = gradcam.gradcam_heatmap(model, image)
    assert heatmap.shape == (64, 64) and heatmap.min() >= 0 and heatmap.max() <= 1
    filters = png(first_layer_filters(model, tmp_path / "filters.png"))
    assert filters.shape[2] == 3  # 16 RGB kernels, after the backbone's own Rescaling
    assert png(intermediate_activations(model, image, tmp_path / "maps.png")).std() > 5
