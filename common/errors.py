"""The one error type users see: a mistake in what they asked for, not a bug in the cookbook.

The CLI prints a `UserError` as a short paragraph and exits with code 2, no traceback.
Everything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

EXIT_USAGE = 2
EXIT_ENVIRONMENT = 1  # the machine, not the request: a read-only folder, a full disk


class UserError(Exception):
    """A config, file or command-line mistake with a message that says how to fix it."""


class ConfigError(UserError):
    """A mistake in a config: names the dotted key, what was expected and what was given."""

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(f"{key}: {message}" if key else message)


def did_you_mean(name: str, valid: Iterable[str]) -> str:
    """' Did you mean 'adam'?' when a close match exists, else ''."""
    matches = difflib.get_close_matches(str(name), list(valid), n=1, cutoff=0.6)
    return f" Did you mean '{matches[0]}'?" if matches else ""


def unknown_name(what: str, name: object, valid: Iterable[object]) -> str:
    """`Unknown optimizer 'adamm'. Did you mean 'adam'? Valid: sgd, rmsprop, adam, adamw.`"""
    valid = [str(v).lower() if isinstance(v, bool) else str(v) for v in valid]  # YAML's spelling
    return f"unknown {what} {name!r}.{did_you_mean(str(name), valid)} Valid: {', '.join(valid)}."


class Terminated(Exception):
    """SIGTERM, turned into an exception so a run stops like Ctrl-C does: the backup holds
    the last finished epoch, and the user hears how to resume."""


class RunStopped(Exception):
    """Ctrl-C or SIGTERM while a run or sweep was under way, carrying the folder that resumes
    it (`run_dir`, None when nothing was started) and which command it was."""

    def __init__(self, run_dir, command: str, terminated: bool):
        self.run_dir = run_dir
        self.command = command  # "train" or "tune"
        self.terminated = terminated
        super().__init__(f"{'terminated' if terminated else 'interrupted'}: {run_dir}")
