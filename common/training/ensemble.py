"""`trainer.ensemble: true`: the mean of several models' probabilities (or values) as a run.

Of seeds (`cookbook train RECIPE --seeds 0,1,2 trainer.ensemble=true`): the seeds share the
split (`data.split_seed` stays at the config's seed) and differ in their initial weights and
batch order, so their mistakes are partly their own: the mean of their
probabilities (or values) is usually at least as good as the average member, and steadier.

The ensemble is a run folder of its own, `runs/<name>/ensemble-<time>-<id>` (`latest-ensemble`
points at the newest). Its best.keras is one Functional model that hands the same raw inputs
to every member and averages their outputs (`keras.layers.Average`), so `predict`, `serve`,
`export` and `evaluate` take it like any run. metrics.json keeps its test scores beside each
member's, with the baseline and reference the members were judged against.

Of K-fold models (`data.split=kfold trainer.ensemble=true`): each fold's best model is kept
(`folds/<fold>/best.keras`) and their mean is the run's model, in place of the final model
on all training data (which is then not trained: every example already trained K-1 of the
K members). Each member saw a different (K-1)/K of the data and was stopped on its own
validation fold, the "cross-validation ensemble" of competitions. The run scores it on the
test split beside each fold's model.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras

from common.config.schema import Config
from common.data.dataset import Dataset
from common.reporting import run_files
from common.training import runs
from common.training.recipe import Recipe, load_recipe
from common.training.results import load_model, scores_and_outputs

if TYPE_CHECKING:
    from common.training.startup import Workspace

COPIED = ("labels.txt", "columns.json")  # what predict and serve read beside best.keras
# One output a mean makes sense of: class probabilities, or values.
TASKS = ("binary", "multiclass", "regression")


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
    print(f"\nEnsemble of {len(members)} seeds: {run_dir}")
    print_table(scores, [f"seed {seed}" for seed in seeds], [m["test"] for _, m in members])
    return run_dir


def of_folds(
    recipe: Recipe, config: Config, dataset: Dataset, workspace: Workspace, folds: list[dict]
) -> tuple[keras.Model, dict[str, Any]]:
    """The folds' best models averaged, and metrics' "ensemble" entry: each member's test
    scores. The chief writes the model as the run's best.keras."""
    paths = [fold_model(workspace, fold["fold"]) for fold in folds]
    members = [load_model(path) for path in paths]
    test_data = recipe.batches(dataset.x_test, dataset.y_test, config, False)
    member_scores = [scores_and_outputs(member, test_data)[0] for member in members]
    model = average(members, members[0].get_compile_config())
    if workspace.is_chief:
        run_files.save_model(model, workspace.run_dir / "best.keras")
    scores = scores_and_outputs(model, test_data)[0]
    names = [fold["fold"] for fold in folds]
    print(f"\nEnsemble of {len(members)} fold models (the run's model, best.keras)")
    print_table(scores, names, member_scores)
    entry = {
        "of": "folds",
        "members": [
            {"fold": name, "model": str(path.relative_to(path.parents[2])), "test": member}
            for name, path, member in zip(names, paths, member_scores, strict=True)
        ],
    }
    return model, entry


def fold_model(workspace: Workspace, fold: str) -> Path:
    """A fold's best.keras: this process's copy (every worker of a cluster saves its own),
    else the chief's, for folds finished before a resume."""
    for folder in (workspace.write_dir, workspace.run_dir):
        path = folder / "folds" / fold / "best.keras"
        if path.is_file():
            return path
    raise FileNotFoundError(f"{workspace.run_dir / 'folds' / fold / 'best.keras'} is missing")


def print_table(scores: dict, heads: list[str], members: list[dict]) -> None:
    """The ensemble's test scores, then each member's, a column each."""
    print(f"{'test':<14} {'ensemble':>10}" + "".join(f"{head:>10}" for head in heads))
    for name, value in scores.items():
        cells = "".join(f"{member.get(name, float('nan')):>10.4f}" for member in members)
        print(f"  {name:<12} {value:>10.4f}{cells}")
