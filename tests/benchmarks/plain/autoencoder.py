"""Plain script for the `autoencoder` recipe (configs/autoencoder.yaml), after keras.io
"Convolutional autoencoder for image denoising": the images are their own targets,
`autoencoder.fit(x_train, x_train, validation_data=(x_val, x_val))`.

Same data and model as `cookbook train autoencoder`: the arrays come from `common.data` (see
`_script`) and the encoder-decoder from the recipe's own `build_model`; loss and metrics as
the recipe's (MSE, with MSE and MAE reported). No reconstruction grids, no latent plot.
"""

import keras

from recipes import autoencoder as recipe
from tests.benchmarks.plain._script import EpochTimer, arguments, load


def main() -> None:
    args = arguments("autoencoder")
    config, dataset, split = load("autoencoder", recipe.TASK, args.epochs)
    keras.utils.set_random_seed(config.seed)

    autoencoder = recipe.build_model(split, config.model)
    autoencoder.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.optimizer.learning_rate),
        loss="mse",
        metrics=["mse", "mae"],
    )
    autoencoder.fit(
        split.x_train,
        split.x_train,
        batch_size=config.data.batch_size,
        epochs=args.epochs,
        shuffle=True,
        validation_data=(split.x_val, split.x_val),
        callbacks=[EpochTimer(args.timings, len(split.x_train))],
        verbose=config.trainer.verbose,
    )
    autoencoder.evaluate(dataset.x_test, dataset.x_test, verbose=0)
    autoencoder.save(args.output / "autoencoder.keras")


if __name__ == "__main__":
    main()
