"""Judging decoded texts: scores, the date parser reference, and attention maps.

    scores(predictions, references, bleu=True)   exact_match, character_accuracy[, bleu]
    most_frequent(texts)                         the baseline's one output for every input
    dateutil_dates(inputs)                       the classic tool for dates, on the same inputs
    attention_figure(maps, path, title)          attention*.png: input tokens x output tokens
    log_image(writer, tag, path, step)           the same picture in TensorBoard's Images tab

`exact_match` counts outputs right as a whole. `character_accuracy` is the share of positions
where the output has the reference's character, over the longer of the two (a missing or an
extra character counts as wrong). `bleu` is Papineni et al.'s corpus BLEU-4 (clipped n-gram
precisions, geometric mean, brevity penalty) on the lower-cased words, as sacrebleu computes it
without smoothing, written out here because neither sacrebleu nor nltk is a dependency.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from common.data.tokens import words  # noqa: E402

BLEU_ORDER = 4


def exact_match(predictions: list[str], references: list[str]) -> float:
    return float(np.mean([p == r for p, r in zip(predictions, references, strict=True)]))


def character_accuracy(predictions: list[str], references: list[str]) -> float:
    shares = []
    for predicted, reference in zip(predictions, references, strict=True):
        longest = max(len(predicted), len(reference)) or 1
        same = sum(a == b for a, b in zip(predicted, reference, strict=False))
        shares.append(same / longest)
    return float(np.mean(shares))


def ngrams(tokens: list[str], order: int) -> Counter:
    return Counter(tuple(tokens[i : i + order]) for i in range(len(tokens) - order + 1))


def corpus_bleu(predictions: list[str], references: list[str]) -> float:
    """Corpus BLEU-4 in [0, 1], one reference per output; 0 when an order has no match."""
    matches, totals = [0] * BLEU_ORDER, [0] * BLEU_ORDER
    predicted_length = reference_length = 0
    for predicted, reference in zip(predictions, references, strict=True):
        hypothesis, truth = words(predicted), words(reference)
        predicted_length += len(hypothesis)
        reference_length += len(truth)
        for order in range(1, BLEU_ORDER + 1):
            found, wanted = ngrams(hypothesis, order), ngrams(truth, order)
            matches[order - 1] += sum(min(count, wanted[gram]) for gram, count in found.items())
            totals[order - 1] += max(0, len(hypothesis) - order + 1)
    if min(matches) == 0 or predicted_length == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals, strict=True))
    brevity = min(0.0, 1.0 - reference_length / predicted_length)
    return math.exp(brevity + log_precision / BLEU_ORDER)


def scores(predictions: list[str], references: list[str], bleu: bool) -> dict[str, float]:
    result = {
        "exact_match": exact_match(predictions, references),
        "character_accuracy": character_accuracy(predictions, references),
    }
    if bleu:
        result["bleu"] = corpus_bleu(predictions, references)
    return result


def most_frequent(texts) -> str:
    """The most frequent text (the first in sorted order among equals)."""
    counts = Counter(sorted(str(text) for text in texts))
    return counts.most_common(1)[0][0]


def dateutil_dates(inputs) -> list[str]:
    """`dateutil.parser.parse` (pandas' own date parser) on each input, as YYYY-MM-DD; "" where
    it gives up. Its defaults: month before day in "08.01.07", and a two-digit year within 50
    years of this one."""
    from dateutil import parser  # lazy: only the dates reference parses

    parsed = []
    for text in inputs:
        try:
            parsed.append(parser.parse(str(text)).date().isoformat())
        except (ValueError, OverflowError):
            parsed.append("")
    return parsed


def attention_figure(
    maps: list[tuple[list[str], list[str], np.ndarray]], path: Path, title: str
) -> Path:
    """One heatmap per (input tokens, output tokens, weights of shape (outputs, inputs)):
    each output token's row shows where in the input the model looked to write it."""
    columns = min(2, len(maps))
    rows = math.ceil(len(maps) / columns)
    widest = max(len(source) for source, _, _ in maps)
    tallest = max(len(output) for _, output, _ in maps)
    figure, axes = plt.subplots(
        rows,
        columns,
        figsize=(columns * max(4.0, 0.28 * widest + 1.5), rows * max(3.0, 0.28 * tallest + 1.3)),
        squeeze=False,
    )
    for axis in axes.flat[len(maps) :]:
        axis.axis("off")
    for axis, (source, output, weights) in zip(axes.flat, maps, strict=False):
        axis.imshow(weights, cmap="viridis", vmin=0.0, aspect="auto", interpolation="nearest")
        axis.set_xticks(range(len(source)), ["␣" if t == " " else t for t in source])
        axis.set_yticks(range(len(output)), output)
        axis.tick_params(axis="x", labelrotation=90 if max(map(len, source)) > 1 else 0)
        axis.set_xlabel("input")
        axis.set_ylabel("output")
        axis.set_title(
            f"{joined_for_title(source)} -> {joined_for_title(output)}", fontsize="small"
        )
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def joined_for_title(tokens: list[str]) -> str:
    tokens = [token for token in tokens if token != "[end]"]
    single = all(len(token) <= 1 for token in tokens)
    text = ("" if single else " ").join(tokens)
    return text if len(text) <= 40 else text[:37] + "..."


def log_image(writer, tag: str, path: Path, step: int) -> None:
    """The PNG at `path` as a TensorBoard image summary (the Images tab), through `writer`
    (a `tf.summary` file writer)."""
    import tensorflow as tf  # lazy: TensorBoard's summaries, only where a run logs

    picture = plt.imread(path)[..., :3]  # RGBA floats in [0, 1]
    with writer.as_default():
        tf.summary.image(tag, picture[None], step=step)
    writer.flush()
