"""A CSV that comes split: `data.test_path` (and `data.validation_path`) beside `data.path`.

Real datasets ship their split (UCR's TRAIN and TEST files, a benchmark's official test set),
and a published number is only comparable on it. The given files are used as they are: their
rows are typed together with the training file's (one set of column kinds and class names),
each part keeps its own rows, and fractions only split what is left (`data.validation_split`
of the training file when no validation file is given; `data.test_split` is not used).

A file whose columns differ from the training file's, or whose target holds classes the
training file has none of, is refused by name; rows found in both training and test are
counted in a note (identical rows inflate a test score).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from common.config.schema import DataConfig
from common.data import tables
from common.data.dataset import Dataset, take
from common.data.paths import user_path
from common.errors import ConfigError


def given(data: DataConfig) -> dict[str, Path]:
    """The parts given as files: train always, then test and validation where set."""
    parts = {"train": user_path(data.path)}
    for name, key in (("test", data.test_path), ("validation", data.validation_path)):
        if key:
            parts[name] = user_path(key)
    return parts


def load_parts(data: DataConfig, classification: bool) -> Dataset:
    """The Dataset of a training file and its given test (and validation) files."""
    import pandas as pd  # lazy: config checks import this module without pandas

    paths = given(data)
    read = {name: tables.read_csv(path) for name, path in paths.items()}
    columns = list(read["train"].columns)
    for name, table in read.items():
        key = f"data.{name}_path"
        if list(table.columns) != columns:
            missing = [c for c in columns if c not in table.columns]
            extra = [c for c in table.columns if c not in columns]
            detail = (
                "; ".join(
                    part
                    for part in (
                        f"it lacks {', '.join(map(repr, missing))}" if missing else "",
                        f"it has {', '.join(map(repr, extra))} that training has not"
                        if extra
                        else "",
                    )
                    if part
                )
                or "its columns are in another order"
            )
            if missing or extra:
                raise ConfigError(
                    key, f"{paths[name]} has other columns than {paths['train']}: {detail}."
                )
            read[name] = table[columns]
        if data.target not in read[name].columns:
            raise ConfigError("data.target", f"no column {data.target!r} in {paths[name]}.")
        read[name] = tables.labelled_rows(read[name], data.target, paths[name])
        if data.features:
            read[name] = read[name][[*data.features, data.target]]
    order = list(read)
    sizes = [len(read[name]) for name in order]
    union = pd.concat([read[name] for name in order], ignore_index=True)
    kinds = tables.column_kinds(union, data.target, data.columns, paths["train"])
    y, class_names = tables.targets(union, data.target, classification, paths["train"])
    x = tables.features(union, kinds, paths["train"])
    bounds = np.cumsum([0, *sizes])
    index = {name: np.arange(bounds[k], bounds[k + 1]) for k, name in enumerate(order)}
    if classification:
        seen = set(y[index["train"]].tolist())
        for name in order[1:]:
            new = sorted(
                {class_names[int(c)] for c in y[index[name]]} - {class_names[c] for c in seen}
            )
            if new:
                raise ConfigError(
                    f"data.{name}_path",
                    f"{paths[name]} holds classes the training file has no example of: "
                    f"{', '.join(map(repr, new[:5]))}; a model cannot learn them.",
                )
    overlap = read["train"].merge(read["test"].drop_duplicates(), how="inner")
    if len(overlap):
        print(
            f"note: {len(overlap)} rows of {paths['test']} are also in {paths['train']} "
            "(identical in every column): the test score counts them as unseen"
        )
    part = {name: (take(x, rows), y[rows]) for name, rows in index.items()}
    validation = part.get("validation", (None, None))
    return Dataset(
        *part["train"], *part["test"], class_names, x_val=validation[0], y_val=validation[1]
    )
