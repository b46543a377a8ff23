"""Config files: finding them by name, reading their YAML safely, and following `extends:`.

    find_config("binary-imdb")         -> configs/binary-imdb.yaml
    read_with_extends(path)            -> the file merged over the chain it extends

YAML is read with `yaml.safe_load` (no Python objects), and refused before it can hang the
loader: brackets nested past MAX_DEPTH, aliases that expand past MAX_NODES values or refer to
themselves. Every refusal is a `UserError` naming the file (and the line, where YAML knows it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from common.config.quoting import shown
from common.errors import ConfigError, UserError, unknown_name

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / "configs"
RECIPE_DIR = PROJECT_ROOT / "recipes"

MAX_NODES = 100_000  # values in one YAML document, aliases expanded: far above any config
MAX_DEPTH = 100  # flow brackets `[{` open at once: configs nest a few levels


# --------------------------------------------------------------------------------------------
# Finding recipes and configs (file names only: no imports)
# --------------------------------------------------------------------------------------------


def recipe_names() -> list[str]:
    return sorted(p.stem for p in RECIPE_DIR.glob("*.py") if not p.stem.startswith("_"))


def config_names() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def is_file(path: Path) -> bool:
    """`path.is_file()`, with a name the system refuses (too long, say) counted as absent."""
    try:
        return path.is_file()
    except OSError:
        return False


def find_config(target: str) -> Path:
    """A path to a YAML file, or a config name such as `binary` or `binary-imdb`."""
    path = Path(target)
    if path.suffix in (".yaml", ".yml") or path.parent != Path("."):
        if not is_file(path):
            raise UserError(f"config file not found: {shown(target)}")
        return path
    named = CONFIG_DIR / f"{target}.yaml"
    if not is_file(named):
        raise UserError(unknown_name("config or recipe", target, config_names()))
    return named


# --------------------------------------------------------------------------------------------
# Reading YAML safely
# --------------------------------------------------------------------------------------------


def yaml_problem(error: yaml.YAMLError) -> str:
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
    """One YAML file as a mapping of sections ({} when empty), or a UserError saying why not."""
    try:
        text = path.read_text(encoding="utf-8")
        check_nesting(text, str(path))
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise UserError(f"{where}: {yaml_problem(error)}") from None
    except yaml.YAMLError as error:  # e.g. a control character the reader refuses
        raise UserError(f"{path}: {yaml_problem(error)}") from None
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


# --------------------------------------------------------------------------------------------
# extends
# --------------------------------------------------------------------------------------------


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` over `base`, section by section; neither is changed."""
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
        parent_path = beside if is_file(beside) else find_config(parent)
    except UserError as error:
        raise ConfigError("extends", f"in {path}: {error}") from None
    merged = deep_merge(read_with_extends(parent_path, (*seen, path)), data)
    # A search space is declared whole: a variant's `tune.space` replaces its parent's, so
    # that merging two specs of one key cannot make a spec of two kinds.
    tune = data.get("tune")
    if isinstance(tune, dict) and isinstance(tune.get("space"), dict):
        merged["tune"]["space"] = tune["space"]
    return merged
