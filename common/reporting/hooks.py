"""The `report` hooks recipes share: what a finished run adds to metrics.json and its folder.

    report = hooks.classifier_report      # in an image classifier recipe (convnet, resnet, ...)

The driver calls a recipe's `report(model, dataset, run, test)` once the test split is scored
(`common.training.recipe` states the contract); a hook looks at the trained model and returns
the entries it adds to metrics.json. They live in reporting, beside what they draw, so the
modeling blocks a recipe builds with never reach up into reporting.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from common.config.run_info import RunInfo
from common.data.dataset import Dataset
from common.modeling.predicting import SplitOutputs
from common.reporting.inspect import inspect_classifier


def classifier_report(
    model: keras.Model, dataset: Dataset, run: RunInfo, test: SplitOutputs | None
) -> dict[str, Any]:
    """A look inside the classifier (`common.reporting.inspect`): confusion matrix and
    per-class scores, the worst mistakes, Grad-CAM, first-layer filters and activations, in
    `run.dir/inspect/` and TensorBoard's Images tab, from the test pass the scores came from
    (`test`). `output.plot: false` skips the pictures."""
    if not run.output.plot:
        return {}
    log_dir = run.dir / "logs" / "inspect" if run.output.tensorboard.enabled else None
    names = dataset.class_names or [str(k) for k in range(int(np.max(dataset.y_train)) + 1)]
    return {
        "inspect": inspect_classifier(
            model,
            dataset.x_test,
            dataset.y_test,
            names,
            run.dir,
            log_dir=log_dir,
            batch_size=run.data.batch_size,
            outputs=None if test is None else test.outputs,
        )
    }
