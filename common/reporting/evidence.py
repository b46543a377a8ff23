"""What a run's verdict reads (`common.reporting.verdict` judges it, `common.reporting.advice`
turns its diagnosis into next steps; `common.training.judging` gathers it from a run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Evidence:
    """What a run's verdict reads. Scores are the key `metric`; `per_example` holds, for
    "model", "baseline" and "reference", that metric per test example (1/0 correct, or the
    absolute error) in one order, where known; "validation" holds the model's on validation."""

    metric: str
    higher_is_better: bool
    test: float
    baseline: float | None = None
    reference: float | None = None
    reference_model: str | None = None
    train: float | None = None  # the training split in inference mode
    train_time: float | None = None  # the training-time metric of the kept epoch (history)
    validation: float | None = None
    validation_kind: str = "validation split"  # or "K-fold validation"
    tuned: bool = False  # the config came from a sweep's best trial
    still_improving: bool = False  # the best epoch was the last of the trainer's epochs
    per_example: dict[str, np.ndarray] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # the recipe's model options
    context: dict[str, Any] = field(default_factory=dict)  # recipe, data kind, sizes
