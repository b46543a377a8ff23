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

from common.data.splits import Split
from common.modeling import dense
from recipes.options.multiclass import Options

TASK = "multiclass"


def build_model(split: Split, options: Options) -> keras.Model:
    return dense.tabular_model(split, options, TASK, name="multiclass_classifier")
