"""Plain script for the `resnet` recipe (configs/resnet.yaml), written as the CIFAR-10 ResNet
script of "Advanced Deep Learning with Keras" (Atienza, ch. 2) writes its training: Adam, a
step schedule by `LearningRateScheduler`, `ReduceLROnPlateau` on top, validation data.

Same data and model as `cookbook train resnet`: the images come from `common.data` (see
`_script`) and the ResNet8 v1 from the recipe's own `build_model`. The schedule and plateau
settings are the config's. No Grad-CAM or inspection pictures.
"""

import keras

from recipes import resnet as recipe
from tests.benchmarks.plain._script import EpochTimer, arguments, load


def step_schedule(config):
    """The book's `lr_schedule(epoch)`: the base rate times the factor of the last boundary
    passed."""
    schedule = config.optimizer.schedule

    def rate(epoch: int) -> float:
        factor = 1.0
        for boundary, step_factor in zip(schedule.boundaries, schedule.factors, strict=True):
            if epoch >= boundary:
                factor = step_factor
        return config.optimizer.learning_rate * factor

    return rate


def main() -> None:
    args = arguments("resnet")
    config, dataset, split = load("resnet", recipe.TASK, args.epochs)
    keras.utils.set_random_seed(config.seed)

    model = recipe.build_model(split, config.model)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.optimizer.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    plateau = config.trainer.reduce_on_plateau
    callbacks = [
        keras.callbacks.LearningRateScheduler(step_schedule(config)),
        keras.callbacks.ReduceLROnPlateau(
            monitor=config.trainer.monitor,
            factor=plateau.factor,
            patience=plateau.patience,
            min_lr=plateau.min_learning_rate,
        ),
        EpochTimer(args.timings, len(split.x_train)),
    ]
    model.fit(
        split.x_train,
        split.y_train,
        batch_size=config.data.batch_size,
        epochs=args.epochs,
        validation_data=(split.x_val, split.y_val),
        callbacks=callbacks,
        verbose=config.trainer.verbose,
    )
    model.evaluate(dataset.x_test, dataset.y_test, verbose=0)
    model.save(args.output / "resnet.keras")


if __name__ == "__main__":
    main()
