"""Plain script for the `segmentation` recipe (configs/segmentation.yaml), after keras.io
"Image segmentation with a U-Net-like architecture": a U-Net with a per-pixel softmax, sparse
categorical cross-entropy, `model.fit(x_train, masks_train, validation_data=...)`.

Same data and model as `cookbook train segmentation`: the scenes come from `common.data` (see
`_script`) and the U-Net from the recipe's own `build_model`; Adam under a cosine decay over
the run, pixel accuracy and mean IoU as the recipe's metrics. Left out: the per-epoch and test
prediction pictures and the per-class IoU.
"""

import keras

from recipes import segmentation as recipe
from tests.benchmarks.plain._script import EpochTimer, arguments, load, steps_per_epoch


def main() -> None:
    args = arguments("segmentation")
    config, dataset, split = load("segmentation", recipe.TASK, args.epochs)
    keras.utils.set_random_seed(config.seed)

    model = recipe.build_model(split, config.model)
    steps = steps_per_epoch(len(split.x_train), config.data.batch_size) * args.epochs
    rate = keras.optimizers.schedules.CosineDecay(config.optimizer.learning_rate, steps)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=rate),
        loss="sparse_categorical_crossentropy",
        metrics=recipe.segmentation_metrics(split.num_classes),
    )
    model.fit(
        split.x_train,
        split.y_train,
        batch_size=config.data.batch_size,
        epochs=args.epochs,
        shuffle=True,
        validation_data=(split.x_val, split.y_val),
        callbacks=[EpochTimer(args.timings, len(split.x_train))],
        verbose=config.trainer.verbose,
    )
    model.evaluate(dataset.x_test, dataset.y_test, verbose=0)
    model.save(args.output / "unet.keras")


if __name__ == "__main__":
    main()
