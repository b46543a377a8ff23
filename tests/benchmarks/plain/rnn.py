"""Plain script for the `rnn` recipe (configs/rnn.yaml), after keras.io "Timeseries
forecasting for weather prediction": windows of the series by
`keras.utils.timeseries_dataset_from_array`, a recurrent layer, MSE loss, MAE reported.

Same data and model as `cookbook train rnn`: the series and its time-ordered parts come from
`common.data`, and the windows from `WindowSet.dataset`, which is that same
`timeseries_dataset_from_array` call over the part's rows (written out here it would be the
identical call); the GRU forecaster is the recipe's own `build_model`. No forecast plot.
"""

import keras

from recipes import rnn as recipe
from tests.benchmarks.plain._script import EpochTimer, arguments, load


def main() -> None:
    args = arguments("rnn")
    config, dataset, split = load("rnn", recipe.TASK, args.epochs)
    keras.utils.set_random_seed(config.seed)
    batch_size = config.data.batch_size
    train = split.x_train.dataset(batch_size, shuffle=True, seed=config.seed)
    validation = split.x_val.dataset(batch_size)
    test = dataset.x_test.dataset(batch_size)

    model = recipe.build_model(split, config.model)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.optimizer.learning_rate),
        loss="mse",
        metrics=["mae"],
    )
    model.fit(
        train,
        epochs=args.epochs,
        validation_data=validation,
        callbacks=[EpochTimer(args.timings, len(split.x_train))],
        verbose=config.trainer.verbose,
    )
    model.evaluate(test, verbose=0)
    model.save(args.output / "rnn.keras")


if __name__ == "__main__":
    main()
