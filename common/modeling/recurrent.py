"""Sequence blocks for the Functional API: recurrent stacks, a convolutional front end, and the
Transformer encoder of "Deep Learning with Python", ch. 11, as the alternative to recurrence.

    conv_front_end      Conv1D -> MaxPooling1D per entry of `filters`: a long sequence
                        becomes a shorter one of local patterns before the RNN reads it
                        (DLwP, 1st ed., 6.4.4)
    recurrent_stack     LSTM | GRU | SimpleRNN per entry of `units`, optionally
                        Bidirectional; every layer but the last returns its whole sequence
    PositionalEmbedding token embedding + learned position embedding, padding masked
    transformer_encoder multi-head self-attention and a dense projection, each with a
                        residual connection and layer normalization

`keras.layers` and `keras.ops` only, so the models also build on JAX. The one custom layer is
registered for `keras.saving.load_model(..., safe_mode=True)`.
"""

from __future__ import annotations

import keras
from keras import layers, ops

CELLS = {"lstm": layers.LSTM, "gru": layers.GRU, "simple": layers.SimpleRNN}


def conv_front_end(
    x: keras.KerasTensor,
    filters: list[int],
    kernel_size: int,
    pool_size: int,
    activation: str = "relu",
) -> keras.KerasTensor:
    for index, width in enumerate(filters, start=1):
        x = layers.Conv1D(
            width, kernel_size, padding="same", activation=activation, name=f"conv_{index}"
        )(x)
        x = layers.MaxPooling1D(pool_size, padding="same", name=f"pool_{index}")(x)
    return x


def recurrent_stack(
    x: keras.KerasTensor,
    cell: str,
    units: list[int],
    bidirectional: bool = False,
    recurrent_dropout: float = 0.0,
) -> keras.KerasTensor:
    """Stacked recurrent layers; the last one returns its final state only. A Keras mask on
    `x` (padding) is followed by every layer."""
    for index, width in enumerate(units, start=1):
        last = index == len(units)
        layer = CELLS[cell](
            width,
            recurrent_dropout=recurrent_dropout,
            return_sequences=not last,
            name=f"{cell}_{index}",
        )
        if bidirectional:
            layer = layers.Bidirectional(layer, name=f"bidirectional_{index}")
        x = layer(x)
    return x


@keras.saving.register_keras_serializable(package="cookbook")
class PositionalEmbedding(layers.Layer):
    """Word embedding plus a learned embedding of each position (DLwP, listing 11.24):
    self-attention alone cannot tell word order. Index 0 is padding, masked downstream."""

    def __init__(self, sequence_length: int, vocabulary_size: int, output_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = sequence_length
        self.vocabulary_size = vocabulary_size
        self.output_dim = output_dim
        self.token_embeddings = layers.Embedding(vocabulary_size, output_dim, name="tokens")
        self.position_embeddings = layers.Embedding(sequence_length, output_dim, name="positions")

    def build(self, input_shape):
        self.token_embeddings.build(input_shape)
        self.position_embeddings.build((input_shape[-1],))
        super().build(input_shape)

    def call(self, inputs):
        positions = ops.arange(0, ops.shape(inputs)[-1])
        return self.token_embeddings(inputs) + self.position_embeddings(positions)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "sequence_length": self.sequence_length,
            "vocabulary_size": self.vocabulary_size,
            "output_dim": self.output_dim,
        }


def transformer_encoder(
    x: keras.KerasTensor,
    dense_dim: int,
    num_heads: int,
    activation: str = "relu",
    name: str = "encoder",
) -> keras.KerasTensor:
    """DLwP's TransformerEncoder (listing 11.21) as Functional layers: self-attention over the
    sequence (padding masked: Keras passes the mask to MultiHeadAttention), add and normalize,
    a two-layer dense projection, add and normalize."""
    embed_dim = x.shape[-1]
    attention = layers.MultiHeadAttention(num_heads, key_dim=embed_dim, name=f"{name}_attention")(
        x, x
    )
    x = layers.LayerNormalization(name=f"{name}_norm_1")(
        layers.Add(name=f"{name}_residual_1")([x, attention])
    )
    projection = layers.Dense(dense_dim, activation=activation, name=f"{name}_dense_1")(x)
    projection = layers.Dense(embed_dim, name=f"{name}_dense_2")(projection)
    return layers.LayerNormalization(name=f"{name}_norm_2")(
        layers.Add(name=f"{name}_residual_2")([x, projection])
    )
