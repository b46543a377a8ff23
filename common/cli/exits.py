"""What a failed or stopped command prints, and its exit code.

    UserError (a config, file or argument mistake)   `error: ...`, exit 2
    the machine refused (disk full, read-only, ...)  `error: ...`, exit 1 (a missing file: 2)
    RunStopped (Ctrl-C / SIGTERM in a run or sweep)  the command that resumes it, exit 130 / 143
    Ctrl-C / SIGTERM before anything started         `nothing was left to resume.`, 130 / 143
    anything else                                    a bug: its traceback

`--debug` keeps the traceback of every error.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys

from common.cli.startup import DEBUG
from common.errors import EXIT_ENVIRONMENT, EXIT_USAGE, RunStopped, Terminated, UserError

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed command's handler and map what it raises to a message and exit code."""
    try:
        return args.handler(args)
    except UserError as error:
        if os.environ.get(DEBUG):
            raise
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except RunStopped as stop:
        return stopped(stop.terminated, resume_hint(stop))
    except (KeyboardInterrupt, Terminated) as stop:
        return stopped(isinstance(stop, Terminated), "nothing was left to resume.")
    except Exception as error:
        message = environment_error(error)
        if message is None or os.environ.get(DEBUG):
            raise
        print(f"error: {message}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, FileNotFoundError) else EXIT_ENVIRONMENT


def resume_hint(stop: RunStopped) -> str:
    """`cookbook train --resume RUN` continues the run (a sweep: `cookbook tune ...`)."""
    if stop.run_dir is None:
        return "nothing was left to resume."
    what = "sweep" if stop.command == "tune" else "run"
    return f"`cookbook {stop.command} --resume {stop.run_dir}` continues the {what}."


def stopped(terminated: bool, hint: str) -> int:
    print(f"\n{'terminated' if terminated else 'interrupted'}; {hint}", file=sys.stderr)
    return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED


def environment_error(error: Exception) -> str | None:
    """One line for what the machine refused (a read-only or full disk, a missing permission,
    memory), or None for a bug, which keeps its traceback."""
    if isinstance(error, OSError) and error.errno is not None:
        where = f": {error.filename}" if error.filename else ""
        fix = {
            errno.ENOSPC: " Free some space (or set output.dir elsewhere) and resume the run.",
            errno.EROFS: " Set output.dir to a writable folder.",
            errno.EACCES: " Set output.dir to a folder you may write, or fix its permissions.",
            errno.EPERM: " Set output.dir to a folder you may write, or fix its permissions.",
            errno.ENOTDIR: " A file stands where a folder is needed; set output.dir elsewhere.",
        }.get(error.errno, "")
        return f"{error.strerror}{where}.{fix}"
    tf = sys.modules.get("tensorflow")  # TensorFlow's errors, only if it was started
    if tf is not None and isinstance(
        error, tf.errors.PermissionDeniedError | tf.errors.ResourceExhaustedError
    ):
        return f"{type(error).__name__}: {error.message.strip().splitlines()[0][:300]}"
    return None


def terminate(signum, frame) -> None:
    """The SIGTERM handler: stop the way Ctrl-C does (see `common.errors.Terminated`)."""
    raise Terminated()
