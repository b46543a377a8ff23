"""
Title: Regression with K-fold validation
Why: on a few hundred examples a single validation split is a noisy judge, so this recipe
scores the configuration with K-fold cross-validation (mean ± std over folds), then trains
one final model on all training data for the mean best epoch count and tests it once —
the protocol of "Deep Learning with Python", chapter 4 (Boston housing).

A linear output trained with mean squared error, reported as mean absolute error, against
the baseline of always predicting the training mean.

Default data: scikit-learn's diabetes progression set (442 patients, 10 features, offline).
Variant: `regression-boston.yaml` — the Boston housing prices of keras.datasets.
"""

import keras

from common.data.splits import Split
from common.modeling import dense
from recipes.options.regression import Options

TASK = "regression"


def build_model(split: Split, options: Options) -> keras.Model:
    return dense.tabular_model(split, options, TASK, name="regressor")
