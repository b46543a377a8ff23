"""`data.path` as a Path: shared by the Keras sets, the user's files and the catalogue's
config-time checks, so that every message prints a path the same way, on one line."""

from __future__ import annotations

from pathlib import Path

from common.errors import ConfigError


def user_path(text: str) -> Path:
    """`data.path` as a Path, `~` expanded; a path that cannot name a file (control
    characters, an unknown `~user`) is refused here, so later messages print it on one line."""
    if not text.isprintable():
        raise ConfigError(
            "data.path", f"{text!r} holds a line break or control character; fix the path."
        )
    try:
        return Path(text).expanduser()
    except RuntimeError:  # ~user of no known user
        raise ConfigError("data.path", f"{text}: cannot expand '~' (no such user).") from None
