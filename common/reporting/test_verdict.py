"""The verdict's judgement on made-up evidence: intervals, each diagnosis, and its next steps."""

from __future__ import annotations

import numpy as np

from common.reporting.verdict import Evidence, compare, judge, lines, outcome, skill


def correct(count: int, right: int, seed: int = 0) -> np.ndarray:
    values = np.zeros(count)
    values[np.random.default_rng(seed).permutation(count)[:right]] = 1.0
    return values


def test_two_close_accuracies_on_114_examples_are_a_tie():
    """0.984 vs 0.982 reads as a tie; a 0.98 model against a 0.63 baseline as a win."""
    model = correct(114, 112)
    other = model.copy()
    other[np.flatnonzero(model)[:1]] = 0.0  # one example fewer right
    assert outcome(compare(model, other, higher_is_better=True)) == "tie"
    baseline = correct(114, 72, seed=1)
    result = compare(model, baseline, higher_is_better=True)
    assert outcome(result) == "better" and 0.2 < result["low"] < result["high"] < 0.5


def test_errors_compare_the_right_way_round():
    model, other = np.full(200, 1.0), np.full(200, 2.0)
    assert outcome(compare(model, other, higher_is_better=False)) == "better"
    assert outcome(compare(other, model, higher_is_better=False)) == "worse"


def test_a_large_test_split_uses_the_normal_approximation():
    rng = np.random.default_rng(0)
    model = rng.normal(1.0, 0.5, 20_000)
    result = compare(model, model + 0.02, higher_is_better=False)
    assert result["method"] == "normal approximation" and outcome(result) == "better"


def test_skill_measures_from_the_baseline_to_perfect():
    assert skill(0.75, 0.5, "accuracy", True) == 0.5
    assert skill(5.0, 10.0, "mae", False) == 0.5
    assert skill(0.4, 0.5, "accuracy", True) < 0


def evidence(**changes) -> Evidence:
    """A healthy binary run: test 0.95 against a 0.6 baseline on 200 examples."""
    values = {
        "metric": "accuracy",
        "higher_is_better": True,
        "test": 0.95,
        "baseline": 0.6,
        "train": 0.97,
        "train_time": 0.96,
        "validation": 0.95,
        "options": {
            "units": [16],
            "dropout": 0.0,
            "l2": 0.0,
            "batch_norm": True,
            "normalize": True,
        },
        "context": {"epochs": 20, "learning_rate": 1e-3, "validation_examples": 100},
        "per_example": {"model": correct(200, 190), "baseline": correct(200, 120, seed=3)},
    }
    values.update(changes)
    return Evidence(**values)


def test_a_healthy_run_is_fine_and_says_what_next():
    verdict = judge(evidence())
    assert verdict["beats_baseline"] is True and verdict["beats_reference"] is None
    assert verdict["diagnosis"] == "fine" and verdict["next_steps"]
    assert lines(verdict)[0].startswith("verdict: beats the baseline: fine")


def test_random_labels_did_not_learn():
    per_example = {"model": correct(200, 101), "baseline": correct(200, 100, seed=4)}
    verdict = judge(
        evidence(test=0.505, baseline=0.5, train=0.99, validation=0.49, per_example=per_example)
    )
    assert verdict["beats_baseline"] is False and verdict["diagnosis"] == "did not learn"
    assert any("memorises" in step for step in verdict["next_steps"])


def test_a_wide_gap_to_validation_overfits():
    verdict = judge(evidence(train=1.0, validation=0.8, test=0.8, per_example={}))
    assert verdict["diagnosis"] == "overfits"
    assert any("model.dropout" in step for step in verdict["next_steps"])


def test_batchnorm_trouble_is_a_mismatch():
    verdict = judge(evidence(train_time=1.0, train=0.5, test=0.5, validation=0.5))
    assert verdict["diagnosis"] == "mismatch"
    assert "model.batch_norm=false" in verdict["next_steps"][0]


def test_test_well_below_a_tuned_validation():
    verdict = judge(evidence(train=0.99, validation=0.97, test=0.85, tuned=True, per_example={}))
    assert verdict["diagnosis"] == "tuned to its validation"
    assert any("data.split=kfold" in step for step in verdict["next_steps"])


def test_a_reference_far_ahead_means_underfitting():
    per_example = {
        "model": correct(300, 240),
        "baseline": correct(300, 180, seed=5),
        "reference": np.ones(300),
    }
    verdict = judge(
        evidence(
            test=0.8,
            train=0.81,
            train_time=0.8,
            validation=0.8,
            reference=1.0,
            reference_model="SVC",
            per_example=per_example,
        )
    )
    assert verdict["beats_reference"] is False and verdict["diagnosis"] == "underfits"
    assert any("SVC" in step for step in verdict["next_steps"])


def test_scores_without_an_interval_tie_within_five_percent():
    verdict = judge(
        Evidence(metric="inception_score", higher_is_better=True, test=1.02, baseline=1.0)
    )
    assert verdict["baseline"]["method"].startswith("scores only")
    assert verdict["diagnosis"] == "did not learn"
