"""Unusual but real files, written by the tests themselves (issue 29): a JPEG whose header is
whole and whose body is not, images of one pixel, a text in Latin-1 among UTF-8 ones, CSV
headers with spaces, slashes and accents, series with repeated or constant values, tables
with identifier columns. Each builder returns what it wrote."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import numpy as np
from PIL import Image

from tests import user_files


def jpeg_bytes(size: int = 32, seed: int = 0) -> bytes:
    """A real JPEG of smooth noise (it compresses into several entropy-coded blocks)."""
    rng = np.random.default_rng(seed)
    pixels = np.kron(rng.integers(0, 255, (size // 4, size // 4, 3)), np.ones((4, 4, 1)))
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype("uint8")).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def corrupt_jpeg(path: Path) -> Path:
    """A JPEG whose header (and so its size) reads fine, bytes in the middle of its body
    overwritten: a marker that cannot be there, then noise (a bad copy, a disk error)."""
    data = bytearray(jpeg_bytes())
    rng = np.random.default_rng(1)
    start = len(data) // 2
    data[start : start + 66] = b"\xff\x4a" + rng.integers(0, 256, 64, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path


def image_folder(root: Path, per_class: int = 8, size: int = 8) -> Path:
    """Two classes of PNG digits (0 and 1) at `size` pixels: small enough to train in a second."""
    user_files.digit_images(root, per_class=per_class, size=size)
    for folder in root.iterdir():
        if folder.name not in ("0", "1"):
            for file in folder.iterdir():
                file.unlink()
            folder.rmdir()
    return root


def one_pixel_images(root: Path, per_class: int = 6) -> Path:
    for label, base in (("dark", 20), ("light", 200)):
        (root / label).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            pixel = np.full((1, 1), base + index, dtype="uint8")
            Image.fromarray(pixel, mode="L").save(root / label / f"{index}.png")
    return root


def latin1_corpus(root: Path, per_class: int = 20) -> tuple[Path, Path]:
    """The tests' review corpus with one review saved in Latin-1 (é and è as single bytes)."""
    user_files.reviews_folder(root, per_class=per_class)
    odd = root / "pos" / "latin1.txt"
    odd.write_bytes("Un film très réussi, great and wonderful.".encode("latin-1"))
    return root, odd


ODD_NAMES = ["a/b", "col with space", "température °C", "a b", "a_b"]


def odd_names_table(path: Path, rows: int = 60, seed: int = 0) -> Path:
    """A binary table whose columns are named like users name them: a slash, spaces, an
    accent and a degree sign, and two names ("a b", "a_b") that clean up alike. The target
    follows `température °C`, so a model can learn it."""
    rng = np.random.default_rng(seed)
    lines = [",".join(f'"{name}"' for name in [*ODD_NAMES, "y"])]
    for _ in range(rows):
        temperature = rng.normal(20, 5)
        cells = [f"{rng.normal():.3f}", str(rng.choice(["x", "y", "z"])), f"{temperature:.2f}"]
        cells += [f"{rng.normal():.3f}", f"{rng.normal():.3f}", str(int(temperature > 20))]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def series_csv(path: Path, values, start: str = "2020-01-01", repeat_first: int = 0) -> Path:
    """A daily series `date,value,other`; the first `repeat_first` days appear twice."""
    day = datetime.date.fromisoformat(start)
    lines = ["date,value,other"]
    for index, value in enumerate(values):
        stamp = day + datetime.timedelta(days=index)
        for _ in range(2 if index < repeat_first else 1):
            lines.append(f"{stamp},{value},{index % 7}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def table_with_ids(path: Path, rows: int = 40, seed: int = 0) -> Path:
    """A binary table with a unique string id per row and a row counter beside one real
    feature: `x` decides the label."""
    rng = np.random.default_rng(seed)
    lines = ["customer,row,x,y"]
    for index in range(rows):
        x = rng.normal()
        lines.append(f"C{rng.integers(10**6):06d}-{index},{index + 1},{x:.3f},{int(x > 0)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
