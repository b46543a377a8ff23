"""`fitting.build`: the model comes back compiled with its optimizer's slots already made, so the
first trace of the train step creates no variable (inside the trace each one costs a `cond`)."""

from __future__ import annotations

import keras

from common.config import load_config
from common.data import catalogue, splits
from common.training import fitting, startup
from common.training.recipe import load_recipe


def test_the_optimizer_is_built_before_the_first_training_step():
    config = load_config("convnet", ["model.filters=[4, 8]", "trainer.epochs=1"])
    strategy = startup.set_up(config)
    recipe = load_recipe(config.recipe)
    dataset = catalogue.load(config.data, config.split_seed, stratify=True)
    split = splits.holdout(dataset, config.data, config.split_seed, True)
    model = fitting.build(recipe, config, strategy, split, epochs=1)
    assert model.optimizer.built
    slots = {variable.path for variable in model.optimizer.variables}
    # Adam: a first and a second moment for every trainable weight, plus its step counters.
    assert len(slots) >= 2 * len(model.trainable_variables)
    data = recipe.batches(split.x_train[:64], split.y_train[:64], config, True)
    model.fit(data, shuffle=False, verbose=0)  # tf.data shuffles, as in the driver
    assert {variable.path for variable in model.optimizer.variables} == slots
    assert int(model.optimizer.iterations) == 2
    keras.backend.clear_session()
