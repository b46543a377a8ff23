"""Where a trained encoder-decoder looked: the attention weights behind its own outputs, as
pictures in the run folder and in TensorBoard (drawn by `common.reporting.translations`).

    attention_maps(model, attention, vocabularies, sources)  (input tokens, output tokens,
                                                             weights) per source
    AttentionPictures(...)                                   a callback: one picture an epoch

The weights are read by running the teacher-forced model once more on the decoded output
shifted right ([start], then the outputs), so each row is the attention the model paid while
writing that output token.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from common.data.tokens import PAD, START, Vocabularies
from common.modeling import decoding, seq2seq
from common.reporting import translations


def attention_maps(
    model: keras.Model,
    attention: keras.Model,
    vocabularies: Vocabularies,
    sources,
    width: int = 1,
    length_penalty: float = 0.0,
) -> list[tuple[list[str], list[str], np.ndarray]]:
    """(input tokens, output tokens, weights (outputs, inputs)) of each source, for the output
    it decodes to; `attention` is `seq2seq.attention_model(model)`."""
    _, ids = decoding.translate(model, vocabularies, sources, width, length_penalty)
    source_ids = vocabularies.encode_sources(sources)
    _, weights = attention.predict_on_batch(
        {"source": source_ids, "target_in": decoding.decoder_inputs(ids)}
    )
    weights = np.asarray(weights)
    if weights.ndim == 4:  # a Transformer's heads, averaged
        weights = weights.mean(axis=1)
    maps = []
    for row, source in enumerate(sources):
        inputs = [vocabularies.source[i] for i in source_ids[row] if i != PAD]
        written = [vocabularies.target[i] for i in ids[row] if i not in (PAD, START)]
        if vocabularies.kind == "characters" and inputs:  # unknown characters as they were
            inputs = list(str(source))[: len(inputs)]
        maps.append((inputs, written, weights[row, : len(written), : len(inputs)]))
    return maps


class AttentionPictures(keras.callbacks.Callback):
    """After every epoch, the attention map of a few inputs as the TensorBoard image `tag`.
    Not for a model replicated by a strategy (its `predict_on_batch` splits a batch over the
    replicas): such a run gets the final picture only, drawn from best.keras."""

    def __init__(self, sources, vocabularies: Vocabularies, folder: Path, log_dir: Path, tag: str):
        super().__init__()
        self.sources, self.vocabularies = sources, vocabularies
        self.folder, self.log_dir, self.tag = folder, log_dir, tag

    def on_train_begin(self, logs=None):
        strategy = getattr(self.model, "distribute_strategy", None)  # TensorFlow's only
        self.replicated = getattr(strategy, "num_replicas_in_sync", 1) > 1
        self.attention = seq2seq.attention_model(self.model)  # traced once, not every epoch
        self.writer = tf.summary.create_file_writer(str(self.log_dir))

    def on_train_end(self, logs=None):
        self.writer.close()

    def on_epoch_end(self, epoch, logs=None):
        if self.replicated:
            return
        path = self.folder / "attention_epoch.png"
        maps = attention_maps(self.model, self.attention, self.vocabularies, self.sources)
        translations.attention_figure(maps, path, f"epoch {epoch + 1}: {self.tag}")
        translations.log_image(self.writer, self.tag, path, epoch)
        path.unlink()
