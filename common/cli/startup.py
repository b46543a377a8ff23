"""Starting TensorFlow for the commands that need it, without its start-up noise.

The environment variables here are the flags `cookbook` reads anywhere on its command line;
they are inherited by the workers a launcher starts.
"""

from __future__ import annotations

import os
import sys

from common.reporting import warning_log

VERBOSE = "COOKBOOK_VERBOSE"  # --verbose: keep TensorFlow's start-up log
DEBUG = "COOKBOOK_DEBUG"  # --debug: a traceback for every error


def start_tensorflow() -> None:
    """Start TensorFlow without its C++ and absl start-up lines ("Could not find cuda drivers",
    "failed call to cuInit" on a machine without a GPU: noise that reads like a failure). The
    process's stderr is pointed at /dev/null while TensorFlow loads and finds its devices,
    then restored; `--verbose` keeps everything."""
    if not os.environ.get(VERBOSE):
        warning_log.install()  # warnings to the run's warnings.log, not the console
        _quietly_import_tensorflow()
    import keras  # lazy: as TensorFlow

    # Keras' traceback filtering rebuilds a traceback frame by frame and fails on a frame with
    # no line number ("TypeError: 'NoneType' object cannot be interpreted as an integer"), which
    # is where the SIGTERM handler's `Terminated` can land: a stop became a crash with exit 1
    # instead of 143 and the resume hint. Unfiltered, the stop reaches the CLI as it was raised.
    keras.config.disable_traceback_filtering()


def _quietly_import_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf  # lazy: only the commands that build models start TensorFlow

        tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
