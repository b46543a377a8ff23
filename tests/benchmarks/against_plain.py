"""Every recipe's default config: `cookbook train <recipe>` against a plain keras.io-style script
of the same model and data (tests/benchmarks/plain/<recipe>.py), in fresh processes.

For each recipe, `repeats` pairs run interleaved (cookbook, plain, cookbook, plain, ...), so
whatever else the machine does falls on both alike; each number is the median over repeats.
Both sides train the same epochs with early stopping off (so the epoch count is equal); three
heavy recipes are capped (`CAPPED_EPOCHS`) so that the whole table takes about 50 minutes
on 2 CPU cores. The cookbook's runs write into the project's runs/, so its scikit-learn
reference and the GAN's quality classifier come from runs/.cache/ after the first run on a
dataset, as they do for a user's second run. Per run:

    wall        seconds from starting the process to its exit: the TensorFlow import, the data,
                the build, training, evaluation and saving, and for the cookbook everything
                it does beside (run folder, backups, TensorBoard, plots, reports)
    samples/s   steady-state training throughput: training examples per epoch times the epochs
                after a fit's first, over the time from the end of its first epoch to the end
                of its last (so tracing and the first epoch's caching stay out, and every
                epoch-end callback stays in). The plain script stamps epoch ends with a
                callback; the cookbook run is not touched: its TensorBoard event files hold
                a wall-clock stamp for every epoch's metrics, written at each epoch's end
    peak MiB    the child's peak resident memory, ru_maxrss from os.wait4 on that child alone
    CPU s       the child's user + system CPU seconds (os.wait4): its work, whatever the wall
                clock lost to a busy neighbour
    stolen      the share of the machine's CPU time that the hypervisor gave to other guests
                while the child ran (the `steal` column of /proc/stat): on a shared virtual
                machine, a pair whose two sides were stolen from unevenly is not a fair pair

This module imports no TensorFlow, and must not: ru_maxrss is a high-water mark that a child
inherits from its parent at fork (Linux carries it across exec), so a parent holding TensorFlow
would put a floor of ~700 MiB under every child's peak. This parent holds ~35 MiB; the machine
line in the table says how much it held.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLAIN_DIR = Path(__file__).resolve().parent / "plain"
MARKERS = ("<!-- recipes:start -->", "<!-- recipes:end -->")
SECTION = "## Every recipe against a plain script"
# Every recipe trains its config's epochs (binary, multiclass, convnet 150/150/60 for the 0.8x
# check; autoencoder, GAN and resnet 40), except the three whose default runs would take the
# table past an hour on 2 cores: densenet at half its epochs, the rnn forecaster and the
# regression's 4 folds + final model (5 x 100 epochs by default) at 30.
CAPPED_EPOCHS = {
    "densenet": 12,
    "rnn": 30,
    "regression": 30,
}
BOTH_SIDES = ["trainer.early_stopping.enabled=false"]  # the plain scripts have none
COLUMNS = (
    "recipe",
    "epochs",
    "plain wall s",
    "cookbook wall s",
    "wall ratio",
    "plain samples/s",
    "cookbook samples/s",
    "throughput ratio",
    "plain peak MiB",
    "cookbook peak MiB",
    "memory ratio",
    "CPU s ratio",
    "stolen %, plain / cookbook",
)


@dataclass
class Run:
    """One process: wall seconds, peak resident MiB, steady-state training samples/s."""

    wall: float
    peak_mib: float
    samples_per_second: float | None
    cpu: float | None = None
    stolen: float | None = None  # a share, 0-1


@dataclass
class Result:
    recipe: str
    epochs: int
    fits: int = 1  # models trained per run: K folds and a final one for K-fold recipes
    plain: list[Run] = field(default_factory=list)
    cookbook: list[Run] = field(default_factory=list)
    error: str | None = None


# --------------------------------------------------------------------------------------------
# Running one child and reading its epoch times
# --------------------------------------------------------------------------------------------


def cpu_ticks() -> tuple[int, int] | None:
    """(all CPU time, stolen CPU time) of the machine so far, in clock ticks, from the first
    line of /proc/stat; None where there is none."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            values = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice: inside user and nice]
    return sum(values[:8]), values[7] if len(values) > 7 else 0


def stolen_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of the machine's CPU time stolen between two `cpu_ticks` readings."""
    if before is None or after is None or after[0] <= before[0]:
        return None
    return (after[1] - before[1]) / (after[0] - before[0])


def run_child(command: list[str], log: Path) -> Run:
    """Wall seconds, peak RSS MiB, CPU seconds and the stolen share of `command` run to its
    exit in a fresh process. os.wait4 returns the resource usage of that one child (ru_maxrss:
    KiB on Linux); the samples/s are filled in by the caller."""
    ticks = cpu_ticks()
    started = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stolen = stolen_share(ticks, cpu_ticks())
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise RuntimeError(
            f"exited with {process.returncode}, log {log}\n{shlex.join(command)}\n{tail}"
        )
    return Run(wall, usage.ru_maxrss / 1024, None, usage.ru_utime + usage.ru_stime, stolen)


def read_records(path: Path) -> list[bytes]:
    """The records of a TFRecord file (length, its CRC, data, its CRC; CRCs not checked)."""
    data, records, offset = path.read_bytes(), [], 0
    while offset + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, offset)
        records.append(data[offset + 12 : offset + 12 + length])
        offset += 12 + length + 4
    return records


def epoch_ends(train_log_dir: Path) -> list[float]:
    """Wall-clock time of each epoch's end: the earliest `epoch_*` scalar of that epoch that
    Keras' TensorBoard callback wrote to `train/` (eager summary ops stamp the time they run)."""
    from tensorboard.compat.proto import event_pb2

    first_write: dict[int, float] = {}
    for path in sorted(train_log_dir.glob("events.out.tfevents.*")):
        for record in read_records(path):
            event = event_pb2.Event.FromString(record)
            if any(value.tag.startswith("epoch_") for value in event.summary.value):
                first_write[event.step] = min(
                    event.wall_time, first_write.get(event.step, event.wall_time)
                )
    return [first_write[step] for step in sorted(first_write)]


def cookbook_fits(run_dir: Path) -> list[list[float]]:
    """Epoch ends of every fit of a cookbook run (one, or each fold's then the final model's),
    in the order they trained."""
    fits = [epoch_ends(folder) for folder in run_dir.glob("logs/**/train") if folder.is_dir()]
    return sorted((ends for ends in fits if ends), key=lambda ends: ends[0])


def steady_samples_per_second(fits: list[list[float]], examples: list[int]) -> float | None:
    """Training examples per second over the epochs after each fit's first; None when no fit
    trained two epochs or more."""
    if len(fits) != len(examples):
        raise RuntimeError(f"{len(fits)} fits timed, but {len(examples)} fits of examples")
    seen = sum(count * (len(ends) - 1) for ends, count in zip(fits, examples, strict=True))
    seconds = sum(ends[-1] - ends[0] for ends in fits if len(ends) > 1)
    return seen / seconds if seen and seconds > 0 else None


# --------------------------------------------------------------------------------------------
# The two sides
# --------------------------------------------------------------------------------------------


def cookbook_executable() -> list[str]:
    """The `cookbook` console script beside this Python (what `make train` runs), else the
    same entry point through `-m`."""
    script = Path(sys.executable).parent / "cookbook"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "common.cli"]


def cookbook_command(recipe: str, epochs: int, run_dir: Path) -> list[str]:
    overrides = [f"trainer.epochs={epochs}", *BOTH_SIDES]
    return [*cookbook_executable(), "train", recipe, *overrides, "--run-dir", str(run_dir)]


def plain_command(recipe: str, epochs: int, output: Path, timings: Path) -> list[str]:
    module = f"tests.benchmarks.plain.{recipe}"
    options = ["--epochs", str(epochs), "--output", str(output), "--timings", str(timings)]
    return [sys.executable, "-m", module, *options]


def run_plain(recipe: str, epochs: int, folder: Path) -> tuple[Run, list[int]]:
    """The plain run, and its training examples per fit (the cookbook's too: both sides draw
    the same splits)."""
    timings = folder / "timings.json"
    run = run_child(plain_command(recipe, epochs, folder, timings), folder / "log.txt")
    fits = json.loads(timings.read_text())
    examples = [fit["examples"] for fit in fits]
    run.samples_per_second = steady_samples_per_second([f["epoch_ends"] for f in fits], examples)
    return run, examples


def run_cookbook(recipe: str, epochs: int, folder: Path) -> tuple[Run, list[list[float]]]:
    """The cookbook run (its throughput is filled in once the examples are known) and the
    epoch ends of its fits."""
    run_dir = folder / "run"
    run = run_child(cookbook_command(recipe, epochs, run_dir), folder / "log.txt")
    return run, cookbook_fits(run_dir)


def bench_epochs(recipe: str, epochs: int | None) -> int:
    """`--epochs` if given, else the cap for a heavy recipe, else the config's own."""
    if epochs:
        return epochs
    if recipe in CAPPED_EPOCHS:
        return CAPPED_EPOCHS[recipe]
    from common.config import load_config

    return load_config(recipe).trainer.epochs


def measure(recipe: str, epochs: int, repeats: int, scratch: Path) -> Result:
    """`repeats` pairs, cookbook then plain, each in a new folder removed once read."""
    result = Result(recipe, epochs)
    for index in range(repeats):
        runs = {}
        for side in ("cookbook", "plain"):
            folder = scratch / f"{recipe}-{side}-{index}"
            folder.mkdir(parents=True)
            try:
                if side == "cookbook":
                    runs[side], fits = run_cookbook(recipe, epochs, folder)
                else:
                    runs[side], examples = run_plain(recipe, epochs, folder)
                    result.fits = len(examples)
            except RuntimeError as error:  # the folder and its log stay for a look
                raise RuntimeError(f"{side} {error}") from error
            shutil.rmtree(folder, ignore_errors=True)
        runs["cookbook"].samples_per_second = steady_samples_per_second(fits, examples)
        result.cookbook.append(runs["cookbook"])
        result.plain.append(runs["plain"])
        for side, run in runs.items():
            report(recipe, side, index, repeats, run)
    return result


def report(recipe: str, side: str, index: int, repeats: int, run: Run) -> None:
    rate = f"{run.samples_per_second:,.0f} samples/s" if run.samples_per_second else "-"
    print(
        f"{recipe:<12} {side:<8} {index + 1}/{repeats}: {run.wall:6.1f} s  "
        f"{run.peak_mib:5.0f} MiB  {rate}  CPU {_number(run.cpu, 1)} s  "
        f"stolen {_percent(run.stolen)}",
        flush=True,
    )


# --------------------------------------------------------------------------------------------
# The table, between its markers in BENCHMARKS.md
# --------------------------------------------------------------------------------------------


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _number(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{100 * share:.0f}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    return "—" if ours is None or not theirs else f"{ours / theirs:.2f}×"


def medians(runs: list[Run]) -> tuple[float | None, ...]:
    """(wall, peak MiB, samples/s, CPU s, stolen share), each the median over `runs`."""
    return tuple(
        _median([getattr(run, name) for run in runs])
        for name in ("wall", "peak_mib", "samples_per_second", "cpu", "stolen")
    )


def table_row(result: Result) -> str:
    """One row: medians of each side, and the ratios cookbook / plain."""
    if result.error:
        cells = [result.recipe, str(result.epochs), f"failed: {result.error}"]
        return "| " + " | ".join(cells + [""] * (len(COLUMNS) - 3)) + " |"
    plain_wall, plain_peak, plain_rate, plain_cpu, plain_stolen = medians(result.plain)
    wall, peak, rate, cpu, stolen = medians(result.cookbook)
    cells = [
        result.recipe,
        f"{result.epochs} × {result.fits} fits" if result.fits > 1 else str(result.epochs),
        _number(plain_wall, 1),
        _number(wall, 1),
        _ratio(wall, plain_wall),
        _number(plain_rate),
        _number(rate),
        _ratio(rate, plain_rate),
        _number(plain_peak),
        _number(peak),
        _ratio(peak, plain_peak),
        _ratio(cpu, plain_cpu),
        f"{_percent(plain_stolen)} / {_percent(stolen)}",
    ]
    return "| " + " | ".join(cells) + " |"


def machine_line(minutes: float) -> str:
    """What the numbers were measured on, and how busy it was when they started."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        model = names[0].split(":", 1)[1].strip() + ", " if names else ""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}" for name in ("tensorflow", "keras")
    )
    return (
        f"Machine: {platform.machine()}, {model}{os.cpu_count()} CPU cores, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"{versions}; load average {load} at the end; the run took {minutes:.1f} minutes; "
        f"the measuring process peaked at {parent:.0f} MiB (a floor under each child's peak)."
    )


def format_block(results: list[Result], command: str, machine: str, repeats: int) -> str:
    """The block between the markers: command, machine, table, how to read it."""
    lines = [
        MARKERS[0],
        f"Command: `{command}`",
        "",
        machine,
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *[table_row(result) for result in results],
        "",
        f"Median of {repeats} run(s) per side, interleaved (cookbook, plain, ...), each a fresh "
        "process; early stopping off in both. Wall: the whole command, TensorFlow import "
        "included; the cookbook's also holds what the plain script does not do (run folder, "
        "backups, TensorBoard, evaluation against the baseline, plots, and the recipe's report: "
        "inspection pictures for the image classifiers, the GAN's quality-score classifier). "
        "Samples/s: training examples per second over the epochs after each fit's first, epoch "
        "end to epoch end (plain: a timing callback; cookbook: the epoch stamps in its "
        "TensorBoard event files); — when fewer than two epochs ran. Peak: the process's "
        "maximum resident memory (ru_maxrss from os.wait4). CPU s: the process's user + system "
        "CPU seconds (os.wait4), its work whatever the wall clock lost to other guests. Stolen: "
        "the share of the machine's CPU time the hypervisor gave to other guests while the "
        "process ran (/proc/stat's steal), the median of each side; a side stolen from more "
        "took longer for it. Ratios are cookbook / plain: above 1 the cookbook took longer, "
        "held more memory or used more CPU, below 1 it trained fewer samples per second.",
        MARKERS[1],
    ]
    return "\n".join(lines)


def replace_block(text: str, block: str) -> str:
    """`text` with the block between the markers replaced; without markers, a new section
    before the first `## ` section (or at the end), leaving everything else as it was."""
    start, end = MARKERS
    if start in text and end in text:
        before, rest = text.split(start, 1)
        return before + block + rest.split(end, 1)[1]
    section = f"{SECTION}\n\n`make bench`:\n\n{block}\n"
    if "\n## " in text:
        head, tail = text.split("\n## ", 1)
        return f"{head.rstrip()}\n\n{section}\n## {tail}"
    return f"{text.rstrip()}\n\n{section}" if text.strip() else f"# Benchmarks\n\n{section}"


def write(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    path.write_text(replace_block(text, block), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Entry point (from tests/benchmarks/bench.py)
# --------------------------------------------------------------------------------------------


def recipe_names() -> list[str]:
    from common.config import recipe_names as names

    return names()


def plain_scripts() -> set[str]:
    return {path.stem for path in PLAIN_DIR.glob("*.py") if not path.stem.startswith("_")}


def run(
    recipes: list[str], repeats: int, epochs: int | None, output: Path, scratch: Path
) -> list[Result]:
    """Measure `recipes` one after another and write the table to `output`. A recipe that
    fails gets a row saying so; the others are still measured."""
    started = time.perf_counter()
    results = []
    missing = sorted(set(recipes) - plain_scripts())
    if missing:
        raise SystemExit(f"no plain script in {PLAIN_DIR} for: {', '.join(missing)}")
    for recipe in recipes:
        result = Result(recipe, bench_epochs(recipe, epochs))
        try:
            result = measure(recipe, result.epochs, repeats, scratch)
        except RuntimeError as error:
            print(error, file=sys.stderr, flush=True)
            result.error = str(error).splitlines()[0][:120].replace("|", "/")
        results.append(result)
    command = shlex.join([_relative(sys.executable), "-m", "tests.benchmarks.bench", *sys.argv[1:]])
    machine = machine_line((time.perf_counter() - started) / 60)
    block = format_block(results, command, machine, repeats)
    write(output, block)
    print(block)
    return results


def _relative(path: str) -> str:
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return path


def failed(results: list[Result]) -> bool:
    return any(result.error for result in results)
