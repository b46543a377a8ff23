from dataclasses import dataclass, field

from common.modeling.options import activation, dropout_rate, widths

CELLS = ("lstm", "gru", "simple")
ENCODERS = ("rnn", "transformer")


@dataclass
class Options:
    """The `rnn` recipe's model keys: an encoder that reads a sequence (a window of a series,
    rows of pixels, words), then the head."""

    # rnn: recurrent layers; transformer: DLwP ch. 11's encoder (token sequences only).
    encoder: str = field(default="rnn", metadata={"choices": ENCODERS})
    cell: str = field(default="lstm", metadata={"choices": CELLS})
    units: list[int] = widths(32)  # one recurrent layer each; all but the last return sequences
    bidirectional: bool = False  # read the sequence both ways (text; not for forecasting)
    recurrent_dropout: float = dropout_rate(0.0)  # on the recurrent state, inside each cell
    dropout: float = dropout_rate(0.0)  # a Dropout layer between the encoder and the head
    # Conv1D + MaxPooling1D per entry of conv_filters before the RNN: long sequences shrink.
    conv_front_end: bool = False
    conv_filters: list[int] = widths(32, 32)
    kernel_size: int = field(default=5, metadata={"min": 1})
    pool_size: int = field(default=2, metadata={"min": 1})
    activation: str = activation()  # of the conv front end and the transformer's projection
    embedding_dim: int = field(default=128, metadata={"min": 1})  # words: Embedding width
    num_heads: int = field(default=2, metadata={"min": 1})  # transformer
    dense_dim: int = field(default=32, metadata={"min": 1})  # transformer: projection width
