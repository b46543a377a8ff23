"""`cookbook report`, `gradcam` and `sample`: what a finished run shows — its HTML page,
where its image classifier looked, and new examples drawn from a generative model."""

from __future__ import annotations

import argparse
from pathlib import Path

from common.cli import configs
from common.cli.startup import start_tensorflow
from common.config.run_info import RunInfo
from common.errors import UserError
from common.reporting import run_folders


def report(args: argparse.Namespace) -> int:
    """One self-contained HTML page for one run, or a comparison of several."""
    from common.reporting import report as report_page  # lazy: matplotlib, scikit-learn (1 s)

    target = run_folders.report_target(args.runs, args.output)
    run_folders.check_overwritable(target, args.output)
    print(report_page.write_report(args.runs, str(target)))
    return 0


def gradcam(args: argparse.Namespace) -> int:
    """Grad-CAM heatmaps of a finished image classifier over any images."""
    run_dir, _ = configs.open_run(args.run)
    for path in args.images:
        if not Path(path).exists():
            raise UserError(f"not found: {path}")
    if args.output and Path(args.output).exists() and not Path(args.output).is_dir():
        raise UserError(f"--output {args.output} is a file; name a folder for the pictures.")
    start_tensorflow()
    from common.serving.gradcam import gradcam_files  # lazy: TensorFlow, after the checks

    output = Path(args.output) if args.output else run_dir / "gradcam"
    for path in gradcam_files(run_dir, args.images, output):
        print(path)
    return 0


def sample(args: argparse.Namespace) -> int:
    """Draw new examples from a finished run through its recipe's `sample` hook."""
    if not Path(args.run).exists():
        raise UserError(f"run folder not found: {args.run}")
    run_dir, config = configs.open_run(args.run)
    start_tensorflow()
    from common.training.recipe import load_recipe  # lazy: recipes import TensorFlow

    recipe = load_recipe(config.recipe)
    if recipe.sample is None:
        raise UserError(
            f"{run_dir} is a run of the {config.recipe!r} recipe, which does not draw samples "
            "(no `sample` hook); e.g. `cookbook sample runs/gan-conditional/latest`."
        )
    print(recipe.sample(RunInfo.of(config, run_dir), args.n, args.label, args.seed))
    return 0
