"""The settings that `auto` resolves differently on each Keras backend, chosen again when a run
is resumed on another backend than the one it last trained on.

`trainer.jit_compile: auto` is off on TensorFlow's CPU and on under JAX (which otherwise runs
every op on its own: an rnn-digits epoch took 65 s instead of 0.08 s); `model.augment.placement:
auto` is `model` on TensorFlow and `pipeline` on JAX. A run's config.yaml records the resolved
values, so a run started with `cookbook train convnet` and resumed with `KERAS_BACKEND=jax
cookbook train --resume RUN` would keep TensorFlow's choices. environment.json records which of
these keys were `auto` and on which backend they were resolved: a resume on another backend
sets them back to `auto` before `startup.set_up` resolves them, and config.yaml is rewritten.
"""

from __future__ import annotations

from typing import Any

KEYS = ("trainer.jit_compile", "model.augment.placement")
_MISSING = object()


def _owner(config: Any, key: str) -> tuple[Any, str] | None:
    """The object holding `key`'s last part, and that part; None where the config has no such
    key (a recipe without augmentation)."""
    *path, name = key.split(".")
    owner = config
    for part in path:
        owner = getattr(owner, part, None)
    return (owner, name) if owner is not None and hasattr(owner, name) else None


def value(config: Any, key: str) -> Any:
    found = _owner(config, key)
    return getattr(*found) if found else _MISSING


def automatic(config: Any) -> list[str]:
    """The keys that are `auto` in `config`, before `startup.set_up` resolves them."""
    return [key for key in KEYS if value(config, key) == "auto"]


def reopen(config: Any, previous: Any, backend: str) -> tuple[list[str], bool]:
    """For a resumed run whose environment.json is `previous`: the keys that were `auto` when
    it started (carried from one resume to the next), and whether it last trained on another
    backend than `backend`. If it did, those keys are set back to `auto` in `config`."""
    if not isinstance(previous, dict):  # not an environment.json this project wrote
        return [], False
    listed = previous.get("automatic")
    keys = [key for key in listed or [] if key in KEYS and _owner(config, key)]
    moved = previous.get("backend") not in (None, backend)
    if moved:
        for key in keys:
            print(
                f"{key}: {value(config, key)} was chosen for {previous['backend']}; "
                f"choosing again for {backend}."
            )
            owner, name = _owner(config, key)
            setattr(owner, name, "auto")
    return keys, moved
