"""Steady-state training speed of one recipe under one set of overrides: the recipe's own model,
optimizer and tf.data pipeline, built by the driver, then `model.fit` alone (no callbacks but a
timer), so a setting's effect on the step is seen without a run's fixed work.

    python -m tests.benchmarks.fit_speed convnet 10 trainer.steps_per_execution=1
    KERAS_BACKEND=jax python -m tests.benchmarks.fit_speed rnn-digits 4

Prints one JSON line: the resolved settings, the first epoch's seconds (tracing or compiling
included), the later epochs' mean seconds and samples/s, and the last loss. Alternate settings
in back-to-back runs: this is how the table "Defaults chosen by measurement" in BENCHMARKS.md
was measured.
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> None:
    name, epochs, *overrides = argv
    epochs = int(epochs)
    if epochs < 2:
        raise SystemExit("at least 2 epochs: the first one traces or compiles")
    import keras

    from common.config import load_config
    from common.data import splits
    from common.training import fitting, startup
    from common.training.recipe import load_recipe

    config = load_config(name, [f"trainer.epochs={epochs}", *overrides])
    strategy = startup.set_up(config)
    recipe = load_recipe(config.recipe)
    dataset = recipe.dataset(config)
    split = splits.final_model_split(dataset, config.data, config.split_seed, recipe.stratify)
    model = fitting.build(recipe, config, strategy, split, epochs)
    data = recipe.batches(split.x_train, split.y_train, config, True)
    ends: list[float] = []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: ends.append(time.time())
    )
    started = time.time()
    history = model.fit(data, epochs=epochs, callbacks=[timer], verbose=0, shuffle=False)
    steady = (ends[-1] - ends[0]) / (len(ends) - 1)
    losses = [value for key, value in history.history.items() if key.endswith("loss")]
    print(
        json.dumps(
            {
                "recipe": name,
                "overrides": overrides,
                "backend": keras.backend.backend(),
                "jit_compile": config.trainer.jit_compile,
                "steps_per_execution": config.trainer.steps_per_execution,
                "first_epoch_s": round(ends[0] - started, 2),
                "epoch_s": round(steady, 3),
                "samples_per_s": round(len(split.x_train) / steady),
                "last_loss": round(float(losses[0][-1]), 4) if losses else None,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
