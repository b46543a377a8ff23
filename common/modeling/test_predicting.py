"""`predicting.predict`: the same outputs as Keras' `predict`, in order, from arrays and from
tf.data datasets of inputs or of (inputs, targets)."""

import keras
import numpy as np
import tensorflow as tf

from common.modeling import predicting


def compiled_model() -> keras.Model:
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    outputs = keras.layers.Dense(3, activation="softmax")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy", steps_per_execution=32)
    return model


def test_outputs_match_keras_predict_in_order_whatever_the_input():
    keras.utils.set_random_seed(0)
    model = compiled_model()
    x = np.random.default_rng(0).normal(size=(203, 6)).astype("float32")  # a short last batch
    y = np.arange(203) % 3
    expected = model.predict(x, batch_size=32, verbose=0)
    inputs_only = tf.data.Dataset.from_tensor_slices(x).batch(32)
    labelled = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    for data in (x, inputs_only, labelled):
        predicted = predicting.predict(model, data, batch_size=32)
        assert predicted.shape == (203, 3)
        np.testing.assert_allclose(predicted, expected, rtol=1e-5, atol=1e-6)


def test_array_batches_cover_every_row_once():
    x = np.arange(10)
    assert [batch.tolist() for batch in predicting.batches_of(x, 4)] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
    ]


def test_a_model_with_two_inputs_takes_a_list_of_arrays():
    keras.utils.set_random_seed(0)
    noise, labels = keras.Input((4,)), keras.Input((3,))
    joined = keras.layers.Concatenate()([noise, labels])
    model = keras.Model([noise, labels], keras.layers.Dense(2)(joined))  # not compiled
    rng = np.random.default_rng(1)
    x = [rng.normal(size=(70, 4)).astype("float32"), rng.normal(size=(70, 3)).astype("float32")]
    expected = model.predict(x, batch_size=16, verbose=0)
    np.testing.assert_allclose(predicting.predict(model, x, batch_size=16), expected, rtol=1e-5)
