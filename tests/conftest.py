"""Shared fixtures. Configs are shrunk in one place (`tiny`), and one small trained run is
shared by every test that only inspects artifacts, so the suite stays within minutes on 2 cores.

The host CPU is split into two logical devices before TensorFlow starts, so `mirrored` can be
tested in-process; the default strategy still places everything on the first one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from common.config import load_config
from common.config.schema import Config
from common.errors import UserError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_configure(config: pytest.Config) -> None:
    """Two logical CPUs, before TensorFlow starts — in the processes that run tests only: the
    pytest-xdist controller just hands out files, and need not pay for importing TensorFlow."""
    controller = (
        getattr(config.option, "numprocesses", None) and "PYTEST_XDIST_WORKER" not in os.environ
    )
    if controller:
        return
    import tensorflow as tf

    (cpu, *_) = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )


PROJECT_ROOT = Path(__file__).resolve().parent.parent
COOKBOOK = [sys.executable, "-m", "common.cli"]

# Applied to every config a test trains: few epochs, quiet, run folders under tmp.
TINY = ["trainer.epochs=2", "trainer.verbose=0", "trainer.early_stopping.enabled=false"]


# binary and multiclass train their final model on all training data (no validation split);
# most tests exercise the validation path (best.keras by val_loss, early stopping), so they
# get the 20% split back unless a test says otherwise. multiclass's default [1024, 1024] stack
# earns its last point over 150 epochs; a test's few epochs learn as much with [128, 64], for
# which XLA's compile time (worth it for the wide stack, `jit_compile: true`) is not repaid.
VALIDATED = {
    "binary": ["data.validation_split=0.2"],
    "multiclass": [
        "data.validation_split=0.2",
        "model.units=[128,64]",
        "model.input_noise=0.0",
        "trainer.jit_compile=false",
    ],
}


def tiny(target: str, output_dir: Path, *overrides: str) -> Config:
    """`target` shrunk for a test: TINY first, so a test's own overrides win."""
    validated = VALIDATED.get(target, [])
    return load_config(target, [*TINY, *validated, f"output.dir={output_dir}", *overrides])


def cookbook(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """Run the CLI in a fresh process, as a user would."""
    return subprocess.run(
        [*COOKBOOK, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT_ROOT,
        **kwargs,
    )


def answers_cleanly(load: Callable[[], object]) -> None:
    """`load()` succeeds, or raises a UserError with one non-empty line; anything else
    propagates and fails the test."""
    try:
        load()
    except UserError as error:
        message = str(error)
        assert message.strip(), "a UserError with an empty message"
        assert "\n" not in message and "\r" not in message, message


@pytest.fixture(scope="session")
def binary_run(tmp_path_factory):
    """One finished binary run (3 epochs), shared by the artifact tests."""
    from common.training.driver import train

    output = tmp_path_factory.mktemp("binary-run")
    run_dir, metrics = train(tiny("binary", output, "trainer.epochs=3"))
    return run_dir, metrics
