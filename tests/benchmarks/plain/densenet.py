"""Plain script for the `densenet` recipe (configs/densenet.yaml), as "Advanced Deep Learning
with Keras" (Atienza, ch. 2) trains its DenseNet-BC: RMSprop, here under the config's cosine
decay over the run, and shifted digits from the augmentation layers inside the model.

Same data and model as `cookbook train densenet`: the images come from `common.data` (see
`_script`) and the DenseNet-BC 40 from the recipe's own `build_model`. The config holds no
validation part back, so neither side validates. No Grad-CAM or inspection pictures.
"""

import keras

from recipes import densenet as recipe
from tests.benchmarks.plain._script import EpochTimer, arguments, load, steps_per_epoch


def main() -> None:
    args = arguments("densenet")
    config, dataset, split = load("densenet", recipe.TASK, args.epochs)
    keras.utils.set_random_seed(config.seed)

    model = recipe.build_model(split, config.model)
    steps = steps_per_epoch(len(split.x_train), config.data.batch_size) * args.epochs
    rate = keras.optimizers.schedules.CosineDecay(config.optimizer.learning_rate, steps)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=rate),
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
    model.save(args.output / "densenet.keras")


if __name__ == "__main__":
    main()
