"""Issue 10's data-input faults: each bad file gets one line naming the file (or key) and the
fix, and the CLI exits with code 2, no traceback. Cells that are not numbers, an empty target
cell and one-class targets are covered in test_user_data.py; this file adds what was missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from common.config import load_config
from common.data import sources, splits
from common.errors import ConfigError, UserError
from tests.conftest import cookbook


def load_csv(path: Path, target: str = "y", recipe: str = "binary") -> None:
    """The data side of `cookbook train RECIPE data.dataset=csv data.path=PATH`."""
    config = load_config(recipe, ["data.dataset=csv", f"data.path={path}", f"data.target={target}"])
    classify = recipe != "regression"
    dataset = sources.load(config.data, config.split_seed, stratify=classify)
    splits.holdout(dataset, config.data, config.split_seed, stratify=classify)


def load_npz(path: Path) -> sources.Dataset:
    config = load_config("binary", ["data.dataset=npz", f"data.path={path}"])
    return sources.load(config.data, config.split_seed, stratify=True)


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


@pytest.mark.parametrize(("rows", "shown"), [(1, "1 row of data"), (2, "2 rows of data")])
def test_a_one_or_two_row_csv_is_named_with_its_row_count(tmp_path, rows, shown):
    path = tmp_path / "tiny.csv"
    path.write_text("a,y\n" + "".join(f"{i},{i}\n" for i in range(rows)))
    with pytest.raises(ConfigError, match=f"{path} has {shown}; at least 5") as error:
        load_csv(path, recipe="regression")
    assert error.value.key == "data.path"


@pytest.mark.parametrize(
    ("line", "cells"),
    [("1.5,2,0,9", "4 cells"), ("1.5", "1 cell"), ('"1.5,2,0', "1 cell")],
)
def test_ragged_rows_are_named_by_line(tmp_path, line, cells):
    path = tmp_path / "ragged.csv"
    rows = table(20).splitlines()
    rows.insert(5, line)
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(UserError, match=f"{path} line 6 has {cells}, but the header names 3"):
        load_csv(path)


def test_a_non_utf8_csv_is_refused_by_the_cli_at_config_time(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(table(20).replace("a,b", "caf\u00e9,b").encode("latin-1"))
    line = one_line_exit_2(
        "train", "binary", "data.dataset=csv", f"data.path={path}", "data.target=y"
    )
    assert f"{path} is not UTF-8 text; save it as UTF-8 CSV." in line


def test_a_non_utf8_cell_deep_in_a_csv_is_refused(tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(table(3000).encode() + "caf\u00e9,1,0\n".encode("latin-1"))
    with pytest.raises(UserError, match="is not UTF-8 text"):
        load_csv(path)


def test_a_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + table(20).encode())
    load_csv(path, target="a", recipe="regression")  # the column right after the mark
    load_csv(path, target="y")


def test_duplicate_and_empty_headers(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text(table(20).replace("a,b,y", "a,a ,y"))
    with pytest.raises(UserError, match=r"the column 'a' appears twice in the header"):
        load_csv(path)
    path.write_text("")
    with pytest.raises(UserError, match=f"{path} is empty; expected a header line"):
        load_csv(path)


def test_an_empty_target_cell_exits_2_through_the_cli(tmp_path):
    """test_user_data checks the message; this checks the whole path a user takes."""
    path = tmp_path / "gap.csv"
    path.write_text(table(20) + "1.5,1,\n")
    line = one_line_exit_2(
        "train",
        "binary",
        "data.dataset=csv",
        f"data.path={path}",
        "data.target=y",
        f"output.dir={tmp_path / 'runs'}",
    )
    assert "data.target" in line and "empty on line 22" in line and str(path) in line
    assert not (tmp_path / "runs").exists()


# --------------------------------------------------------------------------------------------
# NPZ files
# --------------------------------------------------------------------------------------------


class Tripwire:
    """Unpickling this creates `marker`: proof that a file was (wrongly) unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


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


def test_a_pickle_renamed_to_npz_is_refused_without_unpickling(tmp_path):
    import pickle

    marker = tmp_path / "unpickled"
    path = tmp_path / "pickle.npz"
    path.write_bytes(pickle.dumps({"x": Tripwire(marker)}))
    with pytest.raises(ConfigError, match="holds Python objects"):
        load_npz(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("arrays", "fragment"),
    [
        ({"features": np.zeros((20, 2))}, r"holds \['features'\]; expected x_train, y_train"),
        ({"x": np.zeros((20, 2)), "y": np.zeros(15)}, "x has 20 examples but y has 15"),
        (
            {
                "x_train": np.zeros((20, 2)),
                "y_train": np.zeros(19),
                "x_test": np.zeros((5, 2)),
                "y_test": np.zeros(5),
            },
            "x_train has 20 examples but y_train has 19",
        ),
        ({"x": np.array(["a"] * 20), "y": np.zeros(20)}, "the array x holds <U1 values"),
        ({"x": np.zeros((0, 2)), "y": np.zeros(0)}, "the array x holds no examples"),
    ],
)
def test_npz_missing_keys_and_mismatched_arrays_are_named(tmp_path, arrays, fragment):
    path = tmp_path / "arrays.npz"
    np.savez(path, **arrays)
    with pytest.raises(ConfigError, match=fragment) as error:
        load_npz(path)
    assert error.value.key == "data.path" and str(path) in str(error.value)


def test_a_file_that_is_not_an_npz_is_named(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("not arrays")
    with pytest.raises(ConfigError, match="is not an .npz file"):
        load_npz(path)


def test_a_keras_dataset_file_without_its_arrays_is_named(tmp_path):
    path = tmp_path / "boston.npz"
    np.savez(path, a=np.zeros(3))
    config = load_config("regression", ["data.dataset=boston_housing", f"data.path={path}"])
    with pytest.raises(ConfigError, match=r"lacks the arrays x, y \(it holds a\)"):
        sources.load(config.data, config.split_seed, stratify=False)


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
