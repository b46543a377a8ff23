"""Plain script for the `gan` recipe (configs/gan.yaml), after keras.io "DCGAN to generate
face images": build a generator and a discriminator, wrap them in a `keras.Model` whose
`train_step` plays the game, compile it with one optimizer per player, `fit`.

Same data and model as `cookbook train gan`: the images come from `common.data` (see
`_script`); the generator, the discriminator and the GAN model (the recipe's `train_step`,
so both sides do identical work per step) are the recipe's own. Both optimizers are Adam
with beta_1 0.5 under a cosine decay over the run, as the config sets them. Left out: the
cookbook's per-epoch sample grids and the quality-score classifier it trains at the end.
"""

import keras

from recipes import gan as recipe
from tests.benchmarks.plain._script import EpochTimer, arguments, load, steps_per_epoch


def optimizer(config, steps: int) -> keras.optimizers.Optimizer:
    rate = keras.optimizers.schedules.CosineDecay(config.optimizer.learning_rate, steps)
    return keras.optimizers.Adam(learning_rate=rate, beta_1=config.optimizer.beta_1)


def main() -> None:
    args = arguments("gan")
    config, dataset, split = load("gan", recipe.TASK, args.epochs)
    keras.utils.set_random_seed(config.seed)
    options = config.model
    image_shape = split.x_train.shape[1:]

    generator = recipe.build_generator(image_shape, None, options)
    discriminator = recipe.build_discriminator(image_shape, None, options)
    gan = recipe.GAN(
        generator,
        discriminator,
        latent_dim=options.latent_dim,
        label_smoothing=options.label_smoothing,
        name="dcgan",
    )
    steps = steps_per_epoch(len(split.x_train), config.data.batch_size) * args.epochs
    gan.compile(
        discriminator_optimizer=optimizer(config, steps),
        generator_optimizer=optimizer(config, steps),
    )
    gan.fit(
        split.x_train,
        split.y_train,  # unused by the unconditional game; its train_step unpacks (x, y)
        batch_size=config.data.batch_size,
        epochs=args.epochs,
        callbacks=[EpochTimer(args.timings, len(split.x_train))],
        verbose=config.trainer.verbose,
    )
    gan.evaluate(dataset.x_test, dataset.y_test, verbose=0)
    gan.save(args.output / "gan.keras")


if __name__ == "__main__":
    main()
