"""Property: bad input gets a clear answer. Whatever overrides or YAML file a user brings,
loading either succeeds or raises a `UserError` whose message is one non-empty line (the CLI
prints it as `error: ...` and exits 2); any other exception is a bug. (The same property for
small CSV tables sits beside the loaders: common/data/test_csv_property.py.) Everything here but
the last, end-to-end test is TensorFlow-free and runs in seconds.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.cli.configs import load
from common.config import load_config
from tests.conftest import answers_cleanly, cookbook

FAST = settings(deadline=2000, max_examples=120, derandomize=True)


def _dotted(mapping: dict, prefix: str = "") -> list[str]:
    keys = []
    for name, value in mapping.items():
        key = f"{prefix}{name}"
        keys.append(key)
        if isinstance(value, dict):
            keys.extend(_dotted(value, key + "."))
    return keys


REAL_KEYS = sorted(set(_dotted(dataclasses.asdict(load_config("binary")))))
CONFIGS = ["binary", "regression", "multiclass", "binary-imdb", "missing-config"]

# --------------------------------------------------------------------------------------------
# Values: junk text, numbers of every size, and YAML-ish structures
# --------------------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        ["adam", "csv", "npz", "holdout", "kfold", "balanced", "binary", "-1", "1e999"]
    ),
)
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(REAL_KEYS), st.text(max_size=8)), inner, max_size=4
        ),
    ),
    max_leaves=12,
)
YAMLISH = [
    "[1, 2",
    "{a: 1",
    "&a [*a]",
    "&a [1, 2, *a]",
    "!!python/object:os.system {}",
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=",
    "!!set {a}",
    "!custom 3",
    "2020-01-01",
    "[" * 2000 + "]" * 2000,
    "*undefined",
    "'unclosed",
    "a: b: c",
    "- 1\n- 2",
    "\x00",
    "\t3",
    "1_000",
    ".nan",
    "-.inf",
    "0x1F",
    "~",
]


def _flow(value: object) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).removesuffix("\n...\n")


values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(YAMLISH),
    structures.map(_flow),
    st.integers(min_value=-(10**40), max_value=10**400).map(str),
    st.floats().map(repr),
)
keys = st.one_of(
    st.sampled_from(REAL_KEYS),
    st.sampled_from(REAL_KEYS).map(lambda k: k + ".extra"),
    st.text(max_size=15),
    st.lists(
        st.sampled_from(["data", "model", "trainer", "tune", "space", "x", ""]), max_size=4
    ).map(".".join),
)
overrides = st.one_of(
    st.builds(lambda k, v: f"{k}={v}", keys, values),
    st.text(max_size=20),
)


@FAST
@given(target=st.sampled_from(CONFIGS), given_overrides=st.lists(overrides, max_size=4))
def test_any_overrides_load_or_give_one_line(target, given_overrides):
    answers_cleanly(lambda: load(target, given_overrides))


# --------------------------------------------------------------------------------------------
# YAML files: random text, random documents, extends, aliasing bombs
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def bomb(depth: int, width: int) -> str:
    """A "billion laughs" document: `width ** depth` values once aliases are expanded."""
    lines = ["recipe: binary", "l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, depth):
        aliases = ", ".join([f"*l{level - 1}"] * width)
        lines.append(f"l{level}: &l{level} [{aliases}]")
    lines.append(f"model: {{units: *l{depth - 1}}}")
    return "\n".join(lines) + "\n"


documents = st.one_of(
    st.text(max_size=200),
    st.sampled_from(YAMLISH),
    structures.map(lambda value: yaml.safe_dump(value, width=10**6)),
    st.dictionaries(st.sampled_from(REAL_KEYS + ["extends"]), structures, max_size=6).map(
        lambda value: yaml.safe_dump(value, width=10**6)
    ),
    st.builds(
        lambda parent, body: f"extends: {parent}\n{yaml.safe_dump(body, width=10**6)}",
        st.sampled_from(["binary", "binary-imdb", "nope", "../configs/binary.yaml", "[1]", "7"]),
        st.dictionaries(st.sampled_from(["data", "model", "trainer", "name", "seed"]), structures),
    ),
    st.builds(bomb, st.integers(2, 9), st.integers(2, 12)),
)


@settings(
    deadline=3000,
    max_examples=120,
    derandomize=True,
    # The module-scoped folder is shared on purpose: each example overwrites its one file.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(document=documents, encoding=st.sampled_from(["utf-8"] * 4 + ["utf-16", "latin-1"]))
def test_any_yaml_file_loads_or_gives_one_line(folder, document, encoding):
    path = folder / "config.yaml"
    path.write_bytes(document.encode(encoding, errors="replace"))
    answers_cleanly(lambda: load(str(path)))


# --------------------------------------------------------------------------------------------
# End to end: the real CLI in a fresh process
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (bomb(9, 9).encode(), "expands to more than"),
        (b"recipe: binary\nmodel: &m {units: *m}\n", "refers to the value that contains it"),
        (b"recipe: !!python/object/apply:os.system ['true']\n", "asks to build a Python object"),
        (b"recipe: bin\xe4ry\n", "is not UTF-8 text"),
        (b"recipe: binary\ndata: {test_split: .nan}\n", "data.test_split: expected a finite"),
    ],
)
def test_the_cli_answers_nasty_configs_in_one_line(tmp_path, content, fragment):
    path = tmp_path / "nasty.yaml"
    path.write_bytes(content)
    result = cookbook("train", str(path), f"output.dir={tmp_path / 'runs'}", timeout=60)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and fragment in line, line
    assert not (tmp_path / "runs").exists()
