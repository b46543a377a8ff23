"""A trained encoder-decoder as a SavedModel that takes strings and returns strings, for
TensorFlow Serving or `tf.saved_model.load`: the tokenization, the vocabularies and the greedy
decoding loop are in the graph, so a caller needs nothing of the cookbook.

    export(model, vocabularies, folder)
    tf.saved_model.load(folder).serve(tf.constant(["8 jan 2007"]))  # [b"2007-01-08"]

Tokens as `common.data.tokens` makes them: characters (`tf.strings.unicode_split`), or words
(lower case, everything but letters, digits and whitespace dropped, split on whitespace). Ids
through Keras' `StringLookup` with the run's vocabulary (0 padding, 1 [UNK], 2 [start], 3
[end]), which Keras' `ExportArchive` saves with its table. The loop is the greedy decoder of
`common.modeling.decoding`, unrolled over the target's steps: each step runs the teacher-forced
model on the tokens chosen so far. A beam search stays in `cookbook predict`. TensorFlow only
(the SavedModel format is TensorFlow's).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import keras
import tensorflow as tf

from common.data.tokens import END, PAD, START, Vocabularies

LETTERS_DIGITS_SPACE = r"[^\p{L}\p{N}\s]"  # RE2: what `tokens.words` drops


def tokens_of(texts: tf.Tensor, kind: str) -> tf.RaggedTensor:
    if kind == "characters":
        return tf.strings.unicode_split(texts, "UTF-8")
    lower = tf.strings.lower(texts, encoding="utf-8")
    return tf.strings.split(tf.strings.regex_replace(lower, LETTERS_DIGITS_SPACE, " "))


def decoder_function(model: keras.Model, words: Vocabularies, lookup: keras.layers.Layer):
    """strings (batch,) -> decoded strings (batch,)."""
    steps, kinds = words.decoder_length, words.kind
    target_tokens = tf.constant(words.target)
    separator = "" if kinds == "characters" else " "

    def serve(texts: tf.Tensor) -> tf.Tensor:
        ids = lookup(tokens_of(texts, kinds))
        source = tf.cast(
            ids.to_tensor(default_value=PAD, shape=[None, words.source_length]), "int32"
        )
        batch = tf.shape(texts)[0]
        target_in = tf.concat(
            [tf.fill([batch, 1], START), tf.zeros([batch, steps - 1], tf.int32)], axis=1
        )
        chosen = []
        for step in range(steps):
            probabilities = model({"source": source, "target_in": target_in}, training=False)
            token = tf.argmax(probabilities[:, step], axis=-1, output_type=tf.int32)
            chosen.append(token)
            if step + 1 < steps:
                target_in += tf.one_hot(step + 1, steps, dtype=tf.int32)[None] * token[:, None]
        outputs = tf.stack(chosen, axis=1)
        before_end = tf.cumsum(tf.cast(outputs == END, tf.int32), axis=1) == 0
        keep = before_end & (outputs != PAD) & (outputs != START)
        written = tf.ragged.boolean_mask(tf.gather(target_tokens, outputs), keep)
        return tf.strings.reduce_join(written, axis=1, separator=separator)

    return serve


def export(model: keras.Model, words: Vocabularies, folder: Path) -> Path:
    """The SavedModel at `folder` (replaced whole), endpoint `serve` (also the default
    serving signature): a (batch,) string tensor in, a (batch,) string tensor out."""
    lookup = keras.layers.StringLookup(
        vocabulary=words.source[START:], mask_token="", oov_token="[UNK]", name="source_ids"
    )
    lookup(tf.constant([[""]]))  # built: ExportArchive tracks built layers only
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.track(lookup)
    archive.add_endpoint(
        name="serve",
        fn=decoder_function(model, words, lookup),
        input_signature=[tf.TensorSpec([None], tf.string, name="texts")],
    )
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    archive.write_out(str(partial), verbose=False)
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder
