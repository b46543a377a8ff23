"""Plain script for the `vae` recipe (configs/vae.yaml), after keras.io "Variational
AutoEncoder": an encoder to z_mean and z_log_var with a sampling layer, a decoder, and a model
whose loss is reconstruction + beta * KL; `vae.fit(x_train, x_train, validation_data=...)`.

Same data and model as `cookbook train vae`: the images come from `common.data` (see
`_script`); the encoder, decoder and VAE model (its `compute_loss`, so both sides do identical
work per step) are the recipe's own. Adam under a cosine decay over the run, as the config
sets it. Left out: the per-epoch sample grids, the latent and manifold plots and the
quality-score classifier the cookbook trains at the end.
"""

import keras

from recipes import vae as recipe
from tests.benchmarks.plain._script import EpochTimer, arguments, load, steps_per_epoch


def main() -> None:
    args = arguments("vae")
    config, dataset, split = load("vae", recipe.TASK, args.epochs)
    keras.utils.set_random_seed(config.seed)

    vae = recipe.build_model(split, config.model)
    steps = steps_per_epoch(len(split.x_train), config.data.batch_size) * args.epochs
    rate = keras.optimizers.schedules.CosineDecay(config.optimizer.learning_rate, steps)
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate=rate))
    vae.fit(
        split.x_train,
        split.x_train,
        batch_size=config.data.batch_size,
        epochs=args.epochs,
        shuffle=True,
        validation_data=(split.x_val, split.x_val),
        callbacks=[EpochTimer(args.timings, len(split.x_train))],
        verbose=config.trainer.verbose,
    )
    vae.evaluate(dataset.x_test, dataset.x_test, verbose=0)
    vae.save(args.output / "vae.keras")


if __name__ == "__main__":
    main()
