"""Train every recipe's default config on the zoo's datasets and write what happened: ZOO.md.

Why a zoo: each default was measured on the wheel dataset it ships with, and a default that
holds only there is a demo. Here each dataset is written as the files a user would bring
(`datasets.py`), then trained the way the README says, in a fresh process:

    python -m common.cli train <recipe> data.dataset=... data.path=... --run-dir ...

with only the overrides that describe the data. Each run's metrics.json gives the model's test
score beside the run's own baseline (better than guessing?) and scikit-learn reference (better
than the simple thing?), and the verdict says which of the two the default beat. A run that
fails is a finding too: its exit code and last line of stderr go in the table, and the zoo
goes on to the next entry.

    python -m tests.zoo                                   every entry -> ZOO.md
    python -m tests.zoo --only cars-origin,airline --epochs 2 --out /tmp/zoo

The runner never imports TensorFlow; the training processes do.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from tests.zoo.datasets import WRITERS, Entry, write

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ZOO_MD = PROJECT_ROOT / "ZOO.md"
DEFAULT_OUT = Path("runs/zoo")
TIMEOUT_S = 30 * 60  # one entry; the whole zoo should take less
ACCURACY_MARGIN = 0.01  # "within 1 point" of the reference's accuracy
MAE_MARGIN = 0.05  # "within 5%" of the reference's MAE


@dataclass
class Result:
    """One entry of the zoo, trained (or not): a row of ZOO.md and of results.json."""

    name: str
    kind: str
    rows: int
    recipe: str
    metric: str
    source: str
    exit_code: int | None  # None: killed after TIMEOUT_S
    wall_s: float
    model: float | None = None
    baseline: float | None = None
    reference: float | None = None
    reference_model: str | None = None
    note: str | None = None  # why there is no reference, or the failure's last stderr line
    beats_baseline: bool | None = None
    near_reference: bool | None = None  # within 1 point / 5% of the reference, or better
    verdict: str = ""
    run_verdict: str = ""  # the run's own verdict: beaten beyond noise (✓/✗) and diagnosis


# --------------------------------------------------------------------------------------------
# Verdicts: pure functions of the scores, so a test can check them without training
# --------------------------------------------------------------------------------------------


def verdict(
    metric: str, model: float, baseline: float | None, reference: float | None
) -> tuple[str, bool | None, bool | None]:
    """(the words, beats the baseline?, within 1 point / 5% of the reference or better?).
    Accuracy is better higher and compared in points; MAE is better lower and compared in %."""
    higher = metric == "accuracy"
    words = []
    beats = None
    if baseline is not None:
        beats = model > baseline if higher else model < baseline
        words.append("beats baseline" if beats else "below baseline")
    near = None
    if reference is not None:
        if higher:
            better, near = model > reference, model >= reference - ACCURACY_MARGIN
            gap = f"{100 * (reference - model):.1f} points"
        else:
            better, near = model < reference, model <= (1 + MAE_MARGIN) * reference
            gap = f"{100 * (model / reference - 1):.0f}%" if reference else f"{model:.4g}"
        if better:
            words.append("better than reference")
        elif near:
            words.append("within 1 point of reference" if higher else "within 5% of reference")
        else:
            words.append(f"behind reference by {gap}")
    return "; ".join(words) or "no baseline or reference", beats, near


def result_of(
    entry: Entry,
    metrics: dict[str, Any] | None,
    exit_code: int | None,
    wall_s: float,
    error: str = "",
) -> Result:
    """An entry's row from its run's metrics.json (None: the run wrote none)."""
    result = Result(
        name=entry.name,
        kind=entry.kind,
        rows=entry.rows,
        recipe=entry.recipe,
        metric=entry.metric,
        source=entry.source,
        exit_code=exit_code,
        wall_s=round(wall_s, 1),
    )
    if exit_code != 0 or metrics is None:
        result.verdict = "failed (timed out)" if exit_code is None else f"failed (exit {exit_code})"
        result.note = error or "no metrics.json"
        return result
    result.model = metrics.get("test", {}).get(entry.metric)
    result.baseline = metrics.get("baseline", {}).get(entry.metric)
    result.reference = (metrics.get("reference") or {}).get(entry.metric)
    result.reference_model = (
        metrics.get("reference_model") if result.reference is not None else None
    )
    result.note = metrics.get("reference_note")
    own = metrics.get("verdict") or {}
    if own:
        mark = "✓" if own.get("beats_baseline") else "✗"
        result.run_verdict = f"{mark} {own.get('diagnosis', '?')}"
    if result.model is None:
        result.verdict = f"no test {entry.metric} in metrics.json"
        return result
    result.verdict, result.beats_baseline, result.near_reference = verdict(
        entry.metric, result.model, result.baseline, result.reference
    )
    return result


# --------------------------------------------------------------------------------------------
# Training, one fresh process per entry
# --------------------------------------------------------------------------------------------


def train(entry: Entry, out: Path, epochs: int | None) -> Result:
    """`cookbook train` on the entry's files into `out/runs/<name>`, as a user would run it.
    Its output goes to `out/logs/<name>.log`."""
    run_dir = out / "runs" / entry.name
    shutil.rmtree(run_dir, ignore_errors=True)  # a run folder takes no overrides: start anew
    overrides = list(entry.overrides)
    if epochs is not None:
        overrides.append(f"trainer.epochs={epochs}")
    # Not a model setting: keeps the reference cache in the scratch folder too.
    overrides.append(f"output.dir={out / 'runs'}")
    command = [sys.executable, "-m", "common.cli", "train", entry.recipe, *overrides]
    command += ["--run-dir", str(run_dir)]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            env=environment,
            timeout=TIMEOUT_S,
        )
        code, stdout, stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as timeout:
        code, stdout, stderr = None, _text(timeout.stdout), _text(timeout.stderr)
        stderr += f"\nkilled after {TIMEOUT_S} s"
    wall = time.perf_counter() - start
    log = out / "logs" / f"{entry.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(" ".join(command) + "\n\n" + stdout + "\n" + stderr, encoding="utf-8")
    metrics_path = run_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text("utf-8")) if metrics_path.is_file() else None
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return result_of(entry, metrics, code, wall, lines[-1] if lines else "")


def _text(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return output or ""


# --------------------------------------------------------------------------------------------
# ZOO.md
# --------------------------------------------------------------------------------------------


def number(value: float | None, metric: str) -> str:
    """Accuracy to 3 decimals; an MAE to about 3 significant figures, whatever its scale."""
    if value is None:
        return "—"
    if metric == "accuracy":
        return f"{value:.3f}"
    size = abs(value)
    decimals = 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 1 else 3
    return f"{value:.{decimals}f}"


def duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def table(results: list[Result]) -> str:
    """The markdown table, then a numbered note per reference note or failure."""
    header = ["dataset", "rows", "recipe", "metric", "model", "baseline", "reference", "verdict"]
    lines = [
        "| " + " | ".join([*header, "run's verdict", "wall time"]) + " |",
        "|---|---:|---|---|---:|---:|---|---|---|---:|",
    ]
    notes = []
    for result in results:
        reference = number(result.reference, result.metric)
        if result.reference_model:
            reference += f" ({result.reference_model})"
        verdict_text = result.verdict
        if result.note:
            notes.append(f"{len(notes) + 1}. {result.name}: {result.note}")
            marker = f" [{len(notes)}]"
            if result.exit_code == 0:
                reference += marker
            else:
                verdict_text += marker
        cells = [
            result.name,
            f"{result.rows:,}",
            result.recipe,
            result.metric,
            number(result.model, result.metric),
            number(result.baseline, result.metric),
            reference,
            verdict_text,
            result.run_verdict or "-",
            duration(result.wall_s),
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines + ([""] + notes if notes else []))


def summary(results: list[Result]) -> dict[str, Any]:
    total = len(results)
    return {
        "entries": total,
        "beat_baseline": sum(bool(result.beats_baseline) for result in results),
        "near_reference": sum(bool(result.near_reference) for result in results),
        "with_reference": sum(result.reference is not None for result in results),
        "failed": sum(result.exit_code != 0 for result in results),
        "wall_s": round(sum(result.wall_s for result in results), 1),
    }


def machine() -> str:
    """The machine in words, without importing TensorFlow: cores, Python, TF and Keras."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = []
    for package in ("tensorflow", "keras"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} not installed")
    python = platform.python_version()
    return f"{cores}-core CPU ({platform.machine()}), Python {python}, " + ", ".join(versions)


def markdown(results: list[Result], command: str, epochs: int | None) -> str:
    counts = summary(results)
    total = counts["entries"]
    settings = "default epochs" if epochs is None else f"trainer.epochs={epochs}: a smoke run"
    lines = [
        "# The zoo: default configs on data nobody here wrote",
        "",
        "Every recipe's **default config** trained on real datasets none of the defaults was",
        "tuned on, written as the files a user would bring (a CSV table, a series CSV with its",
        "time column first, class folders of PNGs) from installed wheels, offline. Each run gets",
        "only the overrides that describe its data (data.dataset, data.path, data.target).",
        "*model* is the default's test score, *baseline* the run's own guess (majority class,",
        "mean, persistence), *reference* the run's own scikit-learn reference on the same split.",
        "*run's verdict* is what the run itself concluded (`metrics.json`'s verdict): ✓ when it",
        "beat its baseline beyond noise, and its diagnosis.",
        "",
        f"Command: `{command}` ({settings}). Machine: {machine()}.",
        "",
        table(results),
        "",
        f"**{counts['beat_baseline']} of {total}** beat the baseline; "
        f"**{counts['near_reference']} of {total}** are within 1 point (accuracy) or 5% (MAE) "
        f"of the reference or better ({counts['with_reference']} of {total} have one); "
        f"{counts['failed']} failed. Total wall time {duration(counts['wall_s'])}.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def kept_notes(path: Path) -> str:
    """The hand-written part of an existing ZOO.md (from its first `## ` heading on), which a
    new run keeps below the new table."""
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8")
    start = text.find("\n## ")
    return "" if start < 0 else text[start:]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.zoo", description=__doc__.split("\n")[0])
    parser.add_argument("--only", metavar="A,B", help="these entries only: " + ",".join(WRITERS))
    parser.add_argument(
        "--epochs", type=int, metavar="N", help="trainer.epochs=N for every run (smoke runs)"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"scratch folder (default {DEFAULT_OUT})"
    )
    args = parser.parse_args(argv)
    args.names = [name.strip() for name in args.only.split(",")] if args.only else list(WRITERS)
    unknown = [name for name in args.names if name not in WRITERS]
    if unknown:
        parser.error(f"unknown entries: {', '.join(unknown)} (known: {', '.join(WRITERS)})")
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    out = args.out.resolve()
    shutil.rmtree(out / "data", ignore_errors=True)  # every file written afresh
    results = []
    for index, name in enumerate(args.names, 1):
        entry = write(name, out / "data")
        unit = "images" if entry.kind == "images" else f"{entry.kind} rows"
        print(
            f"[{index}/{len(args.names)}] {name}: {entry.recipe} on {entry.rows:,} {unit}",
            flush=True,
        )
        result = train(entry, out, args.epochs)
        results.append(result)
        score = number(result.model, result.metric)
        print(
            f"    {result.metric} {score}: {result.verdict} ({duration(result.wall_s)})", flush=True
        )
        if result.exit_code != 0:
            print(f"    {result.note}")

    given = sys.argv[1:] if argv is None else argv
    command = "make zoo" + (f' ARGS="{" ".join(given)}"' if given else "")
    report = {
        "command": command,
        "machine": machine(),
        "epochs": args.epochs,
        "summary": summary(results),
        "entries": [asdict(result) for result in results],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    text = markdown(results, command, args.epochs)
    (out / "ZOO.md").write_text(text, encoding="utf-8")
    written = [out / "ZOO.md", out / "results.json"]
    if not args.only and args.epochs is None:  # the full zoo at default epochs: the real figures
        ZOO_MD.write_text(text + kept_notes(ZOO_MD), encoding="utf-8")
        written.append(ZOO_MD)
    print("\n" + table(results) + "\n")
    print("wrote " + ", ".join(str(path) for path in written))
