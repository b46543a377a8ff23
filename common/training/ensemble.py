"""`cookbook train RECIPE --seeds 0,1,2 trainer.ensemble=true`: the seeds' mean as a run.

The seeds share the split (`data.split_seed` stays at the config's seed) and differ in their
initial weights and batch order, so their mistakes are partly their own: the mean of their
probabilities (or values) is usually at least as good as the average member, and steadier.

The ensemble is a run folder of its own, `runs/<name>/ensemble-<time>-<id>` (`latest-ensemble`
points at the newest). Its best.keras is one Functional model that hands the same raw inputs
to every member and averages their outputs (`keras.layers.Average`), so `predict`, `serve`,
`export` and `evaluate` take it like any run. metrics.json keeps its test scores beside each
member's, with the baseline and reference the members were judged against.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import keras

from common.config.schema import Config
from common.reporting import run_files
from common.training import runs
from common.training.recipe import load_recipe
from common.training.results import load_model, scores_and_outputs

COPIED = ("labels.txt", "columns.json")  # what predict and serve read beside best.keras


def average(members: list[keras.Model], compile_config: dict | None) -> keras.Model:
    """One model: the members' outputs on shared inputs, averaged."""
    first = members[0]
    if len(first.outputs) != 1:
        raise ValueError("an ensemble averages models with one output")
    for index, member in enumerate(members):
        member.name = f"member_{index}"  # nested models need names of their own
    inputs = keras.tree.map_structure(
        lambda tensor: keras.Input(shape=tensor.shape[1:], dtype=tensor.dtype, name=tensor.name),
        first.input,
    )
    outputs = keras.layers.Average(name="mean")([member(inputs) for member in members])
    model = keras.Model(inputs, outputs, name="ensemble")
    if compile_config:
        model.compile_from_config(compile_config)
    return model


def write_ensemble(
    config: Config, seeds: list[int], members: list[tuple[Path, dict[str, Any]]]
) -> Path:
    """The ensemble's run folder from the members' (run folder, metrics), scored on the test
    split; returns the folder."""
    first_dir, first = members[0]
    compile_config = load_model(first_dir / "best.keras").get_compile_config()
    models = [
        keras.saving.load_model(run_dir / "best.keras", safe_mode=True, compile=False)
        for run_dir, _ in members
    ]
    model = average(models, compile_config)
    recipe = load_recipe(config.recipe)
    dataset = recipe.dataset(config)
    scores, _ = scores_and_outputs(
        model, recipe.batches(dataset.x_test, dataset.y_test, config, False)
    )
    run_dir = runs.new_run_dir(config, prefix="ensemble-")
    runs.write_config(run_dir, config)
    for name in COPIED:
        if (first_dir / name).is_file():
            shutil.copyfile(first_dir / name, run_dir / name)
    run_files.save_model(model, run_dir / "best.keras")
    kept = ("task", "baseline", "reference", "reference_model", "reference_fitted_on")
    metrics = {
        **{key: first[key] for key in kept if key in first},
        "config": config.name,
        "recipe": config.recipe,
        "test": scores,
        "ensemble": {
            "members": [
                {"run": str(path), "seed": seed, "test": member["test"]}
                for seed, (path, member) in zip(seeds, members, strict=True)
            ],
        },
    }
    run_files.write_json(run_dir / "metrics.json", metrics)
    print_ensemble(run_dir, scores, seeds, members)
    return run_dir


def print_ensemble(
    run_dir: Path, scores: dict, seeds: list[int], members: list[tuple[Path, dict]]
) -> None:
    print(f"\nEnsemble of {len(members)} seeds: {run_dir}")
    heads = "".join(f"{f'seed {seed}':>10}" for seed in seeds)
    print(f"{'test':<14} {'ensemble':>10}{heads}")
    for name, value in scores.items():
        cells = "".join(f"{m['test'].get(name, float('nan')):>10.4f}" for _, m in members)
        print(f"  {name:<12} {value:>10.4f}{cells}")
