"""CSV tables as users bring them: gaps, text categories, a text target.

    data:
      dataset: csv
      path: patients.csv
      target: diagnosis                 # text or numbers
      columns: {clinic: categorical}    # optional: numeric | categorical | ignore

pandas reads the file; each column is then typed from its training values, as keras.io's
"Structured data classification with FeatureSpace" types them by hand:

    numeric       every non-empty cell is a number (and not a small set of integers)
    categorical   text, or integers with at most `INTEGER_CATEGORIES` distinct values
    ignore        dropped (free text); by `data.columns`, or found: a column that looks like
                  an identifier (a different text in every row, a row counter, an id column's
                  distinct numbers) is left out with a note unless `data.columns` types it

The table stays a pandas DataFrame — numeric columns float32 with NaN for gaps, categorical
columns text with "" for gaps — and the model does the rest (`common.modeling.inputs`):
imputation with was-missing flags, normalisation, vocabularies, all from the training split,
all inside the saved model. So `cookbook predict RUN rows.csv` takes raw rows.
Rows without a target are left out with a note (`labelled_rows`): gaps are for inputs.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from common.errors import ConfigError, UserError, did_you_mean

KINDS = ("numeric", "categorical", "ignore")
INTEGER_CATEGORIES = 10  # integer columns with at most this many values are categories
STRAY_TEXT = 0.05  # a column whose cells are at least 95% numbers has a typo, not categories


ENCODING = "utf-8-sig"  # UTF-8, with or without the byte-order mark Excel writes


def _rows(path: Path):
    """(line number, stripped cells) of each non-blank row, read by the csv module: each
    problem a one-line UserError naming the file (and the line, where it is known)."""
    try:
        with open(path, newline="", encoding=ENCODING) as file:
            reader = csv.reader(file, skipinitialspace=True)
            try:
                start = 1  # a quoted cell may span lines: a row is named by its first
                for row in reader:
                    if any(cell.strip() for cell in row):
                        yield start, [cell.strip() for cell in row]
                    start = reader.line_num + 1
            except csv.Error as error:
                raise UserError(
                    f"{path} line {reader.line_num} is not well-formed CSV ({error}); fix or "
                    "remove that line."
                ) from None
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; save it as UTF-8 CSV.") from None
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or error}.") from None


def _check_names(names: list[str], path: Path) -> None:
    """Column names are how configs and predictions address columns: each printable, once."""
    for name in names:
        if not name.isprintable():
            raise UserError(
                f"{path}: the column name {name!r} holds a line break or control character; "
                "rename the column."
            )
    seen = set()
    for name in names:
        if name and name in seen:
            raise UserError(
                f"{path}: the column {name!r} appears twice in the header; give each column "
                "its own name."
            )
        seen.add(name)


def header(path: Path) -> list[str]:
    """The column names on the first non-blank line (no pandas: config checks answer
    instantly)."""
    for _, names in _rows(path):
        _check_names(names, path)
        return names
    raise UserError(f"{path} is empty; expected a header line and rows.")


def check_rows(path: Path) -> None:
    """Every row has one cell per column: pandas would silently pad a short row with gaps
    (and refuses a long one with a C-parser message), so a truncated line would train as
    missing values. The first ragged line is named."""
    rows = _rows(path)
    _, names = next(rows, (0, None))
    if names is None:
        raise UserError(f"{path} is empty; expected a header line and rows.")
    for line, row in rows:
        if len(row) != len(names):
            cells = f"{len(row)} cell" + ("" if len(row) == 1 else "s")
            raise UserError(
                f"{path} line {line} has {cells}, but the header names {len(names)} columns; "
                "give every row one cell per column (an empty cell is a gap: 1,,0; a quote "
                'opened in a cell must be closed: "a, b").'
            )


def read_csv(path: Path, text: bool = True):
    """The table, or one line per problem. `text`: every cell as stripped text ("" for a
    gap), for typing here; otherwise pandas' own types (time series)."""
    import pandas as pd  # lazy: config checks import this module without pandas

    header(path)
    if text:
        check_rows(path)
    options = {"dtype": str, "keep_default_na": False} if text else {}
    try:
        table = pd.read_csv(path, skipinitialspace=True, encoding=ENCODING, **options)
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; save it as UTF-8 CSV.") from None
    except pd.errors.EmptyDataError:
        raise UserError(f"{path} is empty; expected a header line and rows.") from None
    except (pd.errors.ParserError, ValueError) as error:
        first = " ".join(str(error).split())[:200]
        raise UserError(f"{path} is not a well-formed CSV: {first}") from None
    table.columns = [str(column).strip() for column in table.columns]
    return table.apply(lambda column: column.str.strip()) if text else table


def _column_key(name: str) -> str:
    return f"data.columns.{name}"


# Cells that mean "no value" in a numeric column, as R, Excel, SQL dumps and UCI files write
# it (pandas' defaults, and UCI's "?"). In a text column they stay text: "NA" may be a class.
GAP_MARKERS = ("NA", "N/A", "n/a", "#N/A", "NaN", "nan", "null", "NULL", "None", "<NA>", "?")
GAP_CELLS = ("", *GAP_MARKERS)  # every cell a numeric column reads as a gap


def gaps(column, markers: bool = True):
    """Which cells of a text column are gaps: empty, or (`markers`) any of `GAP_CELLS`."""
    return column.isin(GAP_CELLS) if markers else column == ""


def numbers(
    column, name: str, path: Path, key: str | None = None, markers: bool = True
) -> np.ndarray:
    """A text column as float32 with NaN for gaps (empty or, with `markers`, a `GAP_MARKERS`
    cell; a target's are refused instead), or the row and value that is not a number."""
    import pandas as pd  # lazy: config checks import this module without pandas

    if pd.api.types.is_float_dtype(column):  # read as numbers already (a streamed chunk)
        values, bad = column, column[:0]
    else:
        missing = gaps(column, markers)
        values = pd.to_numeric(column.where(~missing), errors="coerce")
        bad = column[~missing & values.isna()]
    if len(bad):
        row, value = bad.index[0] + 2, bad.iloc[0]  # header is line 1
        raise ConfigError(
            _column_key(name) if key is None else key,
            f"{path} line {row}: {value!r} in column {name!r} is not a number; fix the cell, "
            f"or declare the column categorical (data.columns.{name}: categorical).",
        )
    values = values.to_numpy(dtype="float64")
    if np.isinf(values).any():
        raise ConfigError(
            _column_key(name) if key is None else key,
            f"column {name!r} of {path} holds infinite values ({int(np.isinf(values).sum())} "
            "cells); replace them with numbers or leave the cells empty.",
        )
    return values.astype("float32")


def infer_kind(column) -> str:
    """numeric | categorical, from the non-empty cells."""
    import pandas as pd  # lazy: config checks import this module without pandas

    filled = column[~gaps(column)]
    values = pd.to_numeric(filled, errors="coerce")
    text = values.isna().mean() if len(filled) else 1.0
    if text > STRAY_TEXT:
        return "categorical"
    if text > 0:
        return "numeric"  # a few stray non-numbers: `numbers` names the first one
    whole = values.dropna()
    if (whole == whole.round()).all() and whole.nunique() <= INTEGER_CATEGORIES:
        return "categorical"
    return "numeric"


def column_kinds(table, target: str, declared: dict[str, str] | None, path: Path) -> dict:
    """Every input column's kind: declared in `data.columns`, or inferred."""
    declared = declared or {}
    for name, kind in declared.items():
        if name not in table.columns:
            raise ConfigError(
                _column_key(name),
                f"no column {name!r} in {path}.{did_you_mean(name, table.columns)}",
            )
        if kind not in KINDS:
            raise ConfigError(
                _column_key(name), f"unknown kind {kind!r}. Valid: {', '.join(KINDS)}."
            )
    kinds, identifiers = {}, []
    for name in table.columns:
        if name == target:
            continue
        if (table[name] == "").all():
            raise ConfigError(
                _column_key(name),
                f"column {name!r} of {path} is empty in every row; drop it with "
                f"data.columns.{name}: ignore.",
            )
        kinds[name] = declared.get(name) or infer_kind(table[name])
        marked = table[name][table[name].isin(GAP_MARKERS)]
        if kinds[name] == "numeric" and len(marked):
            shown = ", ".join(map(repr, sorted(marked.unique())))
            print(f"note: column {name!r} of {path}: {len(marked)} cells {shown} read as gaps")
        looks_like = None if name in declared else identifier(table[name], kinds[name])
        if looks_like:
            print(
                f"note: column {name!r} of {path} looks like an identifier ({looks_like}) and "
                f"is left out; keep it with data.columns.{name}: {kinds[name]}"
            )
            kinds[name] = "ignore"
            identifiers.append(name)
    if not any(kind != "ignore" for kind in kinds.values()):
        left_out = f" (identifiers left out: {some_names(identifiers)})" if identifiers else ""
        raise ConfigError(
            "data.columns", f"{path} has no input columns left besides the target{left_out}."
        )
    return kinds


def id_columns(table, kinds: dict[str, str]) -> list[str]:
    """The left-out columns that name each row of `table` (a different value in every row):
    a competition's `id`, a customer number."""
    return [
        name
        for name, kind in kinds.items()
        if kind == "ignore" and name in table.columns and table[name].nunique() == len(table)
    ]


MIN_IDENTIFIER_ROWS = 10  # fewer rows than this: distinct values may just be few examples


def identifier(column, kind: str) -> str | None:
    """Why a column looks like an identifier rather than a feature, or None: a different
    text in every row (a category seen once cannot be learnt from: each test row would be an
    unseen value), or whole numbers counting the rows, or a different whole number in every
    row of a column named like an id (a row number or a key tells which row it is, which a new
    row does not share; a shuffled file's ids do not rise)."""
    import pandas as pd  # lazy: config checks import this module without pandas

    if len(column) < MIN_IDENTIFIER_ROWS or (column == "").any():
        return None
    if kind == "categorical" and column.nunique() == len(column):
        if pd.to_numeric(column, errors="coerce").notna().all():
            return None  # numbers declared or typed as categories are not ids by their text
        return "a different value in every row"
    if kind != "numeric":
        return None
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64")
    whole = np.isfinite(values).all() and (values == np.round(values)).all()
    steps = np.diff(values)
    if whole and (steps == 1).all():
        return "whole numbers counting the rows"
    if whole and ID_NAME.search(str(column.name)) and len(np.unique(values)) == len(values):
        return "a different whole number in every row"
    return None


# Names of identifier columns: id, ID, customer_id, PassengerId, index, row, key, pandas'
# "Unnamed: 0" (a DataFrame's index written by to_csv).
ID_NAME = re.compile(
    r"(^|[^A-Za-z])([Ii]d|ID|[Ii]ndex|[Kk]ey|[Rr]ow|[Nn]o)$|[a-z](Id|ID)$|^Unnamed: \d+$"
)


def features(table, kinds: dict[str, str], path: Path):
    """The input columns, typed: float32 with NaN, or text with "" for a gap."""
    import pandas as pd  # lazy: config checks import this module without pandas

    columns = {}
    for name, kind in kinds.items():
        if kind == "numeric":
            columns[name] = numbers(table[name], name, path)
        elif kind == "categorical":
            columns[name] = table[name].astype(object).to_numpy()
    return pd.DataFrame(columns)


def labelled_rows(table, target: str, path: Path):
    """The rows whose target cell is filled. Real tables have a few rows without a target (8
    of vega's 406 cars lack Miles_per_Gallon): nothing can be learnt or scored on them, so they
    are left out with one note naming their lines, rather than refusing the whole file. A
    target empty in every row is a wrong `data.target`, and is refused by name. The index is
    kept, so later messages still name each row by its line in the file."""
    empty = table.index[table[target] == ""]
    if not len(empty):
        return table
    if len(empty) == len(table):
        raise ConfigError(
            "data.target",
            f"{path}: the target {target!r} is empty in every row; fill it in, or name the "
            "column to predict as data.target.",
        )
    rows = f"{len(empty)} row" + ("" if len(empty) == 1 else "s")
    lines = ", ".join(str(i + 2) for i in empty[:5])  # header is line 1
    more = ", ..." if len(empty) > 5 else ""
    label = "line" if len(empty) == 1 else "lines"
    print(
        f"note: data.target {target!r} is empty on {rows} ({label} {lines}{more}) of {path}; "
        "those rows are left out"
    )
    return table[table[target] != ""]


def targets(table, target: str, classification: bool, path: Path):
    """(y, class_names): integer classes in sorted order (numerically, when they are
    numbers), or float32 values."""
    column = table[target]
    if not classification:
        return numbers(column, target, path, key="data.target", markers=False), None
    names = sorted(column.unique())
    if infer_kind(column) == "categorical" and all(is_number(n) for n in names):
        names = sorted(names, key=float)
    if len(names) < 2:
        raise ConfigError(
            "data.target",
            f"the target {target!r} of {path} has one class only ({names[0]!r}); a "
            "classifier needs at least two.",
        )
    lookup = {name: index for index, name in enumerate(names)}
    return column.map(lookup).to_numpy(dtype="int32"), [str(n) for n in names]


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_table(path: Path, target: str, declared, classification: bool, selected=None):
    """(features DataFrame, y, class_names, kinds, ids) from a CSV file; `ids` are its
    identifier columns (`id_columns`), row for row."""
    table = read_csv(path)
    if len(table) == 0:
        raise UserError(f"{path} has a header but no rows.")
    if target not in table.columns:
        hint = did_you_mean(target, table.columns)
        raise ConfigError(
            "data.target",
            f"no column {target!r} in {path}.{hint} Columns: {', '.join(table.columns)}.",
        )
    if selected:
        for name in selected:
            if name not in table.columns:
                hint = did_you_mean(name, table.columns)
                raise ConfigError("data.features", f"no column {name!r} in {path}.{hint}")
        table = table[[*selected, target]]
    table = labelled_rows(table, target, path)
    kinds = column_kinds(table, target, declared, path)
    y, class_names = targets(table, target, classification, path)
    ids = table[id_columns(table, kinds)].reset_index(drop=True)
    return features(table, kinds, path), y, class_names, kinds, ids


def some_names(names: list[str], shown: int = 5) -> str:
    listed = ", ".join(map(repr, names[:shown]))
    return listed + (f" and {len(names) - shown} more" if len(names) > shown else "")
