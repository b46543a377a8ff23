"""Configs: the typed schema, and strict loading, merging and overrides — TensorFlow-free, so
`--help`, `list`, `show` and config errors answer instantly.

    from common.config import load_config
    config = load_config("binary", ["trainer.epochs=3"])

    schema        every section, its defaults and the values each key accepts
    files         finding configs and recipes by name, reading YAML safely, `extends:`
    overrides     `section.key=value` on the command line
    sections      typed sections from raw mappings; each recipe's `Options`
    checks        rules between keys
    search_space  the `tune.space` grammar
    loading       all of the above, in order: `load_config`, `with_overrides`, `to_yaml`

Whether a config's data exists and fits (a dataset's name, a CSV's columns) is the data room's
check, `common.data.catalogue.check_source`, one layer up; `cookbook` runs both before
TensorFlow starts (`common.cli.configs`). This package's public names are re-exported here.
"""

from common.config.files import (
    CONFIG_DIR,
    PROJECT_ROOT,
    config_names,
    read_with_extends,
    read_yaml,
    recipe_names,
)
from common.config.loading import (
    check_sweep_values,
    from_dict,
    load_config,
    to_yaml,
    with_overrides,
)
from common.config.sections import options_class

__all__ = [
    "CONFIG_DIR",
    "PROJECT_ROOT",
    "check_sweep_values",
    "config_names",
    "from_dict",
    "load_config",
    "options_class",
    "read_with_extends",
    "read_yaml",
    "recipe_names",
    "to_yaml",
    "with_overrides",
]
