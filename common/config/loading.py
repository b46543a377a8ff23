"""Load, merge, override and validate configs — strictly, and without importing TensorFlow.

    config = load_config("binary", ["trainer.epochs=3", "model.units=[64,64]"])

Resolution order: schema defaults (`common.config.schema`) < `extends:` chain < the YAML file < the
command-line overrides. Every key is checked against the schema: an unknown key fails with its
full dotted path and a did-you-mean, a wrong type names the expected type and what was given.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import re
import reprlib
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from common.config.schema import Config
from common.data import sources
from common.errors import ConfigError, UserError, did_you_mean, unknown_name
from common.tuning import search_space

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / "configs"
RECIPE_DIR = PROJECT_ROOT / "recipes"


# --------------------------------------------------------------------------------------------
# Finding recipes and configs (file names only: no imports)
# --------------------------------------------------------------------------------------------


def recipe_names() -> list[str]:
    return sorted(p.stem for p in RECIPE_DIR.glob("*.py") if not p.stem.startswith("_"))


def config_names() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def _is_file(path: Path) -> bool:
    """`path.is_file()`, with a name the system refuses (too long, say) counted as absent."""
    try:
        return path.is_file()
    except OSError:
        return False


def _shown(text: object) -> str:
    """User text as it goes into a one-line message: itself, or its repr if it holds line
    breaks or control characters (or is very long)."""
    text = str(text)
    return text if text.isprintable() and len(text) <= 200 else _REPR.repr(text)


def find_config(target: str) -> Path:
    """A path to a YAML file, or a config name such as `binary` or `binary-imdb`."""
    path = Path(target)
    if path.suffix in (".yaml", ".yml") or path.parent != Path("."):
        if not _is_file(path):
            raise UserError(f"config file not found: {_shown(target)}")
        return path
    named = CONFIG_DIR / f"{target}.yaml"
    if not _is_file(named):
        raise UserError(unknown_name("config or recipe", target, config_names()))
    return named


# --------------------------------------------------------------------------------------------
# YAML, extends and overrides
# --------------------------------------------------------------------------------------------


def _yaml_problem(error: yaml.YAMLError) -> str:
    """What went wrong, in one line; a Python tag (`!!python/object`) said plainly, since
    `yaml.safe_load` refuses it on purpose."""
    problem = " ".join(str(getattr(error, "problem", None) or error).split())
    tag = re.search(r"tag '([^']*)'", problem)
    if tag and "python/" in tag.group(1):
        return (
            f"malformed YAML: the tag {tag.group(1)!r} asks to build a Python object; configs "
            "hold plain values only (remove the tag)."
        )
    if tag:
        return (
            f"malformed YAML: unknown tag {tag.group(1)!r}; configs hold plain values only "
            "(remove the tag)."
        )
    return f"malformed YAML: {problem.rstrip('.')}."


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        check_nesting(text, str(path))
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise UserError(f"{where}: {_yaml_problem(error)}") from None
    except yaml.YAMLError as error:  # e.g. a control character the reader refuses
        raise UserError(f"{path}: {_yaml_problem(error)}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; save it as UTF-8.") from None
    except RecursionError:  # the YAML composer recurses once per level of nesting
        raise UserError(f"{path}: the YAML is nested too deep to be a config.") from None
    except OSError as error:
        raise UserError(f"cannot read config {path}: {error.strerror or error}") from None
    check_size(data, str(path))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(
            f"{path}: a config must be a mapping of sections, got {type(data).__name__}."
        )
    return data


MAX_NODES = 100_000  # values in one YAML document, aliases expanded: far above any config
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlist = _REPR.maxdict = _REPR.maxset = _REPR.maxtuple = 10
_REPR.maxlevel = 3


MAX_DEPTH = 100  # flow brackets `[{` open at once: configs nest a few levels


def check_nesting(text: str, where: str) -> None:
    """Refuse deeply nested flow collections before PyYAML sees them: its scanner slows down
    quadratically with `[[[[...` and its composer recurses once per level."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise UserError(
            f"{where}: brackets nest {deepest} levels deep; a config nests a few levels."
        )


def check_size(data: Any, where: str) -> None:
    """Refuse a YAML value that refers to itself (`&a [*a]`) or that aliases expand past
    MAX_NODES values (a "billion laughs" document): everything after loading — merging,
    copying, printing — walks the expanded tree, and would never finish."""
    count = 0
    on_path: set[int] = set()  # ids of the containers between the root and this value
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        value, leaving = stack.pop()
        if leaving:
            on_path.discard(id(value))
            continue
        count += 1
        if count > MAX_NODES:
            raise UserError(
                f"{where}: the YAML expands to more than {MAX_NODES:,} values (anchors and "
                "aliases nested too deep); write the config out plainly."
            )
        if isinstance(value, (dict, list)):
            if id(value) in on_path:
                raise UserError(
                    f"{where}: an alias refers to the value that contains it (&a [*a]); "
                    "a config must be a tree."
                )
            on_path.add(id(value))
            stack.append((value, True))
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, False) for child in children)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_with_extends(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a config and the chain it `extends:` (a config name or a path beside it)."""
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(p.name for p in (*seen, path))
        raise UserError(f"{path.name}: `extends` forms a cycle: {chain}.")
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError("extends", f"expected a config name or path, got {parent!r}.")
    beside = path.parent / parent
    try:
        parent_path = beside if _is_file(beside) else find_config(parent)
    except UserError as error:
        raise ConfigError("extends", f"in {path}: {error}") from None
    merged = deep_merge(read_with_extends(parent_path, (*seen, path)), data)
    # A search space is declared whole: a variant's `tune.space` replaces its parent's, so
    # that merging two specs of one key cannot make a spec of two kinds.
    tune = data.get("tune")
    if isinstance(tune, dict) and isinstance(tune.get("space"), dict):
        merged["tune"]["space"] = tune["space"]
    return merged


def parse_override(text: str) -> tuple[list[str], Any]:
    """`trainer.epochs=3` -> (["trainer", "epochs"], 3). Values are YAML scalars or lists."""
    key, sep, value = text.partition("=")
    if not sep or not key.isprintable() or any(not part for part in key.split(".")):
        raise UserError(
            f"override {text!r} must look like section.key=value, e.g. trainer.epochs=3."
        )
    check_nesting(value, f"override {key}")
    try:
        parsed = yaml.safe_load(value) if value else None
    except yaml.YAMLError as error:
        problem = _yaml_problem(error)
        raise UserError(
            f"override {_REPR.repr(text)}: the value is not valid YAML; {problem}"
        ) from None
    except RecursionError:
        raise UserError(f"override {_REPR.repr(text)}: the value is nested too deep.") from None
    check_size(parsed, f"override {key}")
    return key.split("."), parsed


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    data = deep_merge({}, data)
    for text in overrides:
        keys, value = parse_override(text)
        node = data
        for depth, key in enumerate(keys[:-1]):
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            elif not isinstance(child, dict):
                dotted = ".".join(keys[: depth + 1])
                raise ConfigError(
                    dotted, f"is a value, not a section; cannot set {'.'.join(keys)}."
                )
            else:
                child = node[key] = dict(child)
            node = child
        node[keys[-1]] = value
    return data


# --------------------------------------------------------------------------------------------
# Strict, typed construction of the dataclasses
# --------------------------------------------------------------------------------------------


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(arg) for arg in typing.get_args(annotation))
    if origin is list:
        return f"a list of {_type_name(typing.get_args(annotation)[0])}"
    if origin is dict:
        return "a mapping"
    if annotation is type(None):
        return "null"
    if dataclasses.is_dataclass(annotation):
        return "a section"
    return getattr(annotation, "__name__", str(annotation))


def _given(value: Any) -> str:
    """The value a key was given, shortened: a message stays one readable line."""
    return f"{_REPR.repr(value)} ({type(value).__name__})"


def _coerce(value: Any, annotation: Any, key: str) -> Any:
    """Return `value` as `annotation`, or raise a ConfigError naming `key`."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(annotation):
            try:
                return _coerce(value, option, key)
            except ConfigError:
                continue
        raise ConfigError(key, f"expected {_type_name(annotation)}, got {_given(value)}.")
    if annotation is type(None):
        if value is None:
            return None
    elif dataclasses.is_dataclass(annotation):
        if isinstance(value, dict):
            return build_section(annotation, value, key)
    elif origin is list:
        if isinstance(value, list):
            (item_type,) = typing.get_args(annotation)
            return [_coerce(item, item_type, f"{key}[{i}]") for i, item in enumerate(value)]
    elif origin is dict:
        if isinstance(value, dict):
            key_type, value_type = typing.get_args(annotation)
            return {
                _coerce(k, key_type, f"{key}.{_shown(k)}"): _coerce(
                    v, value_type, f"{key}.{_shown(k)}"
                )
                for k, v in value.items()
            }
    elif annotation is bool:
        if isinstance(value, bool):
            return value
    elif annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif annotation is float:
        number = _float(value)
        if number is not None:
            if not math.isfinite(number):
                raise ConfigError(key, f"expected a finite number, got {_given(value)}.")
            return number
    elif annotation is str:
        if isinstance(value, str):
            return value
    elif annotation is Any:
        return value
    raise ConfigError(key, f"expected {_type_name(annotation)}, got {_given(value)}.")


def _float(value: Any) -> float | None:
    """A number as a float, or None. YAML 1.1 reads "1e-3" as a string, so numeric text
    counts; an integer too large for a float is infinite (and refused as such)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf
    except ValueError:
        return None


def _check_bounds(value: Any, metadata: typing.Mapping[str, Any], key: str) -> None:
    """`choices`, `min`, `max` and `below` from a field's metadata; on a list, for each item."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_bounds(item, metadata, f"{key}[{index}]")
        return
    if value is None:
        return
    choices = metadata.get("choices")
    if choices and value not in choices:
        raise ConfigError(key, unknown_name("value", value, choices))
    low, high, below = metadata.get("min"), metadata.get("max"), metadata.get("below")
    if low is not None and value < low:
        raise ConfigError(key, f"must be at least {low}, got {value}.")
    if high is not None and value > high:
        raise ConfigError(key, f"must be at most {high}, got {value}.")
    if below is not None and value >= below:
        raise ConfigError(key, f"must be below {below}, got {value}.")


def build_section(cls: type, data: dict[str, Any], prefix: str = "") -> Any:
    """Build dataclass `cls` from `data`, rejecting unknown keys with their full path."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in data.items():
        key = f"{prefix}.{_shown(name)}" if prefix else _shown(name)
        if name not in fields:
            hint = did_you_mean(str(name), fields)
            valid = ", ".join(fields)
            raise ConfigError(key, f"unknown key.{hint} Valid keys here: {valid}.")
        values[name] = _coerce(value, hints[name], key)
        _check_bounds(values[name], fields[name].metadata, key)
    missing = [
        name
        for name, f in fields.items()
        if name not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        key = f"{prefix}.{missing[0]}" if prefix else missing[0]
        raise ConfigError(key, "is required.")
    return cls(**values)


# --------------------------------------------------------------------------------------------
# The model section: each recipe's own typed options
# --------------------------------------------------------------------------------------------


def options_class(recipe: str) -> type:
    """The dataclass typing `recipe`'s model section: `Options` in `recipes/options/<recipe>.py`,
    a module that imports no TensorFlow (so configs are validated before it starts)."""
    try:
        module = importlib.import_module(f"recipes.options.{recipe}")
    except ModuleNotFoundError as error:
        if error.name != f"recipes.options.{recipe}":
            raise
        raise UserError(
            f"recipe {recipe!r} has no model options: add recipes/options/{recipe}.py "
            "with a dataclass named Options (see recipes/options/binary.py)."
        ) from None
    options = getattr(module, "Options", None)
    if not dataclasses.is_dataclass(options):
        raise UserError(f"recipes/options/{recipe}.py must define a dataclass named Options.")
    return options


# --------------------------------------------------------------------------------------------
# Cross-field checks: one small function, one actionable message each
# --------------------------------------------------------------------------------------------


def _check_dataset(config: Config) -> None:
    sources.check_source(config.data)


SEED_RANGE = (0, 2**32 - 1)  # what NumPy, scikit-learn and Keras accept as a seed


def _check_seeds(config: Config) -> None:
    """Seeds within NumPy's range: a seed it refuses would fail only after the data loads."""
    for key, seed in (("seed", config.seed), ("data.split_seed", config.data.split_seed)):
        if seed is not None and not SEED_RANGE[0] <= seed <= SEED_RANGE[1]:
            raise ConfigError(key, f"must be between 0 and 2**32 - 1, got {_REPR.repr(seed)}.")


def _check_output_paths(config: Config) -> None:
    """Runs are written to `<output.dir>/<name>/...` and nowhere else: a name is one plain
    folder name, and the runs root does not climb with `..`."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", config.name):
        raise ConfigError(
            "name",
            f"{config.name!r} is not a plain folder name (letters, digits, '.', '_', '-'; no "
            "'/' or '..'): runs go to output.dir/<name>/.",
        )
    if ".." in Path(config.output.dir).parts:
        raise ConfigError(
            "output.dir",
            f"{config.output.dir!r} climbs out with '..'; name the runs folder directly "
            "(an absolute path is fine).",
        )


def _check_splits(config: Config) -> None:
    data = config.data
    if data.split == "holdout" and data.test_split + data.validation_split >= 1:
        raise ConfigError(
            "data.validation_split",
            f"test_split + validation_split must leave training data, "
            f"got {data.test_split} + {data.validation_split}.",
        )


def _check_plateau(config: Config) -> None:
    schedule = config.optimizer.schedule.name
    if config.trainer.reduce_on_plateau.enabled and schedule not in ("constant", "step"):
        raise ConfigError(
            "trainer.reduce_on_plateau.enabled",
            "cannot adjust a learning-rate schedule; set optimizer.schedule.name to constant "
            "or step, or turn reduce_on_plateau off.",
        )


def _check_step_schedule(config: Config) -> None:
    schedule = config.optimizer.schedule
    if schedule.name != "step":
        return
    if not schedule.boundaries or len(schedule.boundaries) != len(schedule.factors):
        raise ConfigError(
            "optimizer.schedule.factors",
            "a step schedule needs one factor per boundary epoch, e.g. boundaries: [80, 120] "
            f"and factors: [0.1, 0.01]; got {schedule.boundaries} and {schedule.factors}.",
        )
    if sorted(set(schedule.boundaries)) != schedule.boundaries:
        raise ConfigError(
            "optimizer.schedule.boundaries",
            f"epochs must increase, got {schedule.boundaries}.",
        )


def _check_class_weight(config: Config) -> None:
    weight = config.trainer.class_weight
    if isinstance(weight, str) and weight != "balanced":
        raise ConfigError(
            "trainer.class_weight", f"expected 'balanced' or a mapping, got {weight!r}."
        )


def _check_optimizer(config: Config) -> None:
    optimizer = config.optimizer
    if optimizer.weight_decay is not None and optimizer.name != "adamw":
        raise ConfigError(
            "optimizer.weight_decay",
            "is used by adamw only; set optimizer.name=adamw or remove it.",
        )
    if optimizer.beta_1 is not None and optimizer.name not in ("adam", "adamw"):
        raise ConfigError(
            "optimizer.beta_1", "is used by adam and adamw only; change optimizer.name or drop it."
        )


def _check_tune_space(config: Config) -> None:
    """Each `tune.space` entry names a config key, and each of its values fits that key: every
    choice, and both ends of every range, is applied as an override and loaded like any config."""
    if not config.tune.space:
        return
    # A trial is not itself a sweep: its values are checked against the config without a space.
    trial = dataclasses.replace(config, tune=dataclasses.replace(config.tune, space={}))
    for entry in search_space.parse(config.tune.space, to_dict(trial)):
        for value in entry.candidates():
            override = f"{entry.key}={search_space.yaml_text(value)}"
            try:
                with_overrides(trial, [override])
            except ConfigError as error:
                raise ConfigError(
                    f"tune.space.{entry.key}",
                    f"the value {search_space.yaml_text(value)} does not fit: {error}",
                ) from None


CHECKS = (
    _check_seeds,
    _check_output_paths,
    _check_dataset,
    _check_splits,
    _check_plateau,
    _check_step_schedule,
    _check_class_weight,
    _check_optimizer,
    _check_tune_space,
)


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def from_dict(data: dict[str, Any], name: str = "") -> Config:
    """Validate a raw mapping (already merged and overridden) into a Config."""
    recipe = data.get("recipe")
    if recipe is None:
        raise ConfigError("recipe", f"is required. Valid: {', '.join(recipe_names())}.")
    if not isinstance(recipe, str):
        raise ConfigError(
            "recipe",
            f"expected a recipe name, got {_given(recipe)}. Valid: {', '.join(recipe_names())}.",
        )
    if recipe not in recipe_names():
        raise ConfigError("recipe", unknown_name("recipe", recipe, recipe_names()))
    model = data.get("model") or {}
    if not isinstance(model, dict):
        raise ConfigError("model", f"expected a section, got {_given(model)}.")
    config = build_section(Config, {**data, "model": None})
    config.model = build_section(options_class(recipe), model, "model")
    config.name = config.name or name or recipe
    for check in CHECKS:
        check(config)
    return config


def load_config(target: str, overrides: Sequence[str] = ()) -> Config:
    """Load a config by name (`binary`, `binary-imdb`) or path, then apply overrides."""
    path = find_config(target)
    data = apply_overrides(read_with_extends(path), overrides)
    return from_dict(data, name=data.get("name") or path.stem)


def with_overrides(config: Config, overrides: Sequence[str]) -> Config:
    """`config` with command-line style overrides applied, validated like any loaded config."""
    return from_dict(apply_overrides(to_dict(config), overrides), name=config.name)


def to_dict(config: Config) -> dict[str, Any]:
    return dataclasses.asdict(config)


def to_yaml(config: Config) -> str:
    return yaml.safe_dump(to_dict(config), sort_keys=False, default_flow_style=None)
