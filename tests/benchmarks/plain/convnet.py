"""Plain script for the `convnet` recipe (configs/convnet.yaml), after keras.io "Simple MNIST
convnet": two Conv2D/MaxPooling2D blocks with batch norm, the config's augmentation layers
inside the model, dropout and a softmax; Adam under a cosine decay over the run.

Same data and model as `cookbook train convnet`: the images come from `common.data` (see
`_script`) and the model from the recipe's own `build_model`. The config holds no validation
part back (validation_split 0.0), so neither side validates. No Grad-CAM or inspection pictures.
"""

import keras

from recipes import convnet as recipe
from tests.benchmarks.plain._script import EpochTimer, arguments, load, steps_per_epoch


def main() -> None:
    args = arguments("convnet")
    config, dataset, split = load("convnet", recipe.TASK, args.epochs)
    keras.utils.set_random_seed(config.seed)

    model = recipe.build_model(split, config.model)
    steps = steps_per_epoch(len(split.x_train), config.data.batch_size) * args.epochs
    rate = keras.optimizers.schedules.CosineDecay(config.optimizer.learning_rate, steps)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(
        split.x_train,
        split.y_train,
        batch_size=config.data.batch_size,
        epochs=args.epochs,
        callbacks=[EpochTimer(args.timings, len(split.x_train))],
        verbose=config.trainer.verbose,
    )
    model.evaluate(dataset.x_test, dataset.y_test, verbose=0)
    model.save(args.output / "convnet.keras")


if __name__ == "__main__":
    main()
