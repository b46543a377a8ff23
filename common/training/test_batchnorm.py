"""Precise BatchNorm statistics: a short training's moving statistics are the training data's,
not what the layer started from; a long one is left alone."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from common.training import batchnorm


def small_bn_model() -> keras.Model:
    inputs = keras.Input(shape=(4,))
    x = keras.layers.Dense(8, use_bias=False, name="dense")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="head")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "binary_crossentropy")
    return model


def test_only_short_trainings_of_models_with_batchnorm_are_recalibrated():
    model = small_bn_model()
    assert batchnorm.needs_recalibration(model, steps=300)  # 0.99^300 = 0.049 of the start
    assert not batchnorm.needs_recalibration(model, steps=2000)  # the digits convnet: 2,160
    plain = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
    assert not batchnorm.needs_recalibration(plain, steps=10)


def test_the_moving_statistics_become_those_of_the_training_batches():
    rng = np.random.default_rng(0)
    x = (0.05 * rng.normal(size=(160, 4)) + 0.3).astype("float32")  # small variance, like pixels
    y = (x[:, 0] > 0.3).astype("float32")
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    model = small_bn_model()
    model.fit(
        batches, epochs=2, shuffle=False, verbose=0
    )  # 10 steps: the moving variance is still near 1
    layer = model.get_layer("bn")
    features = keras.ops.convert_to_numpy(model.get_layer("dense")(x))
    assert np.mean(keras.ops.convert_to_numpy(layer.moving_variance)) > 5 * features.var(0).mean()

    callback = batchnorm.RecalibrateBatchNorm(batches)
    callback.set_model(model)
    callback.on_epoch_begin(0)
    callback.on_epoch_end(0)

    # The mean of the five batches' statistics: the population's, up to the batches' spread.
    np.testing.assert_allclose(layer.moving_mean, features.mean(0), atol=1e-4)
    np.testing.assert_allclose(layer.moving_variance, features.var(0), rtol=0.15)
    assert layer.momentum == 0.99  # the layer's own momentum is given back
    # Training and inference now agree on what the model computes.
    in_training = keras.ops.convert_to_numpy(model(x, training=True))
    in_inference = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_allclose(in_inference, in_training, atol=0.02)
