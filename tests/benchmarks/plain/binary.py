"""Plain keras.io-style script for the `binary` recipe (configs/binary.yaml): breast cancer,
standardised features, one sigmoid unit with L2 (the default has no hidden layer), a cosine
schedule, all training examples.

Same data and model as `cookbook train binary`: the arrays come from `common.data` (see
`_script`) and the model from the recipe's own `build_model`, so only the training loop
differs: `model.fit` on arrays, no cookbook callbacks, then `evaluate` and `save`.
"""

import keras

from recipes import binary as recipe
from tests.benchmarks.plain._script import EpochTimer, arguments, load, steps_per_epoch


def main() -> None:
    args = arguments("binary")
    config, dataset, split = load("binary", recipe.TASK, args.epochs)
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
        loss="binary_crossentropy",
        metrics=["accuracy", keras.metrics.AUC(name="auc")],
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
    model.save(args.output / "binary.keras")


if __name__ == "__main__":
    main()
