"""The verdict of a sweep: does its best trial beat the baseline on the validation split it
was picked on, and is it told apart from the runners-up beyond noise?

A sweep reads one validation split many times; its best trial is partly the split's noise
(binary's 10 random trials on 91 validation examples picked a config whose test loss was worse
than the default's: 0.196 vs 0.117). So the sweep's verdict counts the trials within two
standard errors of the best on the key metric (accuracy: sqrt(p(1 - p) / n); other metrics:
their spread is not known from one score, and no count is given), and always ends with the
test the sweep never saw: train best.yaml, whose run gets its own verdict on the test split.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from common.config.schema import higher_is_better
from common.reporting import verdict as verdict_module
from common.training.judging import KEY_METRICS
from common.tuning.hypermodel import ConfigHyperModel

if TYPE_CHECKING:
    import keras_tuner


def trial_value(trial, name: str) -> float | None:
    """`name` at the trial's best step (the epoch its objective was best)."""
    if not trial.metrics.exists(name):
        return None
    history = trial.metrics.get_history(name)
    at_best = [obs.value for obs in history if obs.step == trial.best_step]
    values = at_best or [history[-1].value]
    value = values[0][0] if isinstance(values[0], list) else values[0]
    return float(value)


def sweep_verdict(
    tuner: keras_tuner.Tuner, hypermodel: ConfigHyperModel, best_yaml: str
) -> dict[str, Any] | None:
    """The best completed trial against the validation baseline, and how many trials tie
    with it; None when no trial logged the task's key metric."""
    trials = [t for t in tuner.oracle.get_best_trials(len(tuner.oracle.trials)) if t.score]
    trials = [t for t in trials if t.status == "COMPLETED"]
    metric = KEY_METRICS.get(hypermodel.recipe.task)
    if not trials or metric is None:
        return None
    name = f"val_{metric}"
    best = trials[0]
    value = trial_value(best, name)
    if value is None:
        return None
    config = hypermodel.trial_config(best.hyperparameters)
    split = hypermodel.split(config)
    baseline = hypermodel.recipe.baseline(split, split.x_val, split.y_val, config.trainer)
    higher = higher_is_better(metric)
    evidence = verdict_module.Evidence(
        metric=metric,
        higher_is_better=higher,
        test=value,
        baseline=baseline.get(metric),
        tuned=True,
        context={"split": "holdout", "validation_examples": len(split.y_val)},
    )
    verdict = verdict_module.judge(evidence)
    examples = len(split.y_val)
    verdict["validation_examples"] = examples
    verdict["best"] = value
    if metric == "accuracy":
        error = math.sqrt(max(value * (1 - value), 1e-12) / examples)
        values = [trial_value(t, name) for t in trials]
        verdict["trials_within_noise"] = sum(
            v is not None and abs(v - value) <= 2 * error for v in values
        )
        verdict["standard_error"] = error
    verdict["next_steps"] = [
        f"score it once on the test split: cookbook train {best_yaml}",
        *(
            [
                f"{verdict['trials_within_noise']} trials lie within two standard errors of "
                f"the best on {examples} validation examples: score trials by K-fold "
                "(data.split=kfold) to tell them apart"
            ]
            if verdict.get("trials_within_noise", 0) > 1
            else []
        ),
    ]
    return verdict


def lines(verdict: dict[str, Any]) -> list[str]:
    """The sweep's verdict under its table: the best trial against the baseline, then what
    to do with it."""
    against = verdict["baseline"]
    word = "beats" if verdict["beats_baseline"] else "does not beat"
    said = (
        f"verdict: the best trial {word} the validation baseline ({verdict['metric']} "
        f"{verdict['best']:.4g} against {against['score']:.4g} on "
        f"{verdict['validation_examples']} validation examples)"
    )
    return [said, *(f"next: {step}" for step in verdict["next_steps"])]
