"""
Title: Binary classification with a regularised dense network
Why: the smallest complete supervised recipe — standardised tabular features, a Dense stack,
one sigmoid unit trained with binary cross-entropy, judged against the majority-class baseline.

Default data: scikit-learn's Wisconsin breast-cancer set (569 tumours, 30 features, offline).
Variant: `binary-imdb.yaml` — IMDB reviews as multi-hot vectors over the 10,000 most frequent
words, with the Dense(16) -> Dense(16) model of "Deep Learning with Python", chapter 4.

The network is the one the tabular recipes share (`common.modeling.dense.tabular_model`):
the features standardised inside the model, the Dense stack of `model.units`, and the task's
head; the head, loss, metrics and baseline come from the standard table in
`common.modeling.tasks`. So this file only says which task it is.
"""

import keras

from common.data.splits import Split
from common.modeling import dense
from recipes.options.binary import Options

TASK = "binary"


def build_model(split: Split, options: Options) -> keras.Model:
    return dense.tabular_model(split, options, TASK, name="binary_classifier")
