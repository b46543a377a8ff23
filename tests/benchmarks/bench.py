"""`make bench`: what the cookbook costs against plain Keras, as ratios measured in the same run
on the same data, model and epochs. Results go to BENCHMARKS.md.

    --only recipes  (the default) every recipe's default config, `cookbook train` against a
                    plain keras.io-style script, in fresh processes: wall time, steady-state
                    samples/s, peak memory (tests/benchmarks/against_plain.py)
    --only table    the speed settings, two workers and the binary overhead row
                    (tests/benchmarks/table.py); `--only vision`: its image rows alone
    --only serve    `cookbook serve` under 1, 4 and 16 clients (tests/benchmarks/serve.py)
    --only scale    10k to 1M rows (`--rows`; 10M too if listed) of a generated CSV, phase by
                    phase, beside a plain pandas + Keras script (tests/benchmarks/scale.py)
    --only all      recipes, then table, then serve

Quick look: `python -m tests.benchmarks.bench --recipes binary,rnn --repeats 1 --epochs 2
--output /tmp/BENCHMARKS.md` (a copy: the real file keeps its numbers).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

# Before any TensorFlow starts, here or in the children (which inherit it), alike for both sides.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("recipes", "table", "vision", "serve", "scale", "all")
TABLE_EPOCHS = 30  # the table's default; the recipes default to their configs' epochs


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=PARTS, default="recipes", help="default: recipes")
    parser.add_argument("--repeats", type=int, default=3, help="runs per side (median)")
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="epochs for every recipe (default: the config's, heavy recipes capped); "
        f"for the table: {TABLE_EPOCHS}",
    )
    parser.add_argument(
        "--recipes", default=None, help="comma-separated recipes (default: every recipe)"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--seconds", type=float, default=30.0, help="serve: seconds per client level (30)"
    )
    parser.add_argument("--rows", default=None, help="scale: comma-separated row counts")
    args = parser.parse_args(argv)
    if args.repeats < 1 or (args.epochs is not None and args.epochs < 1):
        parser.error("--repeats and --epochs must be at least 1")
    return args


def run_recipes(args: argparse.Namespace) -> bool:
    """The recipes table; False if a recipe failed."""
    from tests.benchmarks import against_plain

    names = args.recipes.split(",") if args.recipes else against_plain.recipe_names()
    unknown = sorted(set(names) - set(against_plain.recipe_names()))
    if unknown:
        raise SystemExit(f"unknown recipe(s): {', '.join(unknown)}")
    scratch = Path(tempfile.mkdtemp(prefix="cookbook-bench-recipes-"))
    results = against_plain.run(names, args.repeats, args.epochs, args.output, scratch)
    if against_plain.failed(results):
        return False  # the failed runs' logs stay in `scratch`
    shutil.rmtree(scratch, ignore_errors=True)
    return True


def run_table(args: argparse.Namespace) -> None:
    from tests.benchmarks import table

    table_args = argparse.Namespace(**vars(args))
    table_args.epochs = args.epochs or TABLE_EPOCHS
    table_args.only = "vision" if args.only == "vision" else None
    table.main(table_args)


def main() -> None:
    args = parse()
    ok = True
    if args.only in ("recipes", "all"):
        ok = run_recipes(args)
    if args.only in ("table", "vision", "all"):
        run_table(args)
    if args.only in ("serve", "all"):
        from tests.benchmarks import serve

        serve.main(args)
    if args.only in ("scale", "all"):
        from tests.benchmarks import scale

        scale.main(args)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
