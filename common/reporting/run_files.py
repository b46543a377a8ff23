"""A run folder's files, written atomically and read back without TensorFlow.

    with atomic_path(run_dir / "best.keras") as temporary:   # renamed over the target at exit
        model.save(temporary)
    write_json(run_dir / "metrics.json", metrics)           # a kill never leaves half a file
    read_history(run_dir / "history.csv")                   # the epochs that were written whole

Training writes these files (`common.training.runs` lays the folder out) and reporting reads
them, so the helpers live here, below both: `cookbook report` and `cookbook runs` read run
folders with the same code that wrote them, and importing it starts neither TensorFlow nor
the training driver.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import secrets
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary name beside `path` (same suffix, so savers that check it are content), renamed
    over `path` once the block has written it: a kill at any instant leaves the old file or the
    new one, never half of one."""
    temporary = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def write_text(path: Path, text: str) -> None:
    """Atomically: a temporary file, then a rename, so a kill never leaves half a file."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_json(path: Path, data: dict[str, Any]) -> None:
    """`data` as indented JSON with sorted keys, written atomically."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def save_model(model: Any, path: Path) -> None:
    """`model.save`, atomically (Keras writes the .keras archive in place)."""
    with atomic_path(path) as temporary:
        model.save(temporary)


def cache_dir(output_dir: str | Path, kind: str) -> Path:
    """`output.dir/.cache/<kind>/`: results that depend on the data alone (the scikit-learn
    reference, the GAN's quality classifier), kept by a fingerprint of their data."""
    return Path(output_dir) / ".cache" / kind


def read_labels(run_dir: Path) -> list[str] | None:
    """The class names a run was trained with, in label order (None: not a classifier)."""
    path = run_dir / "labels.txt"
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8").splitlines()


def read_history(path: Path) -> list[dict[str, str]]:
    """history.csv's rows; a row cut short by a kill (missing fields) is dropped."""
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as file:
        return [row for row in csv.DictReader(file) if None not in row.values()]


def is_sweep(folder: Path) -> bool:
    """A KerasTuner sweep folder (`tune-<time>-<id>`), as opposed to a training run."""
    return folder.name.startswith("tune-") or (folder / "keras_tuner").is_dir()


def write_rows(header: list[str], rows, destination: Path | None, summary: str) -> str:
    """CSV text of `header` and `rows`: on stdout, or written to `destination` (its folders
    made) with `summary` on stderr. Returns the text (`cookbook predict`'s output)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    if destination is None:
        sys.stdout.write(text)
    else:
        destination.parent.mkdir(parents=True, exist_ok=True)
        write_text(destination, text)
        print(f"{summary} -> {destination}", file=sys.stderr)
    return text


def stream_rows(header: list[str], chunks: Iterable[list], destination: Path | None, what: str):
    """`write_rows` for rows that come in chunks (`cookbook predict` on a large CSV): each chunk
    written as it comes, to stdout or to a temporary file renamed over `destination` once all
    are written, so memory holds one chunk and a failed run leaves no half-written file.
    Returns the number of rows."""
    count = 0
    with contextlib.ExitStack() as stack:
        if destination is None:
            file = sys.stdout
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            temporary = stack.enter_context(atomic_path(destination))
            file = stack.enter_context(open(temporary, "w", encoding="utf-8", newline=""))
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        for rows in chunks:
            writer.writerows(rows)
            count += len(rows)
    if destination is not None:
        print(f"{count} {what} -> {destination}", file=sys.stderr)
    return count
