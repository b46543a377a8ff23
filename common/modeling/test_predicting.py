"""`predicting`: the same outputs as Keras' `predict`, in order, from arrays and from
tf.data datasets of inputs or of (inputs, targets), and the same scores as its `evaluate`."""

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


def test_a_short_last_batch_runs_the_same_trace():
    """Without the padding, the 11-row last batch traces the predict step a second time."""
    model = compiled_model()
    x = np.random.default_rng(0).normal(size=(203, 6)).astype("float32")
    predicting.predict(model, x, batch_size=32)
    predicting.predict(model, tf.data.Dataset.from_tensor_slices(x).batch(32))
    assert model.predict_function.experimental_get_tracing_count() == 1


def regularized_model(task: str) -> keras.Model:
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(8, "relu", kernel_regularizer=keras.regularizers.L2(0.01))(inputs)
    if task == "binary":
        outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
        loss, metrics = "binary_crossentropy", ["accuracy", keras.metrics.AUC(name="auc")]
    else:
        outputs = keras.layers.Dense(1)(hidden)
        loss, metrics = "mse", ["mae", keras.metrics.RootMeanSquaredError(name="rmse")]
    model = keras.Model(inputs, outputs)
    model.compile("adam", loss, metrics=metrics, steps_per_execution=32)
    return model


def test_scores_from_predictions_equal_keras_evaluate():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(203, 6)).astype("float32")
    for task, y in (("binary", (x[:, 0] > 0).astype("float32")), ("regression", x[:, 1] * 3)):
        keras.utils.set_random_seed(0)
        model = regularized_model(task)
        model.fit(x, y, epochs=2, batch_size=32, verbose=0)  # metrics left mid-state by fit
        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
        assert predicting.scores_from_predictions(model)
        scores = predicting.score(model, predicting.predict_split(model, data))
        expected = model.evaluate(data, verbose=0, return_dict=True)
        assert list(scores) == list(expected)
        for name, value in expected.items():
            assert np.isclose(scores[name], float(value), rtol=1e-5, atol=1e-6), (task, name)


def test_a_model_with_its_own_test_step_is_scored_by_keras():
    class OwnTestStep(keras.Model):
        def test_step(self, data):
            return super().test_step(data)

    inputs = keras.Input((6,))
    model = OwnTestStep(inputs, keras.layers.Dense(1)(inputs))
    assert not predicting.scores_from_predictions(model)  # not compiled
    model.compile("adam", "mse")
    assert not predicting.scores_from_predictions(model)
    assert predicting.scores_from_predictions(regularized_model("regression"))


def test_one_pass_keeps_targets_weights_and_outputs_in_order_for_weighted_scores():
    """The driver's single pass over the test split: what it keeps is what `predict` and the
    data give, and its scores with sample weights equal `model.evaluate`'s."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(203, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    weights = rng.uniform(0.5, 2.0, size=203).astype("float32")
    keras.utils.set_random_seed(0)
    model = regularized_model("binary")
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    data = tf.data.Dataset.from_tensor_slices((x, y, weights)).batch(32)
    split = predicting.predict_split(model, data)
    assert split.batch_size == 32
    np.testing.assert_array_equal(split.targets, y)
    np.testing.assert_array_equal(split.sample_weight, weights)
    expected_outputs = model.predict(x, batch_size=32, verbose=0)
    np.testing.assert_allclose(split.outputs, expected_outputs, rtol=1e-5, atol=1e-6)
    scores = predicting.score(model, split)
    expected = model.evaluate(data, verbose=0, return_dict=True)
    assert list(scores) == list(expected)
    for name, value in expected.items():
        assert np.isclose(scores[name], float(value), rtol=1e-5, atol=1e-6), name
