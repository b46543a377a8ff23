"""Configs: the typed schema (`schema`) and strict loading, merging and overrides (`loading`).

    from common.config import load_config
    config = load_config("binary", ["trainer.epochs=3"])

No TensorFlow here: `--help`, `list`, `show` and config errors answer instantly.
"""

from common.config.loading import (
    CONFIG_DIR,
    PROJECT_ROOT,
    RECIPE_DIR,
    apply_overrides,
    build_section,
    config_names,
    deep_merge,
    find_config,
    from_dict,
    load_config,
    options_class,
    parse_override,
    read_with_extends,
    read_yaml,
    recipe_names,
    to_dict,
    to_yaml,
    with_overrides,
)

__all__ = [
    "CONFIG_DIR",
    "PROJECT_ROOT",
    "RECIPE_DIR",
    "apply_overrides",
    "build_section",
    "config_names",
    "deep_merge",
    "find_config",
    "from_dict",
    "load_config",
    "options_class",
    "parse_override",
    "read_with_extends",
    "read_yaml",
    "recipe_names",
    "to_dict",
    "to_yaml",
    "with_overrides",
]
