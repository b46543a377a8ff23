"""`cookbook list`, `show` and `runs`: what there is, answered without TensorFlow."""

from __future__ import annotations

import argparse

from common.cli import configs
from common.config import CONFIG_DIR, config_names, read_with_extends, recipe_names, to_yaml
from common.reporting import runs_table


def list_recipes_and_configs(args: argparse.Namespace) -> int:
    print("Recipes:")
    for name in recipe_names():
        print(f"  {name}")
    print("Configs:")
    for name in config_names():
        recipe = read_with_extends(CONFIG_DIR / f"{name}.yaml").get("recipe", "?")
        print(f"  {name:<28} recipe: {recipe}")
    return 0


def show_config(args: argparse.Namespace) -> int:
    """Print the resolved config: itself a config that trains as it stands."""
    print(to_yaml(configs.load(args.target, args.overrides)), end="")
    return 0


def list_runs(args: argparse.Namespace) -> int:
    """A table of finished runs with their key test metric, baseline and reference."""
    runs_table.print_runs(args.config, args.root)
    return 0
