"""The user's CSV tables and .npz files as sources: what loads, and the one-line message that
names the file and the fix for what does not (issue 10's data-input faults). The CLI's side of
the same faults (exit 2, no traceback) is in tests/test_data_faults.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from common.config import load_config
from common.data import catalogue, splits
from common.data.dataset import Dataset
from common.errors import ConfigError, UserError
from tests.user_files import Tripwire


def load_csv(path: Path, target: str = "y", recipe: str = "binary") -> None:
    """The data side of `cookbook train RECIPE data.dataset=csv data.path=PATH`."""
    config = load_config(recipe, ["data.dataset=csv", f"data.path={path}", f"data.target={target}"])
    classify = recipe != "regression"
    dataset = catalogue.load(config.data, config.split_seed, stratify=classify)
    splits.holdout(dataset, config.data, config.split_seed, stratify=classify)


def load_npz(path: Path) -> Dataset:
    config = load_config("binary", ["data.dataset=npz", f"data.path={path}"])
    return catalogue.load(config.data, config.split_seed, stratify=True)


def table(rows: int) -> str:
    return "a,b,y\n" + "".join(f"{i}.5,{i % 3},{i % 2}\n" for i in range(rows))


# --------------------------------------------------------------------------------------------
# CSV tables
# --------------------------------------------------------------------------------------------


def test_csv_with_text_labels(tmp_path):
    path = tmp_path / "flowers.csv"
    rows = ["width,height,species"] + [  # widths out of order: a row counter is left out
        f"{i * 7 % 40},{i * 2},{'rose' if i % 2 else 'tulip'}" for i in range(40)
    ]
    path.write_text("\n".join(rows) + "\n")
    config = load_config(
        "multiclass", ["data.dataset=csv", f"data.path={path}", "data.target=species"]
    )
    data = catalogue.load(config.data, config.seed, stratify=True)
    assert data.class_names == ["rose", "tulip"]
    assert data.x_train.shape[1] == 2 and len(data.x_train) + len(data.x_test) == 40


def test_csv_text_feature_becomes_a_category_and_a_typo_is_named(tmp_path):
    path = tmp_path / "mixed.csv"
    colours = "".join(f"{i}.5,{'red' if i % 3 else 'blue'},{i % 2}\n" for i in range(10))
    path.write_text("a,colour,y\n" + colours)
    config = load_config("binary", ["data.dataset=csv", f"data.path={path}", "data.target=y"])
    data = catalogue.load(config.data, config.seed, stratify=True)
    assert data.x_train["colour"].dtype.kind != "f" and data.x_train["a"].dtype == "float32"
    rows = "".join(f"{i}.5,red,{i % 2}\n" for i in range(40))
    path.write_text("a,colour,y\n" + rows + "7.O,blue,1\n")  # a letter O, line 42
    with pytest.raises(ConfigError, match=r"line 42: '7.O' in column 'a' is not a number"):
        catalogue.load(config.data, config.seed, stratify=True)


@pytest.mark.parametrize("recipe", ["binary", "regression"])
def test_rows_without_a_target_are_left_out_with_one_note(tmp_path, capsys, recipe):
    """Real tables lack a few targets (8 of vega's 406 cars have no Miles_per_Gallon): those
    rows are dropped, named by line, and the rest trains."""
    path = tmp_path / "gaps.csv"
    lines = table(40).splitlines()
    lines[12] = lines[12].rsplit(",", 1)[0] + ","  # line 13 of the file
    lines[30] = lines[30].rsplit(",", 1)[0] + ","  # line 31
    path.write_text("\n".join(lines) + "\n")
    config = load_config(recipe, ["data.dataset=csv", f"data.path={path}", "data.target=y"])
    data = catalogue.load(config.data, config.seed, stratify=recipe == "binary")
    assert len(data.x_train) + len(data.x_test) == 38
    assert not np.isnan(np.concatenate([data.y_train, data.y_test]).astype("float64")).any()
    (note,) = capsys.readouterr().out.strip().splitlines()
    assert note == (
        f"note: data.target 'y' is empty on 2 rows (lines 13, 31) of {path}; those rows are "
        "left out"
    )


def test_a_target_empty_in_every_row_is_refused_by_name(tmp_path):
    path = tmp_path / "unlabelled.csv"
    path.write_text("a,b,y\n" + "".join(f"{i}.5,{i % 3},\n" for i in range(20)))
    with pytest.raises(ConfigError, match=r"^data.target: .*'y' is empty in every row"):
        load_csv(path)


def test_a_cell_that_is_not_a_number_is_named_by_its_line_after_rows_are_left_out(tmp_path):
    """Dropped rows keep the other rows' line numbers: the bad cell is on line 6, not 5."""
    path = tmp_path / "typo.csv"
    rows = [f"{i}.5,{i % 3},{i % 2}" for i in range(40)]
    rows[1] = "1.5,1,"  # line 3: no target
    rows[4] = "4.x,1,0"  # line 6
    path.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    with pytest.raises(ConfigError, match=r"line 6: '4.x' in column 'a' is not a number"):
        load_csv(path)


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


# --------------------------------------------------------------------------------------------
# NPZ files
# --------------------------------------------------------------------------------------------


def test_npz_without_the_expected_arrays(tmp_path):
    path = tmp_path / "odd.npz"
    np.savez(path, features=np.zeros((4, 2)))
    config = load_config("binary", ["data.dataset=npz", f"data.path={path}"])
    with pytest.raises(ConfigError, match="expected x_train"):
        catalogue.load(config.data, config.seed, stratify=False)


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
