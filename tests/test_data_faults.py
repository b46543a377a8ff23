"""Issue 10's data-input faults through the CLI: each bad file or config gets one line naming the
file (or key) and the fix, and the CLI exits with code 2, no traceback. The loaders' own
messages are unit-tested beside them (common/data/test_user_files.py, test_keras_sets.py);
cells that are not numbers, a target empty in every row and one-class targets in
test_user_data.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from common.config import load_config
from common.data import catalogue
from common.data.dataset import Dataset
from common.errors import ConfigError, UserError
from tests.conftest import cookbook
from tests.user_files import Tripwire


def load_npz(path: Path) -> Dataset:
    config = load_config("binary", ["data.dataset=npz", f"data.path={path}"])
    return catalogue.load(config.data, config.split_seed, stratify=True)


def one_line_exit_2(*args: str, timeout: float = 120) -> str:
    """Run the CLI; assert exit 2 and a single `error:` line on stderr; return that line."""
    result = cookbook(*args, timeout=timeout)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: "), line
    return line


def table(rows: int) -> str:
    return "a,b,y\n" + "".join(f"{i}.5,{i % 3},{i % 2}\n" for i in range(rows))


# --------------------------------------------------------------------------------------------
# CSV tables
# --------------------------------------------------------------------------------------------


def test_a_non_utf8_csv_is_refused_by_the_cli_at_config_time(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(table(20).replace("a,b", "caf\u00e9,b").encode("latin-1"))
    line = one_line_exit_2(
        "train", "binary", "data.dataset=csv", f"data.path={path}", "data.target=y"
    )
    assert f"{path} is not UTF-8 text; save it as UTF-8 CSV." in line


def test_a_target_empty_in_every_row_exits_2_through_the_cli(tmp_path):
    """A few empty target cells are rows left out with a note (test_user_files); a target
    column with no value at all is a wrong data.target, refused before a run folder exists."""
    path = tmp_path / "gap.csv"
    path.write_text("a,b,y\n" + "".join(f"{i}.5,{i % 3},\n" for i in range(20)))
    line = one_line_exit_2(
        "train",
        "binary",
        "data.dataset=csv",
        f"data.path={path}",
        "data.target=y",
        f"output.dir={tmp_path / 'runs'}",
    )
    assert "data.target" in line and "empty in every row" in line and str(path) in line
    assert not (tmp_path / "runs").exists()


# --------------------------------------------------------------------------------------------
# NPZ files
# --------------------------------------------------------------------------------------------


def test_an_npz_of_python_objects_is_refused_without_unpickling(tmp_path):
    marker = tmp_path / "unpickled"
    path = tmp_path / "objects.npz"
    x = np.array([Tripwire(marker)] * 20, dtype=object)
    np.savez(path, x=x, y=np.arange(20) % 2)
    with pytest.raises(ConfigError, match=r"holds Python objects in x .*save plain numeric arrays"):
        load_npz(path)
    assert not marker.exists()
    line = one_line_exit_2(
        "train",
        "binary",
        "data.dataset=npz",
        f"data.path={path}",
        f"output.dir={tmp_path / 'runs'}",
    )
    assert f"data.path: {path} holds Python objects" in line
    assert not marker.exists() and not (tmp_path / "runs").exists()


# --------------------------------------------------------------------------------------------
# YAML configs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("- recipe: binary\n", "a config must be a mapping of sections, got list"),
        ("binary\n", "a config must be a mapping of sections, got str"),
    ],
)
def test_a_yaml_that_is_not_a_mapping_is_named(tmp_path, content, fragment):
    path = tmp_path / "list.yaml"
    path.write_text(content)
    line = one_line_exit_2("train", str(path))
    assert f"{path}: {fragment}" in line


@pytest.mark.parametrize(
    "tag", ["!!python/object/apply:os.system ['touch {marker}']", "!!python/name:os.system"]
)
def test_a_yaml_python_tag_is_refused_and_never_run(tmp_path, tag):
    marker = tmp_path / "ran"
    path = tmp_path / "tagged.yaml"
    path.write_text(f"recipe: binary\nname: {tag.format(marker=marker)}\n")
    with pytest.raises(
        UserError, match=r"tagged.yaml:2:7: malformed YAML: the tag .*python/.* asks to build a"
    ):
        load_config(str(path))
    line = one_line_exit_2("show", str(path))
    assert "configs hold plain values only (remove the tag)" in line
    assert not marker.exists()


def test_overrides_with_python_tags_and_bad_numbers_are_named():
    with pytest.raises(UserError, match="asks to build a Python object"):
        load_config("binary", ["seed=!!python/object/apply:os.getpid []"])
    with pytest.raises(ConfigError, match="optimizer.learning_rate: expected a finite number"):
        load_config("binary", ["optimizer.learning_rate=.nan"])
    with pytest.raises(ConfigError, match=r"data.test_split: expected a finite number"):
        load_config("binary", [f"data.test_split={10**400}"])
    with pytest.raises(ConfigError, match=r"seed: must be between 0 and 2\*\*32 - 1"):
        load_config("binary", ["seed=-1"])


def test_yaml_that_is_not_utf8_or_holds_control_characters(tmp_path):
    path = tmp_path / "bytes.yaml"
    path.write_bytes(b"recipe: bin\xe4ry\n")
    with pytest.raises(UserError, match=f"{path} is not UTF-8 text"):
        load_config(str(path))
    path.write_bytes(b"recipe: binary\x00\n")
    with pytest.raises(UserError, match="malformed YAML: unacceptable character"):
        load_config(str(path))


def test_a_missing_parent_config_names_extends(tmp_path):
    path = tmp_path / "child.yaml"
    path.write_text("extends: no-such-parent\n")
    with pytest.raises(ConfigError, match=r"extends: in .*child.yaml: unknown config") as error:
        load_config(str(path))
    assert error.value.key == "extends"
