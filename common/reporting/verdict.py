"""The verdict every finished run ends with: did it beat the baseline and the reference beyond
noise, what its training, validation and test scores say, and what to try next.

    evidence = Evidence(metric="accuracy", test=0.5, baseline=0.5, train=0.98, ...)
    verdict = judge(evidence)        # the dict written to metrics.json["verdict"]
    print("\n".join(lines(verdict))) # the one or two lines under the console table

It is the first step of the workflow Deep Learning with Python (ch. 6) teaches, made
mechanical: beat a common-sense baseline, then fit the training data, then close the gap to
validation; and deeplearning.ai's bias/variance reading of training, validation and test error.

**Beyond noise.** A test difference is a mean over test examples, so it gets an interval: the
paired bootstrap (each resample draws the same examples for both models, 2,000 resamples,
seeded) of the mean per-example difference in the key metric (correct or not, absolute error);
past `BOOTSTRAP_LIMIT` examples the normal approximation, which it converges to. "0.984 vs
0.982 on 114 examples" is then a tie (the interval holds zero), not a win.

**Diagnosis.** Scores are compared as *skill*: the share of the way from the baseline to a
perfect score (accuracy: (a - base) / (1 - base); an error: 1 - error / base), so a gap means
the same on every dataset. In this order, the first that holds:

    mismatch        the training set scored in inference mode far below the training-time
                    metric: BatchNorm statistics or dropout behave unlike training
    did not learn   no better than the baseline on the test split
    tuned to its validation   test skill well below validation skill, beyond noise
    overfits        training skill far above validation (or test) skill
    underfits       the reference beats it, or it was still improving when training ended
    fine            none of these
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from common.reporting.advice import next_steps
from common.reporting.evidence import Evidence

BOOTSTRAP_LIMIT = 5_000  # examples, past which the normal approximation stands in
RESAMPLES = 2_000
CONFIDENCE = 0.95
MISMATCH_GAP = 0.2  # skill lost between training-time and inference-mode training scores
OVERFIT_GAP = 0.1  # skill lost between training and validation (or test)
TUNED_GAP = 0.1  # skill lost between validation and test, also beyond 2 standard errors
SCORES_ONLY_TIE = 0.05  # a relative difference that counts as a tie where there is no interval
# Higher-is-better metrics and their best value.
PERFECT = {
    name: 1.0 for name in ("accuracy", "auc", "mean_iou", "pixel_accuracy", "exact_match", "bleu")
}
PERFECT["character_accuracy"] = 1.0
DIAGNOSES = ("mismatch", "did not learn", "tuned to its validation", "overfits", "underfits")


def compare(
    model: np.ndarray, other: np.ndarray, higher_is_better: bool, seed: int = 0
) -> dict[str, float | str | int]:
    """The model's mean advantage over `other` per example (positive: the model is better)
    and its interval, paired: both are read on the same resampled examples."""
    advantage = np.asarray(model, "float64") - np.asarray(other, "float64")
    if not higher_is_better:
        advantage = -advantage
    count = len(advantage)
    mean = float(advantage.mean())
    alpha = (1 - CONFIDENCE) / 2
    if count <= BOOTSTRAP_LIMIT:
        rng = np.random.default_rng(seed)
        means = np.concatenate(
            [
                advantage[rng.integers(0, count, (200, count))].mean(axis=1)
                for _ in range(RESAMPLES // 200)
            ]
        )
        low, high = np.quantile(means, [alpha, 1 - alpha])
        method = "paired bootstrap"
    else:
        spread = 1.959964 * float(advantage.std(ddof=1)) / math.sqrt(count)
        low, high = mean - spread, mean + spread
        method = "normal approximation"
    return {
        "difference": mean,
        "low": float(low),
        "high": float(high),
        "examples": count,
        "method": method,
    }


def outcome(comparison: dict[str, Any]) -> str:
    """better / worse / tie: whether the interval lies above zero, below it, or holds it."""
    if comparison["low"] > 0:
        return "better"
    if comparison["high"] < 0:
        return "worse"
    return "tie"


def skill(score: float | None, baseline: float | None, metric: str, higher: bool) -> float | None:
    """The share of the way from the baseline to a perfect score (0: the baseline, 1: perfect,
    negative: worse than the baseline); None without a baseline to measure from."""
    if score is None or baseline is None:
        return None
    if higher:
        perfect = PERFECT.get(metric)
        if perfect is None or perfect == baseline:
            return None
        return (score - baseline) / (perfect - baseline)
    if baseline <= 0:
        return None
    return 1.0 - score / baseline


def judge(evidence: Evidence) -> dict[str, Any]:
    """The verdict: beats_baseline, beats_reference, the intervals, a diagnosis, its reason
    and the next steps (see the module's docstring)."""
    e = evidence
    verdict: dict[str, Any] = {"metric": e.metric, "higher_is_better": e.higher_is_better}
    against_baseline = versus(e, "baseline", e.baseline)
    against_reference = versus(e, "reference", e.reference)
    verdict["baseline"] = against_baseline
    verdict["reference"] = against_reference
    verdict["beats_baseline"] = against_baseline is not None and against_baseline["outcome"] == (
        "better"
    )
    verdict["beats_reference"] = (
        None if against_reference is None else against_reference["outcome"] == "better"
    )
    skills = {
        name: skill(value, e.baseline, e.metric, e.higher_is_better)
        for name, value in (
            ("train", e.train),
            ("train_time", e.train_time),
            ("validation", e.validation),
            ("test", e.test),
        )
    }
    verdict["skill"] = {name: value for name, value in skills.items() if value is not None}
    diagnosis, reason = diagnose(e, skills, against_baseline, against_reference)
    verdict["diagnosis"] = diagnosis
    verdict["reason"] = reason
    verdict["next_steps"] = next_steps(diagnosis, e, against_reference, skills["train"])
    return verdict


def versus(e: Evidence, name: str, score: float | None) -> dict[str, Any] | None:
    """The model against the baseline or the reference: the interval from per-example values
    where both are known, else the plain difference of the scores (no interval)."""
    if score is None:
        return None
    model_values, other_values = e.per_example.get("model"), e.per_example.get(name)
    if (
        model_values is not None
        and other_values is not None
        and len(model_values) == len(other_values)
        and len(model_values) > 1
    ):
        comparison = compare(model_values, other_values, e.higher_is_better)
    else:
        difference = (e.test - score) if e.higher_is_better else (score - e.test)
        comparison = {"difference": float(difference), "low": float(difference)}
        comparison.update(high=float(difference), method="scores only (no interval)")
    comparison["score"] = float(score)
    comparison["outcome"] = outcome(comparison)
    if comparison["method"].startswith("scores only"):
        # No interval to tell noise from a difference: one under SCORES_ONLY_TIE of the
        # scores counts as a tie.
        scale = max(abs(score), abs(e.test), 1e-12)
        if abs(comparison["difference"]) < SCORES_ONLY_TIE * scale:
            comparison["outcome"] = "tie"
    return comparison


def diagnose(
    e: Evidence,
    skills: dict[str, float | None],
    baseline: dict[str, Any] | None,
    reference: dict[str, Any] | None,
) -> tuple[str, str]:
    """The first diagnosis that holds, and the figures that made it."""
    m = e.metric
    train, train_time = skills["train"], skills["train_time"]
    # The gap to overfit by is the kept model's own: its validation split, else its test
    # split (K-fold's validation scores are the fold models', not the final model's).
    own_validation = skills["validation"] is not None and "fold" not in e.validation_kind
    held_out_name = "validation" if own_validation else "test"
    held_out = skills[held_out_name]
    if train is not None and train_time is not None and train_time - train > MISMATCH_GAP:
        return "mismatch", (
            f"training {m} {e.train_time:.4g} while training, but {e.train:.4g} on the same "
            "examples in inference mode: the model behaves differently when it predicts"
        )
    if baseline is not None and baseline["outcome"] != "better":
        fits = f"; training {m} {e.train:.4g}" if e.train is not None else ""
        return "did not learn", (
            f"test {m} {e.test:.4g} against the baseline's {e.baseline:.4g} "
            f"({interval_text(baseline)}){fits}"
        )
    if (
        skills["validation"] is not None
        and skills["test"] is not None
        and skills["validation"] - skills["test"] > TUNED_GAP
        and beyond_noise(e)
    ):
        how = "picked by a sweep on it" if e.tuned else "its best epoch picked on it"
        return "tuned to its validation", (
            f"{e.validation_kind} {m} {e.validation:.4g} but test {e.test:.4g} ({how})"
        )
    if train is not None and held_out is not None and train - held_out > OVERFIT_GAP:
        held_out_score = e.validation if held_out_name == "validation" else e.test
        return "overfits", (
            f"training {m} {e.train:.4g}, {held_out_name} {held_out_score:.4g}: "
            f"{train - held_out:.0%} of the way from the baseline to perfect lost"
        )
    if reference is not None and reference["outcome"] == "worse":
        gap = f", with no gap between training and {held_out_name} to explain it"
        return "underfits", (
            f"the reference ({e.reference_model}) scores {e.reference:.4g} against "
            f"{e.test:.4g} ({interval_text(reference)})" + (gap if train is not None else "")
        )
    if e.still_improving:
        return "underfits", "still improving at the last epoch: the schedule ended it, not the data"
    if baseline is None:
        return "fine", "no baseline to compare with"
    said = f"{m} {interval_text(baseline)} over the baseline"
    if reference is not None:
        said += f", {interval_text(reference)} over the reference ({e.reference_model})"
    if "examples" in baseline:
        said += f", on {baseline['examples']} test examples"
    return "fine", said


def beyond_noise(e: Evidence) -> bool:
    """Whether validation above test is more than two standard errors of the two means
    (different examples, so unpaired); True when there are no per-example values to tell."""
    validation, test = e.per_example.get("validation"), e.per_example.get("model")
    if validation is None or test is None or len(validation) < 2 or len(test) < 2:
        return True
    gap = validation.mean() - test.mean()
    if not e.higher_is_better:
        gap = -gap
    error = math.sqrt(validation.var(ddof=1) / len(validation) + test.var(ddof=1) / len(test))
    return gap > 2 * error


def signed(value: float) -> str:
    return f"{value:+.3f}" if abs(value) < 100 else f"{value:+,.0f}"


def interval_text(comparison: dict[str, Any] | None) -> str:
    """'+0.021 [-0.008, +0.052]' — the model's advantage and its interval."""
    if comparison is None:
        return "nothing to compare with"
    if comparison["method"].startswith("scores only"):
        return f"{signed(comparison['difference'])}, no interval"
    return (
        f"{signed(comparison['difference'])} "
        f"[{signed(comparison['low'])}, {signed(comparison['high'])}]"
    )


def headline(verdict: dict[str, Any]) -> str:
    """One line: beats the baseline or not (and the reference), and the diagnosis."""
    parts = []
    baseline = verdict.get("baseline")
    if baseline is not None:
        word = {"better": "beats", "tie": "ties with", "worse": "is worse than"}
        parts.append(f"{word[baseline['outcome']]} the baseline")
    reference = verdict.get("reference")
    if reference is not None:
        word = {"better": "beats", "tie": "ties with", "worse": "trails"}
        parts.append(f"{word[reference['outcome']]} the reference")
    said = " and ".join(parts) or "no baseline to judge by"
    return f"{said}: {verdict['diagnosis']}"


def lines(verdict: dict[str, Any]) -> list[str]:
    """What the console prints under the table: the headline with its reason, then the first
    next step."""
    shown = [f"verdict: {headline(verdict)} — {verdict['reason']}"]
    if verdict["next_steps"]:
        shown.append(f"next: {verdict['next_steps'][0]}")
    return shown
