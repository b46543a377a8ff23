"""Encoder-decoder models for text pairs, trained with teacher forcing: the decoder reads the
target shifted right ([start], then the true previous tokens) and predicts each next token, so
a whole target trains in one pass.

    attention_rnn   a bidirectional GRU/LSTM encoder; a GRU/LSTM decoder started from the
                    encoder's final states; at each decoder step, attention over the encoded
                    source (Bahdanau's additive `AdditiveAttention` or Luong's dot-product
                    `Attention`), whose context and the decoder state make Luong's
                    "attentional hidden state" (Dense, tanh) before the softmax
                    (Luong et al., 2015; deeplearning.ai's date translator)
    transformer     DLwP ch. 11 / keras.io's English-to-Spanish Transformer: encoder blocks
                    (self-attention, dense projection), decoder blocks with causal
                    self-attention (`use_causal_mask=True`), cross-attention over the encoded
                    source and a dense projection, each with residual and layer norm

Both take {"source": source ids, "target_in": decoder ids} and give each decoder step's next-
token probabilities; padding (id 0) is masked in the source. The layer named by
`ATTENTION_LAYER` (the last cross-attention) also returns its attention scores, which
`attention_model` exposes for the pictures. `keras.layers` only: the models build on JAX too.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers, ops

from common.modeling.recurrent import PositionalEmbedding

ARCHITECTURES = ("attention_rnn", "transformer")
ATTENTION_LAYER = "attention"  # the (last) layer attending from the target to the source
CELLS = {"gru": layers.GRU, "lstm": layers.LSTM}


def inputs(source_length: int, decoder_length: int) -> dict[str, keras.KerasTensor]:
    return {
        "source": keras.Input(shape=(source_length,), dtype="int32", name="source"),
        "target_in": keras.Input(shape=(decoder_length,), dtype="int32", name="target_in"),
    }


def next_token(x: keras.KerasTensor, target_vocabulary: int, dropout: float) -> keras.KerasTensor:
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    return layers.Dense(
        target_vocabulary, activation="softmax", dtype="float32", name="next_token"
    )(x)


def attention_rnn(
    source_vocabulary: int,
    target_vocabulary: int,
    source_length: int,
    decoder_length: int,
    options: Any,
) -> keras.Model:
    """Bidirectional encoder -> decoder RNN (started from both directions' final states) ->
    attention over the source at every decoder step -> tanh(Dense[decoder; context]) -> softmax."""
    given = inputs(source_length, decoder_length)
    cell = CELLS[options.cell]
    width = 2 * options.units  # the decoder matches the two directions of the encoder
    source = layers.Embedding(
        source_vocabulary, options.embedding_dim, mask_zero=True, name="source_embedding"
    )(given["source"])
    encoded, *states = layers.Bidirectional(
        cell(options.units, return_sequences=True, return_state=True), name="encoder"
    )(source)
    if options.cell == "lstm":  # [h, c] forward, then backward
        states = [
            layers.Concatenate(name="encoder_h")([states[0], states[2]]),
            layers.Concatenate(name="encoder_c")([states[1], states[3]]),
        ]
    else:
        states = [layers.Concatenate(name="encoder_state")(states)]
    target = layers.Embedding(target_vocabulary, options.embedding_dim, name="target_embedding")(
        given["target_in"]
    )
    decoded = cell(width, return_sequences=True, name="decoder")(target, initial_state=states)
    attention = (
        layers.AdditiveAttention(name=ATTENTION_LAYER)
        if options.attention == "additive"
        else layers.Attention(use_scale=True, name=ATTENTION_LAYER)
    )
    context, _ = attention([decoded, encoded], return_attention_scores=True)
    attentional = layers.Dense(width, activation="tanh", name="attentional")(
        layers.Concatenate(name="decoder_and_context")([decoded, context])
    )
    outputs = next_token(attentional, target_vocabulary, options.dropout)
    return keras.Model(given, outputs, name="attention_rnn")


@keras.saving.register_keras_serializable(package="cookbook")
class PaddingMask(layers.Layer):
    """True where a token is not padding (id 0). Handed to the attention layers explicitly:
    `MultiHeadAttention` reads its inputs' masks off the tensors, and past the first `Add` of
    a residual block the tensor carries none (Keras 3.15; the pooling layers still get it),
    so a second block, and the decoder's cross-attention, would attend to the padding."""

    def call(self, ids):
        return ops.not_equal(ids, 0)

    def compute_output_shape(self, input_shape):
        return input_shape


def transformer_encoder(
    x: keras.KerasTensor, mask: keras.KerasTensor, options: Any, name: str
) -> keras.KerasTensor:
    """DLwP's TransformerEncoder: self-attention over the real source tokens, add and
    normalize, a two-layer dense projection, add and normalize."""
    width = x.shape[-1]
    attended = layers.MultiHeadAttention(
        options.num_heads,
        max(1, width // options.num_heads),
        dropout=options.dropout,
        name=f"{name}_attention",
    )(x, x, query_mask=mask, value_mask=mask)
    x = layers.LayerNormalization(name=f"{name}_norm_1")(
        layers.Add(name=f"{name}_residual_1")([x, attended])
    )
    return dense_projection(x, options, name, 2)


def dense_projection(x: keras.KerasTensor, options: Any, name: str, norm: int) -> keras.KerasTensor:
    width = x.shape[-1]
    projection = layers.Dense(options.dense_dim, activation="relu", name=f"{name}_dense_1")(x)
    projection = layers.Dense(width, name=f"{name}_dense_2")(projection)
    return layers.LayerNormalization(name=f"{name}_norm_{norm}")(
        layers.Add(name=f"{name}_residual_{norm}")([x, projection])
    )


def transformer_decoder(
    x: keras.KerasTensor,
    encoded: keras.KerasTensor,
    source_mask: keras.KerasTensor,
    options: Any,
    name: str,
    attention_name: str,
) -> keras.KerasTensor:
    """keras.io's TransformerDecoder as Functional layers: causal self-attention (each step
    sees only the steps before it, as when decoding), then attention over the real source
    tokens, then a dense projection; each added back and normalized."""
    key_dim = max(1, x.shape[-1] // options.num_heads)
    attended = layers.MultiHeadAttention(
        options.num_heads, key_dim, dropout=options.dropout, name=f"{name}_self_attention"
    )(x, x, use_causal_mask=True)
    x = layers.LayerNormalization(name=f"{name}_norm_1")(
        layers.Add(name=f"{name}_residual_1")([x, attended])
    )
    attended, _ = layers.MultiHeadAttention(
        options.num_heads, key_dim, dropout=options.dropout, name=attention_name
    )(x, encoded, value_mask=source_mask, return_attention_scores=True)
    x = layers.LayerNormalization(name=f"{name}_norm_2")(
        layers.Add(name=f"{name}_residual_2")([x, attended])
    )
    return dense_projection(x, options, name, 3)


def transformer(
    source_vocabulary: int,
    target_vocabulary: int,
    source_length: int,
    decoder_length: int,
    options: Any,
) -> keras.Model:
    """Token + position embeddings -> encoder blocks; target embeddings -> decoder blocks
    attending to the encoded source -> softmax."""
    given = inputs(source_length, decoder_length)
    source_mask = PaddingMask(name="source_mask")(given["source"])
    encoded = PositionalEmbedding(
        source_length, source_vocabulary, options.embedding_dim, name="source_embedding"
    )(given["source"])
    for index in range(1, options.num_layers + 1):
        encoded = transformer_encoder(encoded, source_mask, options, f"encoder_{index}")
    x = PositionalEmbedding(
        decoder_length, target_vocabulary, options.embedding_dim, name="target_embedding"
    )(given["target_in"])
    for index in range(1, options.num_layers + 1):
        last = index == options.num_layers
        x = transformer_decoder(
            x,
            encoded,
            source_mask,
            options,
            f"decoder_{index}",
            ATTENTION_LAYER if last else f"decoder_{index}_cross_attention",
        )
    return keras.Model(given, next_token(x, target_vocabulary, options.dropout), name="transformer")


BUILDERS = {"attention_rnn": attention_rnn, "transformer": transformer}


def attention_model(model: keras.Model) -> keras.Model:
    """The same layers, giving (next-token probabilities, attention weights): (examples,
    decoder steps, source tokens), or (examples, heads, steps, tokens) for a Transformer."""
    _, scores = model.get_layer(ATTENTION_LAYER).output
    return keras.Model(model.inputs, [model.outputs[0], scores], name=f"{model.name}_attention")
