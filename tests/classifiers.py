"""Tiny image classifiers for the unit tests that look inside one (inspection, Grad-CAM).

    x_train, y_train, x_test, y_test = digits()      # scikit-learn's 8x8 digits in [0, 1]
    model, probabilities = trained_convnet(digits())  # 3 epochs: right mostly, wrong sometimes

A two-convolution net trains on the digits in seconds, which is enough for its pictures to
mean something; `rescaled` nests a model inside one that takes 0..255 pixels, as models
trained from image files do.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import layers
from PIL import Image

NAMES = [str(k) for k in range(10)]


def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's digits as (8, 8, 1) images in [0, 1]: 1400 to train on, the rest to test."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.data / 16.0).astype("float32").reshape(-1, 8, 8, 1)
    return x[:1400], bunch.target[:1400], x[1400:], bunch.target[1400:]


def convnet(classes: int = 10, channels: int = 1, name: str = "convnet") -> keras.Model:
    """Two convolutions, the second followed by its own activation layer, then the head."""
    inputs = keras.Input((8, 8, channels), name="image")
    x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_1")(inputs)
    x = layers.MaxPooling2D(name="pool_1")(x)
    x = layers.Conv2D(16, 3, padding="same", name="conv_2")(x)
    x = layers.Activation("relu", name="relu_2")(x)
    x = layers.Flatten(name="flatten")(layers.MaxPooling2D(name="pool_2")(x))
    activation = "sigmoid" if classes == 2 else "softmax"
    outputs = layers.Dense(1 if classes == 2 else classes, activation=activation, name="head")(x)
    return keras.Model(inputs, outputs, name=name)


def trained_convnet(data: tuple) -> tuple[keras.Model, np.ndarray]:
    """`convnet()` after 3 epochs on `data` (`digits()`), and its test probabilities."""
    x_train, y_train, x_test, _ = data
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
    """A PNG's pixels as floats."""
    with Image.open(path) as image:
        return np.asarray(image, dtype="float32")
