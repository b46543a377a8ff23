"""Plain script for the `seq2seq` recipe (configs/seq2seq.yaml), after keras.io "English-to-
Spanish translation with a sequence-to-sequence Transformer": the pairs vectorized once, then
`model.fit({"source": ..., "target_in": targets[:, :-1]}, targets[:, 1:])` with teacher forcing.

Same data and model as `cookbook train seq2seq`: the date pairs come from `common.data` (see
`_script`), their character ids from the recipe's vocabularies, and the attention RNN from its
own `build_model`; sparse categorical cross-entropy with padding weighted 0, Adam at the
config's rate. Left out: the decoding of the test inputs (exact match, the dateutil reference),
the attention pictures and TensorBoard.
"""

import keras

from recipes import seq2seq as recipe
from tests.benchmarks.plain._script import EpochTimer, arguments, load


def arrays(pairs, targets, vocabularies):
    ids = vocabularies.encode_targets(targets)
    inputs = {"source": vocabularies.encode_sources(pairs.sources), "target_in": ids[:, :-1]}
    return inputs, ids[:, 1:], (ids[:, 1:] != 0).astype("float32")


def main() -> None:
    args = arguments("seq2seq")
    config, dataset, split = load("seq2seq", recipe.TASK, args.epochs)
    keras.utils.set_random_seed(config.seed)

    vocabularies = recipe.vocabularies_of(split.x_train, config.model)
    model = recipe.build_model(split, config.model)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.optimizer.learning_rate),
        loss="sparse_categorical_crossentropy",
        weighted_metrics=["accuracy"],
    )
    x_train, y_train, w_train = arrays(split.x_train, split.y_train, vocabularies)
    model.fit(
        x_train,
        y_train,
        sample_weight=w_train,
        batch_size=config.data.batch_size,
        epochs=args.epochs,
        shuffle=True,
        validation_data=arrays(split.x_val, split.y_val, vocabularies),
        callbacks=[EpochTimer(args.timings, len(split.x_train))],
        verbose=config.trainer.verbose,
    )
    x_test, y_test, w_test = arrays(dataset.x_test, dataset.y_test, vocabularies)
    model.evaluate(x_test, y_test, sample_weight=w_test, verbose=0)
    model.save(args.output / "seq2seq.keras")


if __name__ == "__main__":
    main()
