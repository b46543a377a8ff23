from dataclasses import dataclass, field

from common.modeling.options import dropout_rate

ARCHITECTURES = ("attention_rnn", "transformer")


@dataclass
class Options:
    """The `seq2seq` recipe's model keys: how texts become tokens, the encoder-decoder, and
    how new outputs are decoded."""

    # attention_rnn: bidirectional RNN encoder, RNN decoder, attention; transformer: DLwP ch. 11.
    architecture: str = field(default="attention_rnn", metadata={"choices": ARCHITECTURES})
    # characters (dates, short strings) or words (sentences: lower case, punctuation dropped).
    tokens: str = field(default="characters", metadata={"choices": ("characters", "words")})
    # At most this many tokens per vocabulary, the 4 specials included (null: all).
    vocabulary_size: int | None = field(default=None, metadata={"min": 5})
    # Sources and targets cut to this many tokens (null: the longest in training).
    source_length: int | None = field(default=None, metadata={"min": 1})
    target_length: int | None = field(default=None, metadata={"min": 1})
    embedding_dim: int = field(default=32, metadata={"min": 1})
    dropout: float = dropout_rate(0.0)  # before the softmax (and in the Transformer's attention)
    # attention_rnn
    cell: str = field(default="gru", metadata={"choices": ("gru", "lstm")})
    units: int = field(default=64, metadata={"min": 1})  # per direction; the decoder has twice
    attention: str = field(default="additive", metadata={"choices": ("additive", "dot")})
    # transformer
    num_layers: int = field(default=2, metadata={"min": 1})  # encoder and decoder blocks each
    num_heads: int = field(default=4, metadata={"min": 1})
    dense_dim: int = field(default=128, metadata={"min": 1})  # the blocks' projection width
    # Decoding: 1 is greedy; more keeps that many hypotheses (a beam search).
    beam_width: int = field(default=1, metadata={"min": 1})
    # Beam search ranks finished outputs by log-probability / length**length_penalty.
    length_penalty: float = field(default=0.0, metadata={"min": 0.0})
    attention_examples: int = field(default=4, metadata={"min": 0})  # test inputs pictured
