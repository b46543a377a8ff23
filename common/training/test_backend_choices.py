"""A run resumed on another Keras backend chooses the backend-dependent `auto` settings again
instead of keeping the first backend's (JAX without jit runs op by op)."""

from common.config import load_config
from common.training import backend_choices


def test_the_automatic_keys_are_those_left_auto_and_present():
    assert backend_choices.automatic(load_config("convnet")) == list(backend_choices.KEYS)
    assert backend_choices.automatic(load_config("binary")) == ["trainer.jit_compile"]
    pinned = load_config("convnet", ["trainer.jit_compile=false"])
    assert backend_choices.automatic(pinned) == ["model.augment.placement"]


def test_a_run_moved_to_another_backend_gets_its_choices_back_to_auto(capsys):
    config = load_config("convnet")  # as config.yaml holds it after a TensorFlow run:
    config.trainer.jit_compile, config.model.augment.placement = False, "model"
    previous = {"backend": "tensorflow", "automatic": list(backend_choices.KEYS)}
    keys, moved = backend_choices.reopen(config, previous, "jax")
    assert moved and keys == list(backend_choices.KEYS)
    assert config.trainer.jit_compile == "auto" and config.model.augment.placement == "auto"
    assert "trainer.jit_compile: False was chosen for tensorflow" in capsys.readouterr().out


def test_a_run_resumed_on_its_own_backend_keeps_its_choices_and_carries_the_keys():
    config = load_config("convnet")
    config.trainer.jit_compile, config.model.augment.placement = False, "model"
    previous = {"backend": "tensorflow", "automatic": ["trainer.jit_compile"]}
    keys, moved = backend_choices.reopen(config, previous, "tensorflow")
    assert not moved and keys == ["trainer.jit_compile"]
    assert config.trainer.jit_compile is False and config.model.augment.placement == "model"


def test_a_pinned_setting_stays_pinned_on_another_backend():
    """A key the user set is not in environment.json's `automatic`: it is never reopened."""
    config = load_config("convnet", ["trainer.jit_compile=false"])
    keys, moved = backend_choices.reopen(config, {"backend": "tensorflow", "automatic": []}, "jax")
    assert moved and keys == [] and config.trainer.jit_compile is False


def test_runs_from_before_the_record_and_unknown_keys_change_nothing():
    config = load_config("binary")
    config.trainer.jit_compile = False
    old_run = {"backend": "tensorflow"}  # environment.json without "automatic"
    assert backend_choices.reopen(config, old_run, "jax") == ([], True)
    odd = {"backend": "tensorflow", "automatic": ["model.augment.placement", "data.cache"]}
    assert backend_choices.reopen(config, odd, "jax") == ([], True)  # binary has no augment
    assert config.trainer.jit_compile is False
    assert backend_choices.reopen(config, ["not", "a", "record"], "jax") == ([], False)
