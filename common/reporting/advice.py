"""What to try next, for each diagnosis of `common.reporting.verdict`, in the run's own keys.

The steps are the workflow's (Deep Learning with Python ch. 6; deeplearning.ai's
bias/variance recipe): a model at the baseline needs signal checked first, then a working
optimisation; an underfitting model needs capacity or time; an overfitting one needs
regularisation, augmentation or data; a validation read too often needs K-fold. Each step
names the override that does it where the recipe has that key (`evidence.options`), so it can
be pasted after `cookbook train <config>`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from common.reporting.evidence import Evidence


def next_steps(
    diagnosis: str, e: Evidence, reference: dict[str, Any] | None, train_skill: float | None
) -> list[str]:
    """The steps for `diagnosis`, most useful first; `train_skill` is the training split's
    skill (see `verdict.skill`), which tells a model at the baseline that memorises from one
    that learned nothing at all."""
    if diagnosis == "did not learn":
        return [step for step in did_not_learn(e, reference, train_skill) if step]
    steps = STEPS.get(diagnosis, fine)(e, reference)
    return [step for step in steps if step]


def has(e: Evidence, *keys: str) -> bool:
    return all(key in e.options for key in keys)


def below(e: Evidence, key: str, value: float) -> bool:
    """Whether the run's `key` is a number under `value` (a step raising it makes sense)."""
    current = e.options.get(key)
    return isinstance(current, int | float) and not isinstance(current, bool) and current < value


def epochs_step(e: Evidence) -> str:
    epochs = int(e.context.get("epochs") or 0)
    return f"train longer: trainer.epochs={max(2 * epochs, epochs + 10)}" if epochs else ""


def learning_rate_step(e: Evidence, direction: str = "lower") -> str:
    rate = e.context.get("learning_rate")
    if not rate:
        return ""
    changed = rate / 3 if direction == "lower" else rate * 3
    return f"a {direction} learning rate: optimizer.learning_rate={changed:.2g}"


def capacity_step(e: Evidence) -> str:
    if has(e, "units"):
        return "a bigger model: more or wider layers, e.g. model.units=[64,64]"
    if has(e, "filters"):
        return "a bigger model: more filters or blocks, e.g. model.filters=[32,64,128]"
    return "a bigger model (more layers or units)"


def reference_step(e: Evidence, reference: dict[str, Any] | None) -> str:
    if reference is None or reference["outcome"] != "worse":
        return ""
    return (
        f"or keep the simpler model: the reference ({e.reference_model}) scores "
        f"{e.reference:.4g} on this split"
    )


def kfold_step(e: Evidence) -> str:
    if e.context.get("split") == "kfold":
        return ""
    examples = e.context.get("validation_examples")
    size = f" of {examples} examples" if examples else ""
    return (
        f"score settings by K-fold instead of one small validation split{size}: "
        "data.split=kfold data.folds=5"
    )


def did_not_learn(
    e: Evidence, reference: dict[str, Any] | None, train_skill: float | None
) -> list[str]:
    found_signal = reference is not None and e.reference is not None and e.baseline is not None
    if found_signal and (e.reference > e.baseline) == e.higher_is_better:
        signal = (
            f"the reference ({e.reference_model}) does find signal ({e.reference:.4g} against "
            f"the baseline's {e.baseline:.4g}): the network's training is the problem"
        )
    elif reference is not None:
        signal = (
            "the reference does no better either: check that the inputs can predict the "
            "target (labels aligned with their rows or files, the right target column)"
        )
    else:
        signal = (
            "check that the inputs can predict the target (labels aligned with their rows or "
            "files, the right target column)"
        )
    fits = train_skill is not None and train_skill > 0.5
    return [
        signal,
        "it memorises its training examples without generalising: more data, or stronger "
        "regularisation"
        if fits
        else epochs_step(e),
        learning_rate_step(e),
        "standardise the inputs: model.normalize=true"
        if e.options.get("normalize") is False
        else "",
    ]


def mismatch(e: Evidence, reference: dict[str, Any] | None) -> list[str]:
    return [
        "turn BatchNormalization off (model.batch_norm=false) or train longer so its moving "
        "statistics settle"
        if e.options.get("batch_norm") is True
        else "check the BatchNormalization layers: their moving statistics lag on short trainings",
        "lower the dropout (model.dropout=0.1)"
        if isinstance(e.options.get("dropout"), float) and e.options["dropout"] >= 0.2
        else "",
        "a larger data.batch_size, so the batch statistics match the whole set's",
    ]


def tuned(e: Evidence, reference: dict[str, Any] | None) -> list[str]:
    return [
        kfold_step(e),
        "a larger validation part: data.validation_split=0.3"
        if e.context.get("split") != "kfold"
        else "",
        "fewer tuning trials per validation example: a sweep of many trials on a small split "
        "finds the split's noise"
        if e.tuned
        else "",
    ]


def overfits(e: Evidence, reference: dict[str, Any] | None) -> list[str]:
    kind = e.context.get("kind")
    return [
        "more dropout: model.dropout=0.3" if below(e, "dropout", 0.3) else "",
        "weight decay on the kernels: model.l2=1e-3" if below(e, "l2", 1e-3) else "",
        "augmentation: model.augment.flip=horizontal model.augment.rotation=0.05"
        if has(e, "augment") and kind == "image"
        else "",
        "a smaller model (fewer units or filters)",
        "more training data" if kind != "image" else "more images, or augmentation",
        "early stopping on a validation split: data.validation_split=0.2"
        if not e.context.get("validation_examples")
        else "",
        reference_step(e, reference),
    ]


def underfits(e: Evidence, reference: dict[str, Any] | None) -> list[str]:
    if e.still_improving:
        return [epochs_step(e), capacity_step(e), reference_step(e, reference)]
    return [
        capacity_step(e),
        epochs_step(e),
        learning_rate_step(e),
        reference_step(e, reference),
    ]


def fine(e: Evidence, reference: dict[str, Any] | None) -> list[str]:
    tie = reference is not None and reference["outcome"] == "tie"
    return [
        "measure the spread over seeds: --seeds 0,1,2",
        "the reference is as good: keep the one that is cheaper to serve" if tie else "",
        "tune it: cookbook tune <config>, scored by K-fold on small data",
    ]


STEPS = {
    "mismatch": mismatch,
    "tuned to its validation": tuned,
    "overfits": overfits,
    "underfits": underfits,
    "fine": fine,
}
