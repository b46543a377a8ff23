"""A series given in periods: `data.path` the training period, `data.test_path` the later
test period (and `data.validation_path` a period between them), each a CSV of the same
columns with rows in time order.

    data:
      dataset: timeseries_csv
      path: sales_2019_2022.csv
      test_path: sales_2023.csv
      target: units

The files are read as one series, in time order: each file's rows as `common.data.series`
reads a file (its cells checked, rows of one time averaged), then the time features over all
of them. Every row of the test file is the target of one test window, and the first ones look
back into the training file's last rows (the past is known when forecasting); no training
window reads a row of a later file. Without a validation file, validation is the end of the
training file (the share `common.data.given_parts` states). A later file that does not start
after the earlier one's last time is refused, with the count of its rows that do not; a gap
between the files is noted, since the first windows after it read across it.

`common.data.series` imports this module when a test file is given, so config checks (which
import `series`) still load no pandas.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pandas as pd

from common.config.schema import DataConfig
from common.data import given_parts, series, tables
from common.data.dataset import Dataset
from common.data.given_parts import key_of
from common.errors import ConfigError


def load_given_series(data: DataConfig) -> Dataset:
    paths = given_parts.given(data)
    order = [part for part in given_parts.PARTS if part in paths]
    plain = replace(data, time_features=False)  # added once, over the whole series
    read, columns = {}, None
    for part in order:
        with given_parts.keyed(part):
            table = tables.read_csv(paths[part], text=False)
            columns = columns or list(table.columns)
            table = given_parts.same_columns(table, columns, part, paths)
            read[part] = series.series_values(table, plain, str(paths[part]))
    for earlier, later in itertools.pairwise(order):
        _check_later(read[earlier].times, read[later].times, earlier, later, paths)
    train = read["train"]
    values = np.concatenate([read[part].values for part in order])
    target = np.concatenate([read[part].target for part in order])
    times = np.concatenate([read[part].times for part in order])
    names = list(train.names)
    if data.time_features:
        extra, extra_names = series.time_features(times, train.rows_per_day is not None)
        values, names = np.concatenate([values, extra], axis=1), names + extra_names
    layout = series.WindowLayout(
        tuple(names),
        train.rows_per_day,
        series.season_of(train.times, train.rows_per_day, data.season),
        names.index(data.target),
    )
    count = len(train.times)
    if "validation" in read:
        train_end, test_start = count, count + len(read["validation"].times)
    else:
        share = data.validation_split / (1 - data.test_split)
        train_end, test_start = count - round(count * share), count
    return series.parts_in_time(
        values, target, times, data, layout, str(paths["train"]), train_end, test_start
    )


def _check_later(before: np.ndarray, after: np.ndarray, earlier: str, later: str, paths) -> None:
    """`after` starts after `before` ends; a gap of more than two steps is noted."""
    last, first = pd.Timestamp(before[-1]), pd.Timestamp(after[0])
    if first <= last:
        inside = int((after <= before[-1]).sum())
        raise ConfigError(
            key_of(later),
            f"{paths[later]} starts at {first}, not after the last time of {paths[earlier]} "
            f"({last}): {inside} of its {len(after)} rows lie in or before the {earlier} "
            f"period. The {later} file is the later period: leave out its rows up to {last} "
            "(or split one file by data.test_split).",
        )
    if len(before) > 1:
        step = pd.Timedelta(np.median(np.diff(before)))
        if first - last > 2 * step:
            print(
                f"note: {paths[later]} starts {first - last} after {paths[earlier]} ends "
                f"(rows are {step} apart): the first {later} windows read across the gap"
            )
