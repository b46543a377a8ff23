"""Which recipe a CSV asks for: a table's target typed by the tables' rule, or a series.

    choice = csv_choice("csv", DataConfig(path="flowers.csv", target="species"), given=False)
    choice.note()   # note: recipe multiclass: target 'species' has 3 classes (setosa, …)

A target is typed by `common.data.tables.infer_kind`, the rule that types every CSV column:
text, or whole numbers with at most `tables.INTEGER_CATEGORIES` (10) distinct values, are
classes; anything else is numbers. Two distinct values of any kind are binary, 3 or more
classes multiclass, numbers regression. Whole numbers are numbers after all when a class would
average fewer than `MIN_CLASS_ROWS` rows (8 rows of 8 prices are no 8 classes), and a text
target with a different value in more than `IDENTIFIER_SHARE` of its rows (at least
`tables.MIN_IDENTIFIER_ROWS`) is refused as an identifier or free text.

A CSV is a series (`timeseries_csv`, the rnn recipe) when a column other than the target holds
text cells that all parse as times (`data.time_column`, when given, names it), in time order,
the target is numbers (or left out, with one numeric column to forecast) and every other
column is numbers; `data.dataset=csv` keeps it a table. Only the first `SAMPLE_ROWS` rows are
read, as text, as `common.data.tables` reads them.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from common.config.schema import DataConfig
from common.data import stream, tables
from common.errors import ConfigError, UserError, unknown_name

SAMPLE_ROWS = 10_000  # CSV rows read to type the target and find a time column
MIN_CLASS_ROWS = 2  # whole numbers are classes only when a class averages this many rows
IDENTIFIER_SHARE = 0.5  # a text target different in more than this share of rows: an id
EXAMPLE = "e.g. `cookbook train data.path=flowers.csv data.target=species`"


@dataclass(frozen=True)
class Choice:
    """The recipe, why (in words), the overrides the run adds before the user's, and the
    dataset when the data says more than its file's kind (a CSV that is a series)."""

    recipe: str
    reason: str
    overrides: list[str] = field(default_factory=list)
    dataset: str | None = None

    def note(self) -> str:
        return f"note: recipe {self.recipe}: {self.reason}"


def quoted(text: str) -> str:
    return json.dumps(text)  # a JSON string is YAML: a column named `1` or `no` stays text


def some(names: Sequence[object], shown: int = 5) -> str:
    names = [str(name) for name in names]
    more = f", … ({len(names)} in all)" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def classes(target: str, values, where: str) -> Choice | None:
    """binary or multiclass when `values` (text cells, gaps dropped) are classes; None when
    they are numbers."""
    names = sorted(values.unique())
    rows = len(values)
    if len(names) < 2:
        shown = repr(names[0]) if names else "every cell is empty"
        raise ConfigError(
            "data.target",
            f"{target!r} has one value only ({shown}) in {where}; predict a column that varies.",
        )
    if len(names) == 2:
        if all(tables.is_number(name) for name in names):
            names = sorted(names, key=float)
        return Choice("binary", f"target {target!r} has 2 classes ({some(names)})")
    numeric = all(tables.is_number(name) for name in names)
    if tables.infer_kind(values) != "categorical":
        return None
    if numeric and len(names) * MIN_CLASS_ROWS > rows:
        return None  # a few rows of a few whole numbers: amounts, not classes
    if numeric:
        names = sorted(names, key=float)
    elif rows >= tables.MIN_IDENTIFIER_ROWS and len(names) > IDENTIFIER_SHARE * rows:
        raise ConfigError(
            "data.target",
            f"{target!r} holds {len(names)} different texts in {rows} rows ({where}): an "
            "identifier or free text, not classes. Predict another column, or name the recipe "
            "(`cookbook train multiclass …`) if these are classes.",
        )
    rule = (
        f"; whole numbers with ≤ {tables.INTEGER_CATEGORIES} values are classes" if numeric else ""
    )
    return Choice("multiclass", f"target {target!r} has {len(names)} classes ({some(names)}){rule}")


# --------------------------------------------------------------------------------------------
# CSV: a table, or a series
# --------------------------------------------------------------------------------------------


def _sample(path: Path):
    """The first SAMPLE_ROWS rows as stripped text ("" for a gap), as `tables` types them."""
    import pandas as pd  # lazy: config checks import this module without pandas

    tables.header(path)  # an empty file, a bad name: the tables' own one-line messages
    try:
        sample = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            nrows=SAMPLE_ROWS,
            skipinitialspace=True,
            encoding=tables.ENCODING,
        )
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; save it as UTF-8 CSV.") from None
    except (pd.errors.ParserError, ValueError) as error:
        first = " ".join(str(error).split())[:200]
        raise UserError(f"{path} is not a well-formed CSV: {first}") from None
    sample.columns = [str(column).strip() for column in sample.columns]
    return sample.apply(lambda column: column.str.strip())


def _numbers(column) -> bool:
    """Every filled cell is a number (and one is filled)."""
    import pandas as pd  # lazy: config checks import this module without pandas

    filled = column[column != ""]  # a series' gaps are refused; markers are no numbers here
    return bool(len(filled)) and bool(pd.to_numeric(filled, errors="coerce").notna().all())


def _times(column, time_format: str | None) -> tuple[bool, bool]:
    """(every filled cell is a time, they are in order): text cells, never numbers (a count
    of years is a number; `1949-01` is a time)."""
    import pandas as pd  # lazy: config checks import this module without pandas

    filled = column[column != ""]
    if not len(filled) or pd.to_numeric(filled, errors="coerce").notna().any():
        return False, False
    with warnings.catch_warnings():  # "could not infer format": each cell parsed alone
        warnings.simplefilter("ignore")
        times = pd.to_datetime(filled, format=time_format, errors="coerce")
    if times.isna().any():
        return False, False
    return True, bool(times.is_monotonic_increasing)


def _time_column(sample, data: DataConfig) -> tuple[str | None, bool]:
    """(the time column, whether its rows are in time order): `data.time_column`, or the first
    column but the target whose cells all parse as times."""
    if data.time_column is not None:
        if data.time_column not in sample.columns:
            where = f"column in {data.path}:"
            raise ConfigError(
                "data.time_column", unknown_name(where, data.time_column, sample.columns)
            )
        return data.time_column, _times(sample[data.time_column], data.time_format)[1]
    for name in sample.columns:
        if name != data.target and _times(sample[name], data.time_format)[0]:
            return name, _times(sample[name], data.time_format)[1]
    return None, False


def csv_choice(kind: str, data: DataConfig, given: bool) -> Choice:
    """A table's target by the tables' rule; a series (rnn) when a time column in order and
    numeric columns make one, unless data.dataset=csv says it is a table."""
    path = stream.shards(data)[0]
    sample = _sample(path)
    where = f"the first {len(sample):,} rows of {path}" if len(sample) == SAMPLE_ROWS else str(path)
    if data.target is not None and data.target not in sample.columns:
        raise ConfigError(
            "data.target", unknown_name(f"column in {path}:", data.target, sample.columns)
        )
    time, ordered = _time_column(sample, data)
    inputs = [c for c in (data.features or sample.columns) if c not in (time, data.target)]
    text = [c for c in inputs if not _numbers(sample[c])]
    if kind == "timeseries_csv" and time is None:
        raise ConfigError(
            "data.time_column",
            f"no column of {path} holds a time in every row; set data.time_column (and "
            "data.time_format, e.g. '%d.%m.%Y %H:%M:%S').",
        )
    series = kind == "timeseries_csv" or (not given and time is not None and ordered and not text)
    if data.target is None:
        if not series:
            raise ConfigError(
                "data.target",
                f"set the column of {path} to predict, e.g. data.target="
                f"{sample.columns[-1]}; columns: {some(list(sample.columns), 12)}.",
            )
        numeric = [c for c in inputs if c not in text]
        if len(numeric) != 1:
            raise ConfigError(
                "data.target",
                f"set the column of {path} to forecast, e.g. data.target="
                f"{(numeric or inputs or [time])[0]}; the series' columns besides its times "
                f"{time!r}: {some(numeric or inputs, 12)}.",
            )
        return _series(time, numeric[0], path, [f"data.target={quoted(numeric[0])}"])
    target = sample[data.target]
    labelled = target[target != ""]
    choice = None if kind == "timeseries_csv" else classes(data.target, labelled, where)
    if choice is not None:
        return choice
    if series:
        return _series(time, data.target, path, [])
    reason = f"target {data.target!r} holds numbers ({labelled.nunique():,} values in {where})"
    if time is not None and not given:
        why = f"text columns: {some(text, 3)}" if text else "rows out of time order"
        reason += f"; {time!r} holds times, but the table is no series ({why})"
    return Choice("regression", reason)


def _series(time: str, target: str, path: Path, extra: list[str]) -> Choice:
    return Choice(
        "rnn",
        f"{path} is a series: times in {time!r}, in order, and {target!r} to forecast",
        [f"data.time_column={quoted(time)}", *extra],
        dataset="timeseries_csv",
    )
