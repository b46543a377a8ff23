"""What a failed or stopped command prints and its exit code (`common.cli.exits`)."""

from __future__ import annotations

import argparse
import errno
from pathlib import Path

import pytest

from common.cli import exits
from common.errors import ConfigError, RunStopped, Terminated


def outcome(error: BaseException, capsys) -> tuple[int, str]:
    def handler(args):
        raise error

    code = exits.run_command(argparse.Namespace(handler=handler))
    return code, capsys.readouterr().err.strip()


def test_a_user_error_is_one_line_and_exit_2(capsys):
    assert outcome(ConfigError("trainer.epochs", "at least 1."), capsys) == (
        2,
        "error: trainer.epochs: at least 1.",
    )


@pytest.mark.parametrize(
    ("terminated", "code", "how"), [(False, 130, "interrupted"), (True, 143, "terminated")]
)
def test_a_stopped_run_or_sweep_names_the_command_that_resumes_it(capsys, terminated, code, how):
    run = Path("runs/binary/20250101T000000Z-abc123")
    assert outcome(RunStopped(run, "train", terminated), capsys) == (
        code,
        f"{how}; `cookbook train --resume {run}` continues the run.",
    )
    sweep = Path("runs/binary/tune-20250101T000000Z-abc123")
    assert outcome(RunStopped(sweep, "tune", terminated), capsys)[1] == (
        f"{how}; `cookbook tune --resume {sweep}` continues the sweep."
    )


@pytest.mark.parametrize(("stop", "code"), [(KeyboardInterrupt(), 130), (Terminated(), 143)])
def test_a_stop_before_anything_started_leaves_nothing_to_resume(capsys, stop, code):
    assert outcome(stop, capsys)[0] == code
    assert outcome(stop, capsys)[1].endswith("; nothing was left to resume.")


def test_the_machine_refusing_is_exit_1_and_a_bug_keeps_its_traceback(capsys):
    full = OSError(errno.ENOSPC, "No space left on device", "runs/x")
    code, message = outcome(full, capsys)
    assert code == 1 and message.startswith("error: No space left on device: runs/x.")
    with pytest.raises(ZeroDivisionError):
        outcome(ZeroDivisionError(), capsys)
