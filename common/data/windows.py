"""Windows of a time series, made on the fly: what the rnn recipe trains on, and the
persistence forecasts ("last value", and the same point one season ago) a model must beat.

A series stays in memory whole, as rows x features, and is never copied into an array of
windows (Jena's 420,000 rows would make 1.4 GB of them). A `WindowSet` stands in for that array
wherever the driver takes one: it has a length (the number of windows), a shape (windows,
sequence_length, features) and targets, and its `dataset()` makes the windows batch by batch
with `keras.utils.timeseries_dataset_from_array`.

    window of sequence_length steps, one every sampling_rate rows     target
    |x . . x . . x . . x|  . . . . . (horizon steps of sampling_rate rows) . . .  y

This module imports TensorFlow only when windows are batched (config checks import it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from common.errors import UserError


@dataclass(frozen=True, eq=False)
class WindowSet:
    """The windows of one part of a series, made on the fly; what `len`, `.shape` and the
    splits see instead of an array of windows.

    `rows` are the rows of the targets (a `range`: a contiguous part, or every k-th row of it
    after slicing with a step). The window of target row t reads rows t - delay, ...,
    t - horizon * sampling_rate, one every `sampling_rate`."""

    series: np.ndarray  # (rows, features) float32: the whole series, shared by every part
    target: np.ndarray  # (rows,) float32: the target column, in its own units
    times: np.ndarray  # (rows,) datetime64: the time of each row
    rows: range
    sequence_length: int
    sampling_rate: int
    horizon: int
    feature_names: tuple[str, ...] = ()
    rows_per_day: int | None = None  # sub-daily series with a regular step; else None
    season: int | None = None  # rows from one point of the season to the same point of the next
    target_feature: int = 0  # the target's column in `series`: the windows hold its past

    @property
    def delay(self) -> int:
        """Rows from a window's first row to its target."""
        return (self.sequence_length - 1 + self.horizon) * self.sampling_rate

    @property
    def ahead(self) -> int:
        """Rows from a window's last row to its target."""
        return self.horizon * self.sampling_rate

    def __len__(self) -> int:
        return len(self.rows)

    def joined(self, other: WindowSet) -> WindowSet:
        """This part and the one right after it as one part: the training period and its
        validation period, for a refit."""
        if self.rows.step != 1 or other.rows.step != 1 or self.rows.stop != other.rows.start:
            raise ValueError(f"{other.rows} does not follow {self.rows}")
        return replace(self, rows=range(self.rows.start, other.rows.stop))

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self), self.sequence_length, self.series.shape[1])

    @property
    def row_index(self) -> np.ndarray:
        """`rows` as an integer array (the target row of each window)."""
        return np.arange(self.rows.start, self.rows.stop, self.rows.step, dtype=np.int64)

    @property
    def y(self) -> np.ndarray:
        return self.target[self.row_index]

    @property
    def target_times(self) -> np.ndarray:
        return self.times[self.row_index]

    @property
    def first_input_times(self) -> np.ndarray:
        return self.times[self.row_index - self.delay]

    @property
    def rows_read(self) -> np.ndarray:
        """The rows the windows read, from the first window's first row to the last window's
        last row: the training statistics come from these."""
        if not len(self):
            return self.series[:0]
        return self.series[self.rows[0] - self.delay : self.rows[-1] - self.ahead + 1]

    @property
    def last_values(self) -> np.ndarray:
        """The target's value at each window's last step: what "last value" repeats."""
        return self.target[self.row_index - self.ahead]

    def sample_rows(self, count: int, seed: int = 0) -> np.ndarray:
        """The target rows of up to `count` windows, drawn with `seed`, in order."""
        rows = self.row_index
        if len(rows) > count:
            rows = np.sort(np.random.default_rng(seed).choice(rows, count, replace=False))
        return rows

    def windows_at(self, rows: np.ndarray) -> np.ndarray:
        """The windows of target `rows` as an array (windows, sequence_length, features)."""
        steps = np.arange(self.sequence_length) * self.sampling_rate - self.delay
        return self.series[rows[:, None] + steps[None, :]]

    def sample(self, count: int, seed: int = 0) -> np.ndarray:
        """Up to `count` windows as an array, drawn with `seed`: statistics of whole windows
        without making them all."""
        return self.windows_at(self.sample_rows(count, seed))

    def __getitem__(self, index: slice) -> WindowSet:
        """A slice of the windows (`[:100]`, `[::6]`): still windows made on the fly."""
        if not isinstance(index, slice) or (index.step or 1) < 1:
            raise TypeError("a WindowSet takes slices with a positive step only")
        return replace(self, rows=self.rows[index])

    def __array__(self, *args, **kwargs):
        raise UserError(
            "a time series is cut into windows by the rnn recipe; train it with `recipe: rnn` "
            "(see configs/rnn.yaml)."
        )

    def dataset(self, batch_size: int, shuffle: bool = False, seed: int = 0, labelled: bool = True):
        """(window, target) batches by `keras.utils.timeseries_dataset_from_array`, over the
        rows these windows read: shuffled (when asked) among these windows only."""
        import keras  # lazy: config checks import this module without TensorFlow
        import tensorflow as tf

        first, last = self.rows[0], self.rows[-1]
        step = self.rows.step if len(self) > 1 else 1
        dataset = keras.utils.timeseries_dataset_from_array(
            self.series[first - self.delay : last - self.ahead + 1],
            # targets[j] belongs to the window starting at row first - delay + j
            self.target[first : last + 1] if labelled else None,
            sequence_length=self.sequence_length,
            sequence_stride=step,
            sampling_rate=self.sampling_rate,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
        )
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.DATA
        )
        return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------------------------
# Persistence: the common-sense forecasts to beat
# --------------------------------------------------------------------------------------------


def persistence(windows: WindowSet) -> dict[str, np.ndarray]:
    """Forecasts from each target's past alone, in the target's units: "last value" (the
    target's value at the window's last step), and, for a series with a season, the naive
    seasonal forecast: the value at the same point of the latest season that ended by the
    window's last step ("same time yesterday" for sub-daily series, "same month last year" for
    monthly ones). It keeps the cycle that the last value misses. Where that point lies before
    the series' first row (a season longer than the first windows' history) it is NaN."""
    rows = windows.row_index
    forecasts = {"last value": windows.last_values}
    back = seasonal_rows_back(windows)
    if back is not None:
        past = rows - back
        values = windows.target[np.maximum(past, 0)].astype("float32")
        name = seasonal_name(windows, back // windows.season)
        forecasts[name] = np.where(past >= 0, values, np.nan)
    return forecasts


def seasonal_rows_back(windows: WindowSet) -> int | None:
    """Rows from a target back to the same point of the latest season that ended by its
    window's last step; None without a season (or when that point is the last step)."""
    season = windows.season
    if not season or season < 2:
        return None
    back = -(-windows.ahead // season) * season
    return None if back == windows.ahead else back


def naive_step(windows: WindowSet, name: str) -> int | None:
    """The window step that naive forecast `name` repeats, when the window holds it."""
    if name == "last value":
        return windows.sequence_length - 1
    back = seasonal_rows_back(windows)
    if back is None or (windows.delay - back) % windows.sampling_rate:
        return None
    step = (windows.delay - back) // windows.sampling_rate
    return step if 0 <= step < windows.sequence_length else None


def seasonal_name(windows: WindowSet, seasons_back: int) -> str:
    if windows.season == windows.rows_per_day:
        return "same time yesterday" if seasons_back == 1 else f"same time {seasons_back} days ago"
    unit = SEASON_NAMES.get(windows.season, f"{windows.season} rows")
    if seasons_back > 1:
        return f"same point {seasons_back} x {unit} ago"
    return f"same point {unit} ago"


# The season found from the time step (`common.data.series.season_of`), in words.
SEASON_NAMES = {7: "one week", 12: "one year", 52: "one year", 4: "one year"}


def mean_absolute_errors(forecasts: dict[str, np.ndarray], y: np.ndarray) -> dict[str, float]:
    """The MAE of each forecast over the targets every forecast has (no NaN)."""
    known = np.all([np.isfinite(f) for f in forecasts.values()], axis=0)
    return {name: float(np.mean(np.abs(f[known] - y[known]))) for name, f in forecasts.items()}
