"""Plain script for the `regression` recipe (configs/regression.yaml), written as "Deep
Learning with Python" ch. 4 writes K-fold validation for Boston housing: one model per fold,
validated on that fold, then a final model on all training data, tested once.

Same data and models as `cookbook train regression`: the folds come from `common.data.splits`
(the cookbook's seeds) and every model from the recipe's own `build_model`. With early
stopping off in both (the benchmark's setting), the final model trains for `--epochs`, as the
cookbook's does.
"""

import keras

from common.data import splits
from recipes import regression as recipe
from tests.benchmarks.plain._script import EpochTimer, arguments, load


def build_and_fit(split, config, epochs: int, timings) -> keras.Model:
    model = recipe.build_model(split, config.model)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.optimizer.learning_rate),
        loss="mse",
        metrics=["mae"],
    )
    model.fit(
        split.x_train,
        split.y_train,
        batch_size=config.data.batch_size,
        epochs=epochs,
        validation_data=(split.x_val, split.y_val) if split.has_validation else None,
        callbacks=[EpochTimer(timings, len(split.x_train))],
        verbose=config.trainer.verbose,
    )
    return model


def main() -> None:
    args = arguments("regression")
    config, dataset, _ = load("regression", recipe.TASK, args.epochs)
    keras.utils.set_random_seed(config.seed)

    scores = []
    for fold in splits.kfold(dataset, config.data, config.split_seed, stratify=False):
        model = build_and_fit(fold, config, args.epochs, args.timings)
        scores.append(model.evaluate(fold.x_val, fold.y_val, verbose=0))
    print(f"{len(scores)}-fold validation [mse, mae]: {scores}")

    model = build_and_fit(splits.full_training(dataset), config, args.epochs, args.timings)
    model.evaluate(dataset.x_test, dataset.y_test, verbose=0)
    model.save(args.output / "regression.keras")


if __name__ == "__main__":
    main()
