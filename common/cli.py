"""`cookbook`: the command line. Answers --help, list, show and config errors instantly;
TensorFlow is imported only by the commands that build models.

    cookbook list
    cookbook show binary trainer.epochs=3
    cookbook check binary
    cookbook train binary trainer.epochs=3 model.units=[64,64]
    cookbook train configs/binary-imdb.yaml
    cookbook train --resume runs/binary/latest
"""

from __future__ import annotations

import argparse
import os
import sys

from common import config as config_module
from common.errors import EXIT_USAGE, UserError


def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def cmd_list(args: argparse.Namespace) -> int:
    print("Recipes:")
    for name in config_module.recipe_names():
        print(f"  {name}")
    print("Configs:")
    for name in config_module.config_names():
        recipe = config_module.read_with_extends(config_module.CONFIG_DIR / f"{name}.yaml").get("recipe", "?")
        print(f"  {name:<28} recipe: {recipe}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    config = config_module.load_config(args.target, args.overrides)
    print(config_module.to_yaml(config), end="")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    config = config_module.load_config(args.target, args.overrides)
    _quiet_tensorflow()
    from common import train

    summary = train.check(config)
    print(f"ok: {config.name} ({summary['recipe']}) — {summary['parameters']:,} parameters, "
          f"{summary['strategy']} with {summary['replicas']} replica(s), "
          f"loss after one step {summary['loss_after_one_step']:.4f}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from common import runs

    if args.resume:
        if args.target or args.overrides:
            raise UserError("--resume trains the run's own config.yaml; drop the config and overrides.")
        run_dir, config = runs.open_run(args.resume)
    else:
        if not args.target:
            raise UserError("name a recipe or config to train, e.g. `cookbook train binary`.")
        run_dir, config = None, config_module.load_config(args.target, args.overrides)
    _quiet_tensorflow()
    from common import train

    train.train(config, Path(run_dir) if run_dir else None)
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="cookbook",
        description="Keras 3 / TensorFlow training recipes driven by YAML configs.",
        epilog="Overrides are dotted keys: trainer.epochs=3 model.units=[64,64] optimizer.learning_rate=3e-4",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler, help_text: str, target: str = "required") -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        if target == "required":
            command.add_argument("target", help="recipe or config name (binary, binary-imdb) or a YAML path")
        elif target == "optional":
            command.add_argument("target", nargs="?", help="recipe or config name, or a YAML path")
        if target != "none":
            command.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides")
        return command

    add("list", cmd_list, "list recipes and configs", target="none")
    add("show", cmd_show, "print the resolved config")
    add("check", cmd_check, "validate, build under the strategy and run one training step")
    train_command = add("train", cmd_train, "train a config in a new run folder", target="optional")
    train_command.add_argument("--resume", metavar="RUN", help="continue an unfinished run folder")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\ninterrupted; `cookbook train --resume RUN` continues the run.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
