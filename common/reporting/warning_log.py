"""Python warnings (ours, Keras', TensorFlow's logger) go to the run's `warnings.log`, not the
console: a UserWarning about an input name, printed on every train and predict, reads like a
failure to someone who did nothing wrong. `--verbose` keeps them on the console.

    install()            at start-up, unless --verbose: warnings are held from here on
    attach(run_dir)      once the run folder is known: held ones are written, later ones appended

A process that never learns its folder (a `check`) holds them; at exit one line says how many
there were and where they went, so nothing is lost silently.
"""

from __future__ import annotations

import atexit
import logging
import sys
import warnings
from pathlib import Path

LOG_NAME = "warnings.log"
LOGGERS = ("tensorflow", "absl", "py.warnings")

_held: list[str] = []
_state: dict[str, Path | int | None] = {"target": None, "count": 0}


def install() -> None:
    """Send warnings and the TensorFlow and absl loggers' records here from now on."""
    warnings.showwarning = _show
    handler = _Handler(logging.WARNING)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.propagate = False
    atexit.register(_at_exit)


def attach(folder: Path) -> None:
    """Write what was held, and everything after, to `folder/warnings.log`."""
    _state["target"] = Path(folder) / LOG_NAME
    if _held:
        _append("".join(_held))
        _held.clear()


def _show(message, category, filename, lineno, file=None, line=None) -> None:
    _record(warnings.formatwarning(message, category, filename, lineno, line))


class _Handler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        _record(f"{record.levelname}:{record.name}: {record.getMessage()}\n")


def _record(text: str) -> None:
    _state["count"] = int(_state["count"] or 0) + 1
    if _state["target"] is None:
        _held.append(text)
    else:
        _append(text)


def _append(text: str) -> None:
    target = _state["target"]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as log:
            log.write(text)
    except OSError:  # the folder went away (a run removed as unstarted): keep them here
        _state["target"] = None
        _held.append(text)


def _at_exit() -> None:
    count = int(_state["count"] or 0)
    if not count:
        return
    target = _state["target"]
    where = f"in {target}" if target is not None and target.is_file() else "not kept"
    sys.stderr.write(f"{count} Python warning(s) {where} (--verbose prints them)\n")
