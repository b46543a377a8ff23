"""Time series as sources: the data the rnn recipe forecasts.

    seattle_weather   Seattle's daily weather 2012-2015 (precipitation, temp_max, temp_min,
                      wind), bundled in the vega_datasets wheel: offline
    jena_climate      the Jena climate record 2009-2016, one row every 10 minutes, 14 variables
                      ("Deep Learning with Python", ch. 10; keras.io): downloaded by
                      `keras.utils.get_file`, or the CSV at `data.path`
    timeseries_csv    any CSV with a time column and rows in time order (`data.path`,
                      `data.target`, `data.time_column`, `data.time_format`)

A table with a time column becomes numbers, then three `WindowSet`s (`common.data.windows`).
Splits are in time order, by the time of each window's target: the first rows train, the next
`data.validation_split` of them validate, the last `data.test_split` of them test (or the
later file `data.test_path`: `common.data.given_series`). A window
may read rows of the part before its own (the past is known when forecasting), never after it,
so no target of one part lies in another part's time range. Windows are shuffled within the
training part only. Normalisation statistics come from the rows the training windows read
(`WindowSet.rows_read`), inside the model.

This module imports neither TensorFlow nor pandas at import time (config checks use it).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from common.config.schema import DataConfig
from common.data import tables
from common.data.dataset import Dataset
from common.data.windows import WindowSet
from common.errors import ConfigError, UserError, unknown_name


class WindowLayout(NamedTuple):
    """What the windows of every part share besides the rows: `WindowSet`'s last fields."""

    feature_names: tuple[str, ...]
    rows_per_day: int | None
    season: int | None
    target_feature: int


JENA_ORIGIN = "https://s3.amazonaws.com/keras-datasets/jena_climate_2009_2016.csv.zip"
JENA_FILE = "jena_climate_2009_2016.csv"
SEATTLE_COLUMNS = ("date", "precipitation", "temp_max", "temp_min", "wind")
DAY = np.timedelta64(1, "D")
YEAR = np.timedelta64(31_556_952, "s")  # the mean Gregorian year, 365.2425 days


# --------------------------------------------------------------------------------------------
# Config-time checks (no data loaded)
# --------------------------------------------------------------------------------------------


def check_series(data: DataConfig) -> None:
    """A series' windows and split, and a CSV's columns: named before any row is read."""
    if data.split != "holdout":
        raise ConfigError(
            "data.split",
            f"a time series is split in time order; {data.split} would train on the future "
            "and validate on the past. Use data.split=holdout (data.validation_split and "
            "data.test_split are the last parts of the series).",
        )
    if data.sequence_length is None or data.sequence_length < 2:
        raise ConfigError(
            "data.sequence_length",
            f"set the window length in steps (at least 2), got {data.sequence_length}.",
        )
    if data.test_split == 0 and not data.test_path:  # a test file is the test part
        raise ConfigError(
            "data.test_split", "a forecast is scored on the end of the series; set it above 0."
        )
    if data.dataset == "timeseries_csv" or (data.dataset == "jena_climate" and data.path):
        path = Path(data.path).expanduser()
        header = tables.header(path)
        if data.target is None:
            raise ConfigError("data.target", f"set the column of {path} to forecast: {header}.")
        _check_columns(data, header, str(path))


def _check_columns(data: DataConfig, header: list[str], where: str) -> None:
    named = [("data.target", data.target), *[("data.features", f) for f in data.features or []]]
    if data.time_column is not None:
        named.append(("data.time_column", data.time_column))
    for key, column in named:
        if column not in header:
            raise ConfigError(key, unknown_name(f"column in {where}:", column, header))


# --------------------------------------------------------------------------------------------
# Loading a series: a table with a time column -> numbers -> three parts in time order
# --------------------------------------------------------------------------------------------


def _times(column, name: str, where: str, time_format: str | None) -> np.ndarray:
    import pandas as pd  # lazy: config checks import this module without pandas

    times = pd.to_datetime(column, format=time_format, errors="coerce")
    bad = np.flatnonzero(times.isna().to_numpy())
    if len(bad):
        line = int(bad[0]) + 2  # header is line 1
        raise ConfigError(
            "data.time_format",
            f"{where} line {line}: {column.iloc[bad[0]]!r} in column {name!r} is not a time"
            + (f" in the format {time_format!r}" if time_format else "")
            + "; fix the cell, or set data.time_format (e.g. '%d.%m.%Y %H:%M:%S').",
        )
    values = times.to_numpy(dtype="datetime64[ns]")
    backwards = np.flatnonzero(np.diff(values) < np.timedelta64(0, "ns"))
    if len(backwards):
        line = int(backwards[0]) + 3
        raise UserError(
            f"{where} line {line}: {column.iloc[backwards[0] + 1]!r} is earlier than the row "
            "before it; a series needs its rows in time order: sort the file by "
            f"{name!r} first."
        )
    return values


def _numbers(table, name: str, where: str) -> np.ndarray:
    """A column as float32; a cell that is not a number, or a gap, is named with its line."""
    import pandas as pd  # lazy: config checks import this module without pandas

    column = table[name]
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype="float32")
    text = column.astype("string").str.strip()
    bad = np.flatnonzero(np.isnan(values) & text.notna().to_numpy() & (text != "").to_numpy())
    if len(bad):
        raise ConfigError(
            "data.path",
            f"{where} line {bad[0] + 2}: {text.iloc[bad[0]]!r} in column {name!r} is not a "
            "number; fix the cell, or leave the column out of data.features.",
        )
    gaps = np.flatnonzero(np.isnan(values))
    if len(gaps):
        raise ConfigError(
            "data.path",
            f"{where}: column {name!r} has {len(gaps)} empty cells (the first on line "
            f"{gaps[0] + 2}); a window cannot hold gaps: fill them (e.g. interpolate) or leave "
            "the column out of data.features.",
        )
    return values


def _rows_per_day(times: np.ndarray) -> int | None:
    """Rows per day for a regular sub-daily series (Jena: 144), else None."""
    if len(times) < 2:
        return None
    step = int(np.median(np.diff(times).astype("int64")))  # nanoseconds
    day = int(DAY / np.timedelta64(1, "ns"))
    if step <= 0 or step >= day or day % step:
        return None
    return day // step


# A regular time step -> the season, in rows: a week of days, a year of weeks, months or
# quarters. (A sub-daily series' season is its day.) Steps are matched within a few days.
SEASONS = ((DAY, 7), (7 * DAY, 52), (30 * DAY, 12), (91 * DAY, 4))


def season_of(times: np.ndarray, rows_per_day: int | None, given: int | None) -> int | None:
    """`data.season` when set (1: none), else the season found from the median time step."""
    if given is not None:
        return given if given > 1 else None
    if rows_per_day is not None:
        return rows_per_day if rows_per_day > 1 else None
    if len(times) < 2:
        return None
    step = np.median(np.diff(times).astype("int64")).astype("timedelta64[ns]")
    for length, season in SEASONS:
        if abs(step - length) <= max(length // 10, np.timedelta64(1, "h")):
            return season
    return None


def time_features(times: np.ndarray, sub_daily: bool) -> tuple[np.ndarray, list[str]]:
    """sin and cos of the time of year (and of the time of day for sub-daily series): the
    season and the hour as smooth, periodic inputs (TensorFlow's time-series tutorial)."""
    since_year = times - times.astype("datetime64[Y]").astype(times.dtype)
    angles = {"year": 2 * np.pi * (since_year / YEAR)}
    if sub_daily:
        since_midnight = times - times.astype("datetime64[D]").astype(times.dtype)
        angles["day"] = 2 * np.pi * (since_midnight / DAY)
    columns, names = [], []
    for period, angle in angles.items():
        columns += [np.sin(angle), np.cos(angle)]
        names += [f"{period}_sin", f"{period}_cos"]
    return np.stack(columns, axis=1).astype("float32"), names


class SeriesValues(NamedTuple):
    """A series table as numbers: rows x features (the time features last), the target, the
    time of each row, and the names of the features."""

    values: np.ndarray
    target: np.ndarray
    times: np.ndarray
    names: list[str]
    rows_per_day: int | None


def series_values(table, data: DataConfig, where: str) -> SeriesValues:
    """A table (one row per time step) as numbers, as training and prediction read it: the
    time column, the features (the target among them), rows that share a time averaged into
    one (with a note), and sin/cos time features when `data.time_features`."""
    header = [str(c) for c in table.columns]
    if data.target is None:
        raise ConfigError("data.target", f"set the column of {where} to forecast: {header}.")
    _check_columns(data, header, where)
    time_column = data.time_column or header[0]
    times = _times(table[time_column], time_column, where, data.time_format)
    names = list(data.features or [c for c in header if c != time_column])
    if time_column in names:
        raise ConfigError("data.features", f"{time_column!r} is the time column, not a feature.")
    if data.target not in names:  # a window always holds its target's past, as persistence does
        names.append(data.target)
    values = np.stack([_numbers(table, name, where) for name in names], axis=1)
    times, values = _one_row_per_time(times, values, table[time_column], where)
    target = values[:, names.index(data.target)]
    rows_per_day = _rows_per_day(times)
    if data.time_features:
        extra, extra_names = time_features(times, sub_daily=rows_per_day is not None)
        values, names = np.concatenate([values, extra], axis=1), names + extra_names
    return SeriesValues(values, target, times, names, rows_per_day)


def _one_row_per_time(times: np.ndarray, values: np.ndarray, column, where: str):
    """Rows that share a time (sorted, so next to each other: a repeated export, the hour
    that a clock change repeats) averaged into one row, with a note naming the first."""
    starts = np.flatnonzero(np.r_[True, np.diff(times) > np.timedelta64(0, "ns")])
    if len(starts) == len(times):
        return times, values
    counts = np.diff(np.r_[starts, len(times)])
    first = int(starts[np.argmax(counts > 1)])
    repeated = int((counts > 1).sum())
    print(
        f"note: {repeated} time"
        + ("s appear" if repeated > 1 else " appears")
        + f" on more than one row of {where} (the first: {column.iloc[first]!r}, lines "
        f"{first + 2}-{first + 1 + counts[np.argmax(counts > 1)]}); the rows of each time are "
        "averaged into one"
    )
    sums = np.add.reduceat(values.astype("float64"), starts, axis=0)
    return times[starts], (sums / counts[:, None]).astype("float32")


def series_dataset(table, data: DataConfig, where: str) -> Dataset:
    """A table (one row per time step) -> train, validation and test WindowSets."""
    read = series_values(table, data, where)
    layout = WindowLayout(
        tuple(read.names),
        read.rows_per_day,
        season_of(read.times, read.rows_per_day, data.season),
        read.names.index(data.target),
    )
    return split_in_time(read.values, read.target, read.times, data, layout, where)


def split_in_time(
    values: np.ndarray,
    target: np.ndarray,
    times: np.ndarray,
    data: DataConfig,
    layout: WindowLayout,
    where: str,
) -> Dataset:
    """First rows train, then validation, then test: by the rows of the targets."""
    count = len(values)
    test = round(count * data.test_split)
    validation = round(count * data.validation_split)
    train_end = count - test - validation
    return parts_in_time(values, target, times, data, layout, where, train_end, count - test)


def parts_in_time(
    values: np.ndarray,
    target: np.ndarray,
    times: np.ndarray,
    data: DataConfig,
    layout: WindowLayout,
    where: str,
    train_end: int,
    test_start: int,
) -> Dataset:
    """The windows whose targets are rows [delay, train_end), [train_end, test_start) and
    [test_start, end): train, validation and test (`common.data.given_series` gives the
    bounds of its files)."""
    count = len(values)
    test = count - test_start

    def part(first: int, stop: int) -> WindowSet:
        return WindowSet(
            values,
            target,
            times,
            range(first, stop),
            data.sequence_length,
            data.sampling_rate,
            data.horizon,
            *layout,
        )

    train = part(0, train_end)
    train = replace(train, rows=range(min(train.delay, train_end), train_end))
    if len(train) < 1 or test < 1:
        raise ConfigError(
            "data.sequence_length",
            f"{where} has {count} rows; windows of {data.sequence_length} steps every "
            f"{data.sampling_rate} rows, {data.horizon} steps ahead, need {train.delay} rows "
            f"before the first target, and the training part has {train_end}. Use shorter "
            "windows, a smaller horizon or sampling_rate, or a longer series.",
        )
    _check_changes(train, data.target, where)
    validation_part = part(train_end, test_start)
    test_part = part(test_start, count)
    return Dataset(
        train,
        train.y,
        test_part,
        test_part.y,
        x_val=validation_part,
        y_val=validation_part.y,
    )


def _check_changes(train: WindowSet, target: str, where: str) -> None:
    """A target that never changes over the training rows leaves nothing to learn: named as a
    constant series, in a forecaster's words."""
    seen = train.target[: train.rows[-1] + 1]
    if np.all(seen == seen[0]):
        constant = np.all(train.target == seen[0])
        over = "in every row" if constant else f"over the {len(seen)} training rows"
        raise ConfigError(
            "data.target",
            f"{where}: the series {target!r} is constant ({seen[0]:g} {over}); there is "
            "nothing to forecast. Forecast a column that changes.",
        )


def read_series_csv(path: Path, data: DataConfig) -> Dataset:
    return series_dataset(tables.read_csv(path, text=False), data, str(path))


def jena_csv(data: DataConfig) -> Path:
    """The Jena climate CSV: `data.path`, or Keras' download of the archive, extracted."""
    if data.path:
        return Path(data.path).expanduser()
    import keras  # lazy: config checks import this module without TensorFlow

    try:
        folder = keras.utils.get_file(f"{JENA_FILE}.zip", origin=JENA_ORIGIN, extract=True)
    except Exception as error:  # offline, or the server refused
        raise UserError(
            f"cannot download the Jena climate data ({error}). Download {JENA_ORIGIN}, unzip "
            f"it, and set data.path to {JENA_FILE}."
        ) from None
    found = [p for p in Path(folder).rglob(JENA_FILE) if "__MACOSX" not in p.parts]
    if not found:
        raise UserError(f"{folder} holds no {JENA_FILE}; set data.path to the CSV.")
    return found[0]


def load_jena_climate(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    return read_series_csv(jena_csv(data), data)


def load_seattle_weather(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """vega_datasets' copy of Seattle's daily weather, read from its wheel (no download)."""
    from vega_datasets import local_data  # lazy: it reads pandas in

    table = local_data.seattle_weather()[list(SEATTLE_COLUMNS)]
    return series_dataset(table, data, "seattle_weather")
