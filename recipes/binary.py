"""
Title: Binary classification with a regularised dense network
Why: the smallest complete supervised recipe — standardised tabular features, a Dense stack,
one sigmoid unit trained with binary cross-entropy, judged against the majority-class baseline.

Default data: scikit-learn's Wisconsin breast-cancer set (569 tumours, 30 features, offline).
Variant: `binary-imdb.yaml` — IMDB reviews as multi-hot vectors over the 10,000 most frequent
words, with the Dense(16) -> Dense(16) model of "Deep Learning with Python", chapter 4.

The head, loss, metrics and baseline come from the standard table in `common.modeling.tasks`;
this file only says what the network between input and head looks like.
"""

import keras

from common.modeling import dense, preprocessing, tasks

TASK = "binary"


def build_model(split, options):
    inputs, x = preprocessing.model_input(split.x_train, normalize=options.normalize)
    x = dense.dense_stack(x, options)
    outputs = tasks.head(
        x, TASK, targets=split.y_train, kernel_regularizer=dense.regularizer(options.l1, options.l2)
    )
    return keras.Model(inputs, outputs, name="binary_classifier")
