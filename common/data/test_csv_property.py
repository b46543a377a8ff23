"""Property: whatever small CSV a user brings, loading it either succeeds or raises a
`UserError` whose message is one non-empty line (the CLI prints it as `error: ...` and exits 2);
any other exception is a bug.

The table is read exactly as `cookbook train binary data.dataset=csv data.path=F data.target=T`
reads it up to training: the config loads, the source loads the table, and the holdout split is
cut. TensorFlow-free; runs in seconds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.config import load_config
from common.data import catalogue, splits
from tests.conftest import answers_cleanly


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


NAMES = ["y", "a", "b", "", " y", "y ", "é", "a b", '"q"', "x\ny", "Unnamed: 0"]
CELLS = ["", " ", "0", "1", "2", "1.5", "-3", "x", "nan", "inf", "1e999", "é", '"', "1,2", "a\nb"]
NUMBERS = ["0", "1", "2", "1.5", "-3", "7"]


@st.composite
def tables(draw) -> bytes:
    """A CSV as a careless export writes it: mostly a sane header and rows of its width, with
    junk cells, duplicate or blank names, ragged rows, unquoted commas, quotes and line breaks,
    a BOM or Latin-1 bytes mixed in; 0-3 distinct rows, sometimes repeated so that a table is
    long enough to reach the column typing and the split."""
    sane = st.permutations(["a", "b", "y"]).map(list)
    header = draw(st.one_of(sane, sane, st.lists(st.sampled_from(NAMES), max_size=5)))
    clean = draw(st.booleans())  # numbers only: the table should load
    cell = st.sampled_from(NUMBERS) if clean else st.sampled_from(NUMBERS + CELLS)
    row = st.lists(cell, min_size=len(header), max_size=len(header))
    if not clean:
        row = st.one_of(row, row, st.lists(cell, max_size=len(header) + 2))  # ragged
    body = draw(st.lists(row, max_size=3)) * draw(st.sampled_from([1, 4, 10]))
    lines = [",".join(header), *[",".join(cells) for cells in body]]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if draw(st.sampled_from(["utf-8"] * 5 + ["latin-1"])) == "latin-1":
        data = data.replace("é".encode(), "é".encode("latin-1")) + b"\xff,\xfe\n"
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + data


def train_data(path: Path, target: str, recipe: str) -> None:
    """What `cookbook train RECIPE data.dataset=csv data.path=PATH data.target=TARGET` does
    before training: load the config, load the table through the csv source, cut the split."""
    config = load_config(recipe, ["data.dataset=csv", f"data.path={path}", f"data.target={target}"])
    dataset = catalogue.load(config.data, config.split_seed, stratify=recipe != "regression")
    splits.holdout(dataset, config.data, config.split_seed, stratify=recipe != "regression")


@settings(
    deadline=3000,
    max_examples=120,
    derandomize=True,
    # The module-scoped folder is shared on purpose: each example overwrites its one file.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    table=tables(),
    target=st.sampled_from(["y", "y", "a", "missing"]),
    recipe=st.sampled_from(["binary", "multiclass", "regression"]),
)
def test_any_small_csv_loads_or_gives_one_line(folder, table, target, recipe):
    path = folder / "table.csv"
    path.write_bytes(table)
    answers_cleanly(lambda: train_data(path, target, recipe))
