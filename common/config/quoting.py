"""User-given text and values as they appear in one-line error messages: shortened, and with
line breaks or control characters shown as a repr, so a message stays one readable line."""

from __future__ import annotations

import reprlib
from typing import Any

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlist = _REPR.maxdict = _REPR.maxset = _REPR.maxtuple = 10
_REPR.maxlevel = 3


def short(value: Any) -> str:
    """`value`'s repr, cut to a readable length (long strings, lists and nestings end in ...)."""
    return _REPR.repr(value)


def shown(text: object) -> str:
    """User text as it goes into a one-line message: itself, or its repr if it holds line
    breaks or control characters (or is very long)."""
    text = str(text)
    return text if text.isprintable() and len(text) <= 200 else short(text)


def given(value: Any) -> str:
    """The value a key was given, shortened, with its type: `'abc' (str)`."""
    return f"{short(value)} ({type(value).__name__})"
