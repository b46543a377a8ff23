"""`make bench ARGS="--only scale"`: what a run costs as the rows grow, beside a plain script.

For each size (`--rows`, default 10k, 100k, 1M; 10M with `--rows ...,10000000`), a generated
CSV of 20 numeric columns and a binary target; then, in fresh processes, one epoch each of

    cookbook (stream)     `cookbook train binary data.stream=true`: one pass, then tf.data
    cookbook (in memory)  the same with data.stream=false, while the file fits (under 2M rows)
    plain                 pandas.read_csv + Normalization.adapt + the same Dense(1) model,
                          model.fit one epoch, model.evaluate: what a keras.io reader writes

Phases of a cookbook run are read off its console, each line stamped as it arrives: read and
adapt (start to "Run folder:"), one epoch (Keras' epoch line), test (to the reference's first
line), the scikit-learn reference, the rest (verdict, predictions, metrics.json). Peak RSS is
the child's `ru_maxrss` (os.wait4). BENCHMARKS.md gets the table between its scale markers.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.benchmarks.against_plain import machine_line

ROOT = Path(__file__).resolve().parents[2]
MARKERS = ("<!-- scale:start -->", "<!-- scale:end -->")
COLUMNS = 20
ROWS = "10000,100000,1000000"  # --rows: add 10000000 for the 10M point (about 2 GB of CSV)
BATCH = 256
IN_MEMORY_ROWS = 2_000_000  # past this the in-memory side is not run (it is what streams fix)
PLOT = "docs/benchmarks-scale.png"  # wall time and peak RSS against rows, log-log
PHASES = (
    ("read", r"^Run folder:"),
    ("epoch", r"^\d+/\d+ - .*loss"),
    ("test", r"^fitting the scikit-learn reference|^the scikit-learn reference"),
    ("reference", r"^the scikit-learn reference|^reference interrupted"),
    ("report", r"^Run: "),
)


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """`rows` x 20 numbers (4 decimals) and a target from a noisy linear rule, in blocks."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=COLUMNS)
    header = ",".join([*(f"x{i}" for i in range(COLUMNS)), "y"])
    with open(path, "w") as file:
        file.write(header + "\n")
        for start in range(0, rows, 200_000):
            x = rng.normal(size=(min(200_000, rows - start), COLUMNS)).astype("float32")
            y = (x @ weights + rng.logistic(size=len(x)) > 0).astype(int)
            block = np.column_stack([x.round(4), y])
            np.savetxt(file, block, fmt=["%.4f"] * COLUMNS + ["%d"], delimiter=",")


PLAIN = """
import sys, time, keras, numpy as np, pandas as pd
started = time.perf_counter()
table = pd.read_csv(sys.argv[1])
y = table.pop("y").to_numpy("int32"); x = table.to_numpy("float32")
cut = int(len(x) * 0.8)
normalize = keras.layers.Normalization(); normalize.adapt(x[:cut])
inputs = keras.Input(shape=(x.shape[1],))
model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(normalize(inputs)))
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
              metrics=["accuracy"])
read = time.perf_counter()
model.fit(x[:cut], y[:cut], batch_size=int(sys.argv[2]), epochs=1, verbose=0)
fitted = time.perf_counter()
_, accuracy = model.evaluate(x[cut:], y[cut:], batch_size=1024, verbose=0)
done = time.perf_counter()
print(f"PHASES read={read - started:.2f} epoch={fitted - read:.2f} test={done - fitted:.2f}"
      f" accuracy={accuracy:.4f}")
"""


def run(command: list[str]) -> tuple[float, float, list[tuple[float, str]]]:
    """(wall seconds, peak RSS MiB, stamped output lines) of a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    lines = [(time.perf_counter() - started, line.rstrip()) for line in child.stdout]
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        tail = "\n".join(text for _, text in lines[-15:])
        raise SystemExit(f"{' '.join(command[:4])} ... failed:\n{tail}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, lines


def phases(lines: list[tuple[float, str]]) -> dict[str, float]:
    """Seconds per phase, from the first line matching each phase's end."""
    result, last = {}, 0.0
    for name, pattern in PHASES:
        stamp = next((t for t, text in lines if t >= last and re.search(pattern, text)), None)
        if stamp is not None:
            result[name], last = stamp - last, stamp
    return result


def cookbook(path: Path, stream: bool, output: Path) -> dict:
    wall, rss, lines = run(
        [
            sys.executable,
            "-m",
            "common.cli",
            "train",
            "binary",
            "data.dataset=csv",
            f"data.path={path}",
            "data.target=y",
            f"data.stream={str(stream).lower()}",
            "trainer.epochs=1",
            f"data.batch_size={BATCH}",
            "trainer.verbose=2",
            "output.plot=false",
            f"output.dir={output}",
        ]
    )
    accuracy = next(
        (float(m.group(1)) for _, t in lines if (m := re.match(r"\s+accuracy\s+([\d.]+)", t))),
        float("nan"),
    )
    return {"wall": wall, "rss": rss, "accuracy": accuracy, **phases(lines)}


def plain(path: Path) -> dict:
    wall, rss, lines = run([sys.executable, "-c", PLAIN, str(path), str(BATCH)])
    found = next(text for _, text in lines if text.startswith("PHASES"))
    values = dict(pair.split("=") for pair in found.split()[1:])
    return {"wall": wall, "rss": rss, **{k: float(v) for k, v in values.items()}}


def markdown(results: list[tuple[int, str, dict]], minutes: float) -> str:
    lines = [
        MARKERS[0],
        "",
        f'`make bench ARGS="--only scale"` ({machine_line(minutes)}): generated CSVs of 20',
        f"numeric columns and a binary target, one epoch at batch {BATCH}; seconds per phase",
        "(read = start to the data loaded and adapted, including TensorFlow's import),",
        "rows/s = rows / whole wall time, peak RSS of the process.",
        "",
        "| rows | side | read s | epoch s | test s | reference s | rest s | wall s | rows/s"
        " | peak RSS MiB | test accuracy |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rows, side, r in results:
        cells = [r.get(k) for k in ("read", "epoch", "test", "reference", "report")]
        shown = " | ".join("" if c is None else f"{c:.1f}" for c in cells)
        lines.append(
            f"| {rows:,} | {side} | {shown} | {r['wall']:.1f} | {rows / r['wall']:,.0f} | "
            f"{r['rss']:,.0f} | {r['accuracy']:.4f} |"
        )
    return "\n".join([*lines, "", MARKERS[1]])


def write(output: Path, section: str) -> None:
    text = output.read_text(encoding="utf-8") if output.is_file() else ""
    if MARKERS[0] in text and MARKERS[1] in text:
        before, rest = text.split(MARKERS[0], 1)
        text = before + section + rest.split(MARKERS[1], 1)[1]
    else:
        text += "\n## Scale: 10k to 10M rows\n\n" + section + "\n"
    output.write_text(text, encoding="utf-8")


def main(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="cookbook-bench-scale-") as scratch:
        for rows in [int(n) for n in str(args.rows or ROWS).split(",")]:
            path = Path(scratch) / f"rows-{rows}.csv"
            generate(path, rows)
            sides = ["cookbook (stream)", "plain pandas + Keras"]  # plain: while it fits
            if rows < IN_MEMORY_ROWS:
                sides.insert(1, "cookbook (in memory)")
            for side in sides:
                if side.startswith("plain"):
                    result = plain(path)
                else:
                    result = cookbook(path, "stream" in side, Path(scratch))
                results.append((rows, side, result))
                print(f"{rows:>10,} {side:<22} {result}", flush=True)
            path.unlink()
    section = markdown(results, (time.perf_counter() - began) / 60)
    plot(results, args.output.parent / PLOT)
    write(
        args.output,
        section.replace(
            MARKERS[1], f"![wall time and peak memory against rows]({PLOT})\n\n{MARKERS[1]}"
        ),
    )


def plot(results: list[tuple[int, str, dict]], path: Path) -> None:
    """Wall seconds and peak RSS against rows, log-log, a line per side: a slope of 1 is
    linear time; a flat memory line is what streaming promises."""
    import matplotlib  # lazy: only the plot needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # lazy: after the Agg backend is chosen

    figure, (wall, memory) = plt.subplots(1, 2, figsize=(10, 4))
    for side in dict.fromkeys(side for _, side, _ in results):
        points = [(rows, r) for rows, s, r in results if s == side]
        xs = [rows for rows, _ in points]
        wall.plot(xs, [r["wall"] for _, r in points], marker="o", label=side)
        memory.plot(xs, [r["rss"] for _, r in points], marker="o", label=side)
    for axes, label in ((wall, "wall time (s)"), (memory, "peak RSS (MiB)")):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("rows")
        axes.set_ylabel(label)
        axes.grid(True, which="both", alpha=0.3)
    wall.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=ROWS)
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    main(parser.parse_args())
