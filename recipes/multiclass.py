"""
Title: Single-label multiclass classification with a softmax head
Why: the same dense network as the binary recipe, but one probability per class, trained
with sparse categorical cross-entropy (integer labels — no one-hot copy of the targets),
and judged against always predicting the most frequent class.

Default data: scikit-learn's 8x8 handwritten digits, flattened to 64 features (offline).
Variant: `multiclass-reuters.yaml` — Reuters newswires, 46 topics, multi-hot over 10,000
words, Dense(64) -> Dense(64) as in "Deep Learning with Python", chapter 4.
"""

import keras

from common.modeling import dense, preprocessing, tasks

TASK = "multiclass"


def build_model(split, options):
    inputs, x = preprocessing.model_input(split.x_train, normalize=options.normalize)
    x = dense.dense_stack(x, options)
    outputs = tasks.head(
        x,
        TASK,
        split.num_classes,
        targets=split.y_train,
        kernel_regularizer=dense.regularizer(options.l1, options.l2),
    )
    return keras.Model(inputs, outputs, name="multiclass_classifier")
