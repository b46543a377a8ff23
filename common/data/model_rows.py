"""Rows for a trained table model, from the user's CSV: matched to the model's columns by
name, in any order, typed as in training. `cookbook predict` reads them in chunks of
`CHUNK_ROWS`, so a 1M-row file is rows in, rows out, in memory that does not grow with it.

    for columns, first_line, table in model_rows.chunks(path, inputs, target):
        ...  # columns: {input name: (rows, 1) array}; table: the chunk's text cells
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from common.data import tables
from common.errors import UserError

CHUNK_ROWS = 100_000  # rows predicted at a time


def check_columns(
    path: Path, columns: list[str], inputs: dict, target: str | None, named: tuple[str, ...] = ()
) -> None:
    """A missing column is refused by name (with the columns the model does not know, often
    the same one misspelt); columns the model does not take (the target, identifiers and
    columns training left out) are passed over with a note, unless the user `named` them
    (predict's --id-column)."""
    given = [name for name in columns if name != target and name not in named]
    missing = [name for name in inputs if name not in columns]
    unknown = [name for name in given if name not in inputs]
    if missing:
        unknown_part = (
            f" and has columns the model was not trained on: {', '.join(map(repr, unknown))}"
            if unknown
            else ""
        )
        raise UserError(
            f"{path} lacks the training columns {', '.join(map(repr, missing))}{unknown_part}."
        )
    if target is not None and target in columns:
        print(
            f"note: {path}: the target column {target!r} is ignored; the model predicts it",
            file=sys.stderr,
        )
    if unknown:
        left_out = tables.some_names(unknown)
        print(
            f"note: {path}: columns the model does not take are left out: {left_out}",
            file=sys.stderr,
        )


def typed(table, path: Path, inputs: dict[str, tuple[str, str]]) -> dict[str, np.ndarray]:
    """{input name: (rows, 1) array} of the kinds the model was trained on."""
    columns = {}
    for column, (name, kind) in inputs.items():
        if kind == "numeric":
            columns[name] = tables.numbers(table[column], column, path, key="")[:, None]
        else:
            columns[name] = table[column].astype(object).to_numpy()[:, None]
    return columns


def rows_for_model(path: Path, inputs: dict[str, tuple[str, str]], target: str | None):
    """The whole file's rows for the model, and their count. `inputs` is {column: (input
    name, kind)}."""
    table = tables.read_csv(path)
    if len(table) == 0:
        raise UserError(f"{path} has a header but no rows.")
    check_columns(path, list(table.columns), inputs, target)
    return typed(table, path, inputs), len(table)


def chunks(
    path: Path,
    inputs: dict[str, tuple[str, str]],
    target: str | None,
    rows: int | None = None,
    as_written: tuple[str, ...] = (),
) -> Iterator[tuple[dict[str, np.ndarray], int, object]]:
    """(columns, the first row's line number, the chunk's table) per `rows` rows, read by
    pandas' chunked reader after the same checks as `tables.read_csv` (one cell per column,
    UTF-8). Numeric columns are parsed as numbers by the C reader; a cell that is no number
    sends the file through the text route, whose message names the cell by its line. The
    `as_written` columns stay text in the table (a submission's ids: 17, not 17.0)."""
    import pandas as pd  # lazy: config checks import this module without pandas

    raw = tables.header(path)  # the header's cells as pandas keys them, before stripping
    names = [name.strip() for name in raw]
    tables.check_rows(path)
    check_columns(path, names, inputs, target, named=as_written)
    numeric = [
        name for name, (_, kind) in inputs.items() if kind == "numeric" and name not in as_written
    ]
    reader = pd.read_csv(
        path,
        dtype={cell: "float64" if cell.strip() in numeric else str for cell in raw},
        keep_default_na=False,
        na_values={cell: tables.GAP_CELLS for cell in raw if cell.strip() in numeric},
        skipinitialspace=True,
        encoding=tables.ENCODING,
        chunksize=rows or CHUNK_ROWS,
    )
    done, as_text = 0, False
    try:
        for table in reader:
            table.columns = names
            for name in names:
                if name not in numeric:
                    table[name] = table[name].str.strip()
            done += len(table)
            yield typed(table, path, inputs), int(table.index[0]) + 2, table
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; save it as UTF-8 CSV.") from None
    except ValueError:  # a cell the C reader cannot take: "NA " with a space, or no number
        as_text = True  # the text route from this chunk on names a cell that is no number
    if as_text:
        yield from _text_chunks(path, names, inputs, done, rows or CHUNK_ROWS)
    elif not done:
        raise UserError(f"{path} has a header but no rows.")


def _text_chunks(path: Path, names: list[str], inputs: dict, skip: int, rows: int):
    """`chunks` for the rows after the first `skip`, every cell read as stripped text and
    typed by `typed`: the route for cells the C reader cannot take as they are written."""
    import pandas as pd  # lazy: as above

    options = {"dtype": str, "keep_default_na": False, "skipinitialspace": True}
    try:
        reader = pd.read_csv(
            path, encoding=tables.ENCODING, chunksize=rows, skiprows=range(1, skip + 1), **options
        )
        for table in reader:
            table.columns = names
            table = table.apply(lambda column: column.str.strip())
            table.index += skip
            yield typed(table, path, inputs), int(table.index[0]) + 2, table
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; save it as UTF-8 CSV.") from None
    except ValueError as error:  # malformed CSV
        first = " ".join(str(error).split())[:200]
        raise UserError(f"{path} is not a well-formed CSV: {first}") from None
