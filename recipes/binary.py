"""
Title: Binary classification with a regularised dense network
Why: the smallest complete supervised recipe — standardised tabular features, a Dense stack,
one sigmoid unit trained with binary cross-entropy, judged against the majority-class baseline.

Default data: scikit-learn's Wisconsin breast-cancer set (569 tumours, 30 features, offline).
Variant: `binary-imdb.yaml` — IMDB reviews as multi-hot vectors over the 10,000 most frequent
words, with the Dense(16) -> Dense(16) model of "Deep Learning with Python", chapter 4.

The head, loss, metrics and baseline come from the standard table in `common.tasks`; this file
only says what the network between input and head looks like.
"""

import keras
from keras import layers

from common import models, tasks

TASK = "binary"


def build_model(split, options):
    if options.normalize:
        inputs, x = models.normalized_input(split.x_train)
    else:  # multi-hot text: already 0/1, nothing to standardise
        inputs = x = keras.Input(shape=split.x_train.shape[1:], name="features")
    x = models.dense_stack(
        x,
        options.units,
        activation=options.activation,
        dropout=options.dropout,
        l1=options.l1,
        l2=options.l2,
        batch_norm=options.batch_norm,
    )
    outputs = tasks.head(x, TASK, targets=split.y_train)
    return keras.Model(inputs, outputs, name="binary_classifier")
