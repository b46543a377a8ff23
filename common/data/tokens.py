"""Sentence pairs as token ids: what a sequence-to-sequence model reads and writes.

    pairs = TextPairs(sources, Corpus(training_sources, training_targets))
    vocabularies = pairs.corpus.vocabularies(Tokenization("characters"))
    source_ids = vocabularies.encode_sources(pairs.sources)     # (examples, source_length)
    target_ids = vocabularies.encode_targets(targets)           # [start] ... [end], padded

Every split of a source (train, validation, test, a fold) is a `TextPairs` that keeps the one
training `Corpus` its vocabularies are built from, so the test split is encoded with the
training vocabulary (unseen tokens become [UNK]) however the splits are cut, and the recipe's
model keys (characters or words, the vocabulary size, the lengths) choose how, after the data
is loaded. Ids 0-3 are the same in both vocabularies: 0 pads, 1 is [UNK], 2 [start], 3 [end].

Words are read as keras.io's English-to-Spanish example reads them: lower case, punctuation
(including Spanish "¿" and "¡") dropped, split on whitespace.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

PAD, UNKNOWN, START, END = 0, 1, 2, 3
SPECIALS = ("", "[UNK]", "[start]", "[end]")
TOKENIZATIONS = ("characters", "words")
# Anything that is not a letter, a digit or whitespace ends a word (RE2's [^\p{L}\p{N}\s],
# which the exported SavedModel applies, in Python's spelling).
PUNCTUATION = re.compile(r"[^\w\s]|_")


def words(text: str) -> list[str]:
    return PUNCTUATION.sub(" ", text.lower()).split()


def tokenize(text: str, kind: str) -> list[str]:
    return list(text) if kind == "characters" else words(text)


def joined(tokens: list[str], kind: str) -> str:
    return "".join(tokens) if kind == "characters" else " ".join(tokens)


@dataclass(frozen=True)
class Tokenization:
    """How texts become tokens: `kind` characters or words; at most `vocabulary_size` tokens
    per vocabulary, specials included (None: every training token); sources cut to
    `source_length` tokens and targets to `target_length` (None: the longest in training)."""

    kind: str = "characters"
    vocabulary_size: int | None = None
    source_length: int | None = None
    target_length: int | None = None


@dataclass(frozen=True)
class Vocabularies:
    """A source and a target vocabulary (index = id), and the padded lengths: sources of
    `source_length` ids; targets of `target_length` tokens plus [start] and [end]."""

    kind: str
    source: list[str]
    target: list[str]
    source_length: int
    target_length: int

    @property
    def decoder_length(self) -> int:
        """The decoder's steps: [start] and the target's tokens in, the tokens and [end] out."""
        return self.target_length + 1

    def encode_sources(self, texts) -> np.ndarray:
        return _encode(texts, self.kind, self.source, self.source_length, False)

    def encode_targets(self, texts) -> np.ndarray:
        """(examples, decoder_length + 1) ids: [start], the tokens (cut to target_length),
        [end], then padding."""
        return _encode(texts, self.kind, self.target, self.target_length, True)

    def decode(self, ids: np.ndarray) -> list[str]:
        """Target ids (no [start]) to texts, each ending at its first [end] or padding."""
        texts = []
        for row in np.asarray(ids):
            tokens = []
            for index in row:
                if index in (END, PAD):
                    break
                if index != START:  # [UNK] is written as such
                    tokens.append(self.target[index])
            texts.append(joined(tokens, self.kind))
        return texts

    def to_json(self) -> dict:
        return {
            "tokens": self.kind,
            "source_length": self.source_length,
            "target_length": self.target_length,
            "source_vocabulary": self.source,
            "target_vocabulary": self.target,
        }

    @classmethod
    def from_json(cls, saved: dict) -> Vocabularies:
        return cls(
            saved["tokens"],
            list(saved["source_vocabulary"]),
            list(saved["target_vocabulary"]),
            int(saved["source_length"]),
            int(saved["target_length"]),
        )


def _encode(texts, kind: str, vocabulary: list[str], length: int, framed: bool) -> np.ndarray:
    index = {token: i for i, token in enumerate(vocabulary) if i > END}
    width = length + 2 if framed else length
    ids = np.zeros((len(texts), width), dtype="int32")
    for row, text in enumerate(texts):
        tokens = [index.get(token, UNKNOWN) for token in tokenize(str(text), kind)[:length]]
        if framed:
            tokens = [START, *tokens, END]
        ids[row, : len(tokens)] = tokens
    return ids


def vocabulary(texts, kind: str, size: int | None) -> list[str]:
    """The specials, then tokens by falling frequency (ties in character order): the
    `size` most frequent, specials included."""
    counts = Counter(token for text in texts for token in tokenize(str(text), kind))
    ranked = sorted(counts, key=lambda token: (-counts[token], token))
    ranked = [token for token in ranked if token not in SPECIALS]
    keep = None if size is None else max(0, size - len(SPECIALS))
    return [*SPECIALS, *ranked[:keep]]


def longest(texts, kind: str) -> int:
    return max((len(tokenize(str(text), kind)) for text in texts), default=1) or 1


@dataclass(eq=False)
class Corpus:
    """The training texts the vocabularies are built from, once per tokenization;
    `sentences`: the targets are sentences, which BLEU scores (not dates)."""

    sources: np.ndarray
    targets: np.ndarray
    sentences: bool = True
    built: dict = field(default_factory=dict, repr=False)

    def vocabularies(self, tokenization: Tokenization) -> Vocabularies:
        if tokenization not in self.built:
            kind = tokenization.kind
            self.built[tokenization] = Vocabularies(
                kind,
                vocabulary(self.sources, kind, tokenization.vocabulary_size),
                vocabulary(self.targets, kind, tokenization.vocabulary_size),
                tokenization.source_length or longest(self.sources, kind),
                tokenization.target_length or longest(self.targets, kind),
            )
        return self.built[tokenization]


@dataclass(eq=False)
class TextPairs:
    """The source texts of one split, and the training corpus they are encoded against; the
    targets are the split's `y`. Indexed by positions like an array (the splits cut it)."""

    sources: np.ndarray
    corpus: Corpus

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, index) -> TextPairs:
        return TextPairs(self.sources[index], self.corpus)

    def joined(self, other: TextPairs) -> TextPairs:
        """These sources, then `other`'s, against this corpus (training and validation)."""
        return TextPairs(np.concatenate([self.sources, other.sources]), self.corpus)

    @classmethod
    def split(
        cls, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, sentences: bool = True
    ) -> tuple[TextPairs, TextPairs]:
        """Training and test sources, both against the training corpus."""
        corpus = Corpus(x_train, y_train, sentences)
        return cls(x_train, corpus), cls(x_test, corpus)
