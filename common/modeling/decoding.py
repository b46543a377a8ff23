"""Decoding a trained encoder-decoder one token at a time: greedy, or a beam search.

At inference there is no true previous token to feed: the decoder reads its own output. Both
decoders below run the teacher-forced model (`common.modeling.seq2seq`) on the tokens chosen
so far and read the next-token distribution at the step after them. The models are causal (an
RNN decoder, or causal self-attention), so the padding after those tokens changes nothing;
running the whole model again at each step costs decoder_length passes, which for short
targets is cheaper than keeping a separate step model in sync with the saved one, and works
for any model with the recipe's two inputs.

    greedy(model, source_ids, steps)                      the most likely token each step
    beam_search(model, source_ids, steps, width, alpha)   the `width` best partial outputs
                                                          kept at each step; the best by
                                                          log-probability / length**alpha
    translate(model, vocabularies, texts, width)          texts in, texts out

Outputs are target ids without [start], each ending at its first [end] (then padding).
"""

from __future__ import annotations

import numpy as np

from common.data.tokens import END, PAD, START, Vocabularies
from common.modeling.predicting import predict_batch

BATCH = 256


def _probabilities(model, source: np.ndarray, target_in: np.ndarray, size: int) -> np.ndarray:
    batch = {"source": source, "target_in": target_in}
    return np.asarray(predict_batch(model, batch, size))


def greedy(model, source_ids: np.ndarray, steps: int, batch_size: int = BATCH) -> np.ndarray:
    """(examples, steps) ids: at each step the most probable next token."""
    outputs = np.zeros((len(source_ids), steps), dtype="int32")
    size = min(batch_size, len(source_ids))
    for start in range(0, len(source_ids), size):
        source = source_ids[start : start + size]
        target_in = np.zeros((len(source), steps), dtype="int32")
        target_in[:, 0] = START
        chosen = np.zeros((len(source), steps), dtype="int32")
        finished = np.zeros(len(source), dtype=bool)
        for step in range(steps):
            probabilities = _probabilities(model, source, target_in, size)[:, step]
            token = np.where(finished, PAD, probabilities.argmax(axis=-1))
            chosen[:, step] = token
            finished |= token == END
            if finished.all():
                break
            if step + 1 < steps:
                target_in[:, step + 1] = token
        outputs[start : start + len(source)] = chosen
    return outputs


def beam_search(
    model,
    source_ids: np.ndarray,
    steps: int,
    width: int,
    length_penalty: float = 0.0,
    batch_size: int = BATCH,
) -> np.ndarray:
    """(examples, steps) ids: the best of `width` hypotheses kept at every step (a finished
    one keeps its score and competes with the longer ones), ranked at the end by the sum of
    log-probabilities divided by length**length_penalty (0: the plain sum; GNMT uses ~0.6)."""
    if width <= 1:
        return greedy(model, source_ids, steps, batch_size)
    outputs = np.zeros((len(source_ids), steps), dtype="int32")
    chunk = max(1, batch_size // width)  # examples per pass: `width` rows each
    for start in range(0, len(source_ids), chunk):
        source = source_ids[start : start + chunk]
        outputs[start : start + len(source)] = _beams(
            model, source, steps, width, length_penalty, chunk * width
        )
    return outputs


def _beams(
    model, source: np.ndarray, steps: int, width: int, length_penalty: float, size: int
) -> np.ndarray:
    count = len(source)
    rows = np.repeat(source, width, axis=0)  # example-major: beams of one example together
    target_in = np.zeros((count, width, steps), dtype="int32")
    target_in[:, :, 0] = START
    chosen = np.zeros((count, width, steps), dtype="int32")
    scores = np.full((count, width), -np.inf)
    scores[:, 0] = 0.0  # one live hypothesis at first: the others would duplicate it
    finished = np.zeros((count, width), dtype=bool)
    lengths = np.zeros((count, width))
    every = np.arange(count)[:, None]
    for step in range(steps):
        probabilities = _probabilities(model, rows, target_in.reshape(count * width, steps), size)
        log_p = np.log(np.maximum(probabilities[:, step], 1e-12)).reshape(count, width, -1)
        log_p[finished] = -np.inf  # a finished hypothesis only pads, at no cost
        log_p[finished, PAD] = 0.0
        candidates = (scores[:, :, None] + log_p).reshape(count, -1)
        best = np.argsort(-candidates, axis=1, kind="stable")[:, :width]
        beam, token = np.divmod(best, log_p.shape[-1])
        scores = np.take_along_axis(candidates, best, axis=1)
        target_in, chosen = target_in[every, beam], chosen[every, beam]
        was_finished = finished[every, beam]
        lengths = lengths[every, beam] + ~was_finished
        chosen[:, :, step] = token
        finished = was_finished | (token == END)
        if finished[np.isfinite(scores)].all():
            break
        if step + 1 < steps:
            target_in[:, :, step + 1] = token
    ranked = scores / np.maximum(lengths, 1) ** length_penalty if length_penalty else scores
    return chosen[np.arange(count), ranked.argmax(axis=1)]


def decode(
    model, source_ids: np.ndarray, steps: int, width: int = 1, length_penalty: float = 0.0
) -> np.ndarray:
    """Greedy for `width` 1, else a beam search."""
    return beam_search(model, source_ids, steps, width, length_penalty)


def decoder_inputs(outputs: np.ndarray) -> np.ndarray:
    """The teacher-forcing input that reproduces `outputs`: [start], then the outputs shifted
    right (for reading the attention behind a decoded output)."""
    target_in = np.zeros_like(outputs)
    target_in[:, 0] = START
    target_in[:, 1:] = np.where(outputs[:, :-1] == END, PAD, outputs[:, :-1])
    return target_in


def translate(
    model, vocabularies: Vocabularies, sources, width: int = 1, length_penalty: float = 0.0
) -> tuple[list[str], np.ndarray]:
    """(output texts, output ids) for the texts `sources`, greedy or a beam search."""
    ids = decode(
        model,
        vocabularies.encode_sources(sources),
        vocabularies.decoder_length,
        width,
        length_penalty,
    )
    return vocabularies.decode(ids), ids
