"""`make bench-memory`: peak memory of one training epoch on an image folder of 2,000 and of
40,000 images (64x64 RGB PNGs), measured by `/usr/bin/time -v` around `cookbook train`.

A streaming source holds paths, not pixels: if memory grew with the folder (a dataset cached
whole, or a shuffle buffer of decoded images), the 40,000-image run would need ~1.9 GiB more
than the 2,000-image run (40,000 x 64 x 64 x 3 float32). The result is written into
BENCHMARKS.md between the memory markers.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SIZES = (2_000, 40_000)
MARKERS = ("<!-- memory:start -->", "<!-- memory:end -->")


def write_folder(root: Path, count: int, classes: int = 4, size: int = 64) -> Path:
    """`count` PNGs in `classes` folders: noise with a class-coloured square, learnable."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for index in range(count):
        label = index % classes
        pixels = rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8)
        pixels[8:24, 8 + 10 * label : 24 + 10 * label, label % 3] = 255
        folder = root / f"class_{label}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(folder / f"{index:05d}.png", compress_level=1)
    return root


def peak_rss_mib(folder: Path, runs: Path) -> tuple[float, float]:
    """(peak resident memory in MiB, wall seconds) of one epoch of `cookbook train convnet`."""
    command = [
        "/usr/bin/time",
        "-v",
        sys.executable,
        "-m",
        "common.cli",
        "train",
        "convnet",
        "data.dataset=image_folder",
        f"data.path={folder}",
        "data.batch_size=64",
        "trainer.epochs=1",
        "trainer.verbose=0",
        "model.augment={translation: 0.0, zoom: 0.0, rotation: 0.0}",
        "model.filters=[8,16]",  # memory is the question here, not accuracy: a light model
        "model.convolutions=1",
        "model.batch_norm=false",
        "output.plot=false",
        f"output.dir={runs}",
    ]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    seconds = time.perf_counter() - started
    kilobytes = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return int(kilobytes.group(1)) / 1024, seconds


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for count in SIZES:
            folder = write_folder(Path(scratch) / f"images-{count}", count)
            peak, seconds = peak_rss_mib(folder, Path(scratch) / "runs")
            rows.append((count, peak, seconds))
            print(f"{count:>6} images: peak RSS {peak:.0f} MiB, {seconds:.0f} s")
    table = [
        MARKERS[0],
        "| images (64×64 RGB PNG, 4 classes) | peak RSS, one epoch of `cookbook train convnet` "
        "| wall time |",
        "|---|---|---|",
        *[f"| {count:,} | {peak:.0f} MiB | {seconds:.0f} s |" for count, peak, seconds in rows],
        f"\nRatio 40,000 / 2,000 images: {rows[1][1] / rows[0][1]:.2f}× the memory for 20× "
        "the images (decoded and cached whole, the 40,000 would add ~1,900 MiB).",
        MARKERS[1],
    ]
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8")
    block = "\n".join(table)
    if MARKERS[0] in text:
        before, rest = text.split(MARKERS[0], 1)
        text = before + block + rest.split(MARKERS[1], 1)[1]
    else:
        text += "\n## Memory: image folders stream\n\n`make bench-memory`:\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
