"""
Title: Sequence to sequence with attention — translating dates and sentences
Why: some outputs are sequences of their own length: a translation, an ISO date from "Tuesday,
June 29, 2010". An encoder reads the input; a decoder writes the output token by token, each
step conditioned on the tokens before it, and attention lets every step look back at the part
of the input it needs (the "6" of "June"), instead of squeezing the input into one vector.
Training uses teacher forcing: the decoder reads the true previous tokens ([start], then the
target shifted right), so a whole target trains in one pass; decoding feeds the model its own
outputs, greedily or with a beam search.

Where the ideas come from: deeplearning.ai's sequence-models course ("Neural machine
translation with attention": human-readable dates to ISO, the attention map), Bahdanau et al.,
2015 and Luong et al., 2015 (additive and dot-product attention, the attentional hidden
state), "Deep Learning with Python" ch. 11 and keras.io "English-to-Spanish translation with a
sequence-to-sequence Transformer" (the Transformer, spa.txt).

    model.architecture: attention_rnn   bidirectional GRU/LSTM encoder, GRU/LSTM decoder,
                                        model.attention: additive | dot
    model.architecture: transformer     encoder and decoder blocks (causal self-attention)
    model.tokens: characters | words    what one step reads and writes
    model.beam_width: 1                 greedy decoding; more is a beam search

Judged on the test split by decoding every input: `exact_match` (the whole output right),
`character_accuracy` and, for sentences, corpus `bleu`; beside the teacher-forced loss and
next-token accuracy training reports. The baseline writes the most frequent training output
for every input; the reference for dates is `dateutil.parser` on the same inputs. Pictures:
attention.png (input tokens x output tokens for a few test inputs; also in TensorBoard's
Images tab, with one picture per epoch on validation inputs). test_predictions.csv holds every
test input, its target and the model's output; vocabularies.json what `cookbook predict RUN
lines.txt` and the exported SavedModel (strings in, strings out) need to read and write text.

Default data: date pairs generated from real calendar dates in deeplearning.ai's forms
(`dates`, offline; test dates never seen in training). Variants: seq2seq-transformer.yaml (the
same dates), seq2seq-spa-eng.yaml (keras.io's English-Spanish pairs); your own pairs:
`data.dataset=pairs_csv data.path=pairs.csv` (columns `source` and `target`).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from common.config.run_info import RunInfo
from common.config.schema import DataConfig, TrainerConfig
from common.data import splits
from common.data.dataset import Dataset
from common.data.splits import Split
from common.data.tokens import PAD, START, TextPairs, Tokenization, Vocabularies
from common.errors import ConfigError, UserError
from common.modeling import decoding, predicting, seq2seq, string_decoder
from common.reporting import run_files, translations
from common.reporting.attention_maps import AttentionPictures, attention_maps
from common.training.results import scores_and_outputs
from recipes.options.seq2seq import Options

TASK = "seq2seq"
KEY_METRIC = "exact_match"  # what the verdict judges a translation by
VOCABULARIES = "vocabularies.json"
PICTURE = "attention.png"


# --------------------------------------------------------------------------------------------
# Data: text pairs, encoded against the training vocabularies the model keys choose
# --------------------------------------------------------------------------------------------


def prepare(dataset: Dataset, data: DataConfig) -> Dataset:
    """Text pairs only, refused before a run folder is made."""
    if not isinstance(dataset.x_train, TextPairs):
        raise ConfigError(
            "data.dataset",
            f"the seq2seq recipe reads text pairs: dates, spa_eng or pairs_csv, not "
            f"{data.dataset}.",
        )
    return dataset


def vocabularies_of(pairs: TextPairs, options: Options) -> Vocabularies:
    """The training corpus' vocabularies, as the model keys tokenize it."""
    tokenization = Tokenization(
        options.tokens, options.vocabulary_size, options.source_length, options.target_length
    )
    return pairs.corpus.vocabularies(tokenization)


def make_dataset(
    x: TextPairs, y: np.ndarray | None, data: DataConfig, training: bool, seed: int, options
):
    """({"source", "target_in"}, next tokens, weights) batches: the decoder reads [start] and
    the target, and learns the target and [end]; padding weighs 0 in the loss and metrics."""
    vocabularies = vocabularies_of(x, options)
    source = vocabularies.encode_sources(x.sources)
    if y is None:  # inputs only: the decoder starts from [start]
        target_in = np.zeros((len(source), vocabularies.decoder_length), dtype="int32")
        target_in[:, 0] = START
        examples = tf.data.Dataset.from_tensor_slices({"source": source, "target_in": target_in})
    else:
        targets = vocabularies.encode_targets(y)
        inputs = {"source": source, "target_in": targets[:, :-1]}
        next_tokens = targets[:, 1:]
        weights = (next_tokens != PAD).astype("float32")
        examples = tf.data.Dataset.from_tensor_slices((inputs, next_tokens, weights)).cache()
    if training and data.shuffle:
        examples = examples.shuffle(len(source), seed=seed, reshuffle_each_iteration=True)
    settings = tf.data.Options()
    settings.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return examples.batch(data.batch_size).with_options(settings).prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------------------------
# Model: an encoder-decoder trained with teacher forcing (`common.modeling.seq2seq`)
# --------------------------------------------------------------------------------------------


def build_model(split: Split, options: Options) -> keras.Model:
    vocabularies = vocabularies_of(split.x_train, options)
    return seq2seq.BUILDERS[options.architecture](
        len(vocabularies.source),
        len(vocabularies.target),
        vocabularies.source_length,
        vocabularies.decoder_length,
        options,
    )


def compile_model(model: keras.Model, optimizer, trainer: TrainerConfig) -> None:
    """Cross-entropy of each next token, and how often it is the most probable one (both
    teacher-forced, weighted so that padding does not count)."""
    model.compile(
        optimizer=optimizer,
        loss=trainer.loss or "sparse_categorical_crossentropy",
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="token_accuracy")],
        jit_compile=trainer.jit_compile,
        steps_per_execution=trainer.steps_per_execution,
    )


def baseline(split: Split, x: TextPairs, y: np.ndarray, trainer: TrainerConfig) -> dict:
    """The most frequent training output, written for every input."""
    constant = translations.most_frequent(split.y_train)
    return translations.scores([constant] * len(y), list(y), bleu=x.corpus.sentences)


# --------------------------------------------------------------------------------------------
# Decoding new inputs, and the pictures of where the model looked
# --------------------------------------------------------------------------------------------


def translate(
    model: keras.Model, vocabularies: Vocabularies, sources, options
) -> tuple[list, np.ndarray]:
    """(output texts, output ids) for `sources`, decoded as `model.beam_width` says."""
    return decoding.translate(
        model, vocabularies, sources, options.beam_width, options.length_penalty
    )


def callbacks(run: RunInfo, split: Split) -> list[keras.callbacks.Callback]:
    count = run.options.attention_examples
    if not run.output.tensorboard.enabled or not count:
        return []
    examples = split.x_val if split.has_validation else split.x_train
    vocabularies = vocabularies_of(split.x_train, run.options)
    return [
        AttentionPictures(
            examples.sources[:count],
            vocabularies,
            run.dir,
            run.dir / "logs" / "images",
            "attention/validation",
        )
    ]


# --------------------------------------------------------------------------------------------
# Scores: decoded outputs against the targets, beside the baseline and dateutil
# --------------------------------------------------------------------------------------------


def report(model: keras.Model, dataset: Dataset, run: RunInfo, test) -> dict:
    """Decode the test (and validation) inputs and score the outputs; attention.png,
    test_predictions.csv and vocabularies.json in the run folder."""
    options, pairs = run.options, dataset.x_test
    vocabularies = vocabularies_of(dataset.x_train, options)
    sentences = pairs.corpus.sentences
    if test is not None:  # the teacher-forced scores the driver computed, kept beside ours
        forced = predicting.score(model, test)
    else:
        forced = teacher_forced(model, pairs, dataset.y_test, run)
    predicted, _ = translate(model, vocabularies, pairs.sources, options)
    references = [str(target) for target in dataset.y_test]
    scores = translations.scores(predicted, references, sentences)
    result: dict[str, Any] = {"test": {**forced, **scores}}
    validation = validation_scores(model, dataset, run, vocabularies)
    if validation:
        result["validation"] = validation
    if not sentences:  # dates: the classic parser on the same inputs
        parsed = translations.dateutil_dates(pairs.sources)
        result["reference"] = translations.scores(parsed, references, bleu=False)
        result["reference_model"] = "dateutil.parser"
        result["reference_library"] = "python-dateutil"
    result["decoding"] = {
        "beam_width": options.beam_width,
        "length_penalty": options.length_penalty,
        "tokens": vocabularies.kind,
        "source_vocabulary": len(vocabularies.source),
        "target_vocabulary": len(vocabularies.target),
        "source_length": vocabularies.source_length,
        "target_length": vocabularies.target_length,
    }
    write_predictions(run.dir / "test_predictions.csv", pairs.sources, references, predicted)
    saved = {
        **vocabularies.to_json(),
        **{k: result["decoding"][k] for k in ("beam_width", "length_penalty")},
    }
    run_files.write_json(run.dir / VOCABULARIES, saved)
    count = min(options.attention_examples, len(pairs))
    if count:
        path = translations.attention_figure(
            attention_maps(
                model,
                seq2seq.attention_model(model),
                vocabularies,
                pairs.sources[:count],
                options.beam_width,
                options.length_penalty,
            ),
            run.dir / PICTURE,
            f"{run.name}: where the model looked (test inputs)",
        )
        if run.output.tensorboard.enabled:
            writer = tf.summary.create_file_writer(str(run.dir / "logs" / "images"))
            translations.log_image(writer, "attention/test", path, 0)
            writer.close()
        result["attention"] = PICTURE
    line = f"test exact match {scores['exact_match']:.4f}"
    if "reference" in result:
        line += f" (dateutil.parser {result['reference']['exact_match']:.4f})"
    print(line + f"; e.g. {pairs.sources[0]!r} -> {predicted[0]!r}")
    return result


def validation_scores(model, dataset: Dataset, run: RunInfo, vocabularies: Vocabularies) -> dict:
    """The validation part's decoded scores (holdout only), as the driver carved it."""
    if run.data.split != "holdout" or dataset.x_val is not None:
        return {}
    seed = run.data.split_seed if run.data.split_seed is not None else run.seed
    split = splits.holdout(dataset, run.data, seed, stratify=False)
    if not split.has_validation:
        return {}
    predicted, _ = translate(model, vocabularies, split.x_val.sources, run.options)
    references = [str(target) for target in split.y_val]
    return {
        **teacher_forced(model, split.x_val, split.y_val, run),
        **translations.scores(predicted, references, split.x_val.corpus.sentences),
    }


def teacher_forced(model: keras.Model, pairs: TextPairs, y: np.ndarray, run: RunInfo) -> dict:
    """The compiled loss and token accuracy on (pairs, y), as the driver scores a split."""
    batches = make_dataset(pairs, y, run.data, False, run.seed, run.options)
    return scores_and_outputs(model, batches)[0]


def write_predictions(path: Path, sources, targets: list[str], predicted: list[str]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["input", "target", "prediction", "correct"])
    for source, target, output in zip(sources, targets, predicted, strict=True):
        writer.writerow([source, target, output, int(target == output)])
    run_files.write_text(path, buffer.getvalue())


# --------------------------------------------------------------------------------------------
# A finished run: `cookbook predict RUN lines.txt`, `cookbook export RUN`
# --------------------------------------------------------------------------------------------


def saved_vocabularies(run_dir: Path) -> tuple[Vocabularies, dict]:
    path = run_dir / VOCABULARIES
    if not path.is_file():
        raise UserError(f"{run_dir} has no {VOCABULARIES}; finish the run with --resume first.")
    saved = json.loads(path.read_text(encoding="utf-8"))
    return Vocabularies.from_json(saved), saved


def read_lines(inputs: list[str]) -> list[str]:
    """One input per line of each file (blank lines skipped)."""
    lines = []
    for name in inputs:
        path = Path(name)
        if not path.is_file():
            raise UserError(f"not found: {path} (give text files, one input per line).")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UserError(f"{path} is not UTF-8 text.") from None
        lines += [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise UserError(f"{', '.join(inputs)}: nothing to translate (the files are empty).")
    return lines


def predict_files(run_dir: Path, model: keras.Model, inputs: list[str], output: str | None) -> str:
    """`cookbook predict RUN lines.txt [--output out.csv]`: `input,prediction` rows."""
    vocabularies, saved = saved_vocabularies(run_dir)
    destination = Path(output) if output else None
    if destination and any(destination.resolve() == Path(p).resolve() for p in inputs):
        raise UserError(f"--output {output} is one of the inputs; choose another file.")
    lines = read_lines(inputs)
    options = Options(beam_width=saved["beam_width"], length_penalty=saved["length_penalty"])
    predicted, _ = translate(model, vocabularies, np.asarray(lines, dtype=object), options)
    rows = zip(lines, predicted, strict=True)
    return run_files.write_rows(
        ["input", "prediction"], rows, destination, f"{len(lines)} translations"
    )


def export_model(run_dir: Path, model: keras.Model, format: str, quantize: str | None) -> Path:
    """`cookbook export RUN`: a SavedModel whose `serve` signature takes strings and returns
    strings, the tokenization and the greedy decoding loop inside (`common.modeling.
    string_decoder`). TFLite is refused: its builtins have no string ops."""
    if format != "saved_model":
        raise UserError(
            "a seq2seq run exports as a SavedModel only (strings in, strings out): TFLite's "
            "builtin ops cannot split or join strings. Use --format saved_model."
        )
    if keras.backend.backend() != "tensorflow":  # the graph's string ops are TensorFlow's
        raise UserError(
            "the string-to-string SavedModel is built with TensorFlow: run "
            "`KERAS_BACKEND=tensorflow cookbook export RUN` (a JAX-trained run loads there too)."
        )
    vocabularies, _ = saved_vocabularies(run_dir)
    destination = run_dir / "export" / "saved_model"
    string_decoder.export(model, vocabularies, destination)
    print(f"SavedModel -> {destination}: serve(strings) -> strings, greedy decoding")
    return destination
