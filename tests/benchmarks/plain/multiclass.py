"""Plain keras.io-style script for the `multiclass` recipe (configs/multiclass.yaml): the 8x8
digits flattened to 64 features, Gaussian input noise, Dense(1024) -> Dense(1024) with dropout,
a softmax over ten classes, a cosine schedule, all training examples.

Same data and model as `cookbook train multiclass`: the arrays come from `common.data` (see
`_script`) and the model from the recipe's own `build_model`, so only the training loop
differs: `model.fit` on arrays, no cookbook callbacks, then `evaluate` and `save`.
"""

import keras

from recipes import multiclass as recipe
from tests.benchmarks.plain._script import EpochTimer, arguments, load, steps_per_epoch


def main() -> None:
    args = arguments("multiclass")
    config, dataset, split = load("multiclass", recipe.TASK, args.epochs)
    keras.utils.set_random_seed(config.seed)

    model = recipe.build_model(split, config.model)
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate=keras.optimizers.schedules.CosineDecay(
                config.optimizer.learning_rate,
                decay_steps=steps_per_epoch(len(split.x_train), config.data.batch_size)
                * args.epochs,
            )
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(
        split.x_train,
        split.y_train,
        batch_size=config.data.batch_size,
        epochs=args.epochs,
        validation_data=(split.x_val, split.y_val) if split.has_validation else None,
        callbacks=[EpochTimer(args.timings, len(split.x_train))],
        verbose=config.trainer.verbose,
    )
    model.evaluate(dataset.x_test, dataset.y_test, verbose=0)
    model.save(args.output / "multiclass.keras")


if __name__ == "__main__":
    main()
