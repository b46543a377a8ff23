"""Data that comes split: `data.test_path` (and `data.validation_path`) beside `data.path`.

Real datasets ship their split (UCR's TRAIN and TEST files, a benchmark's official test set,
aclImdb's train/ and test/ folders), and a published number is only comparable on it. For
`csv`, `npz`, `text_folder`, `image_folder` and `timeseries_csv` the given files are used as
they are: each part keeps its own examples, in their order, and fractions only split what is
left. With no validation file, validation is carved from the training part as a split by
fractions carves it (`common.data.splits.holdout`: `data.validation_split` of all the data,
`data.test_split` taken as the test's share, so 0.2 / (1 - 0.2) = a quarter of the training
part by default; `data.test_split=0` makes it exactly `data.validation_split` of it); a series
takes the same share from the end of its training file.

What a given file must agree on, and what is refused (a `ConfigError` on the file's key) or
said in a `note:` with counts:

    source          refused                                    noted
    csv             other columns; classes training has none   rows identical in every
                    of                                         column to a training row
    npz             no x / y arrays; other example shapes;     test inputs identical to a
                    class labels training has none of          training input
    image_folder,   a given folder of train/ test/ sub-        files identical in content
    text_folder     folders; classes training has no folder    to a training file; classes
                    for; the same files in two parts (the      the test has no folder for
                    same folder, one inside the other, links)
    timeseries_csv  other columns; a test (validation) period  a gap between the periods
                    that does not start after the training
                    file's last time

Why: what breaks the model or the score is refused (a class it cannot learn, inputs of
another kind, a test period that is not later than training: its windows would forecast the
training data); what a real benchmark may hold is counted, not refused (a scraped corpus or
a sensor archive can hold one example in both parts, and its official split is still the one
to report on).
File names alone are not compared: aclImdb and cats-vs-dogs number the files of every part
from 0, so the same name in two parts is not the same example; identical contents are.

The tables live here (`load_parts`), the other sources beside it: `given_folders`,
`given_series`, and `common.data.user_files` for .npz files (`array_parts` checks them).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from common.config.schema import DataConfig
from common.data import tables
from common.data.dataset import Dataset, take
from common.data.paths import user_path
from common.errors import ConfigError

PARTS = ("train", "validation", "test")  # in time order, for a series


def key_of(part: str) -> str:
    return "data.path" if part == "train" else f"data.{part}_path"


def given(data: DataConfig, folders: bool = False) -> dict[str, Path]:
    """The parts given as files (folders): train always, then validation and test where set,
    each one there."""
    parts = {"train": user_path(data.path)}
    for name, key in (("validation", data.validation_path), ("test", data.test_path)):
        if key:
            with keyed(name):
                parts[name] = user_path(key)
    for name, path in parts.items():
        there = path.is_dir() if folders else path.is_file()
        if not there and not folders and path.is_dir():
            raise ConfigError(
                key_of(name),
                f"{path} is a folder; a given split is one file per part (shards stream, and "
                "split by data.test_split).",
            )
        if not there:
            what = "folder" if folders else "file"
            raise ConfigError(key_of(name), f"{what} not found: {path}")
    return parts


@contextlib.contextmanager
def keyed(part: str) -> Iterator[None]:
    """A file's mistakes under its own key: the loaders name `data.path`, and a test file's
    bad cell is `data.test_path`'s to fix."""
    try:
        yield
    except ConfigError as error:
        if part == "train" or error.key != "data.path":
            raise
        raise ConfigError(key_of(part), str(error).removeprefix("data.path: ")) from None


def same_columns(table, columns: list[str], part: str, paths: dict[str, Path]):
    """`table` with the training file's columns in their order, or refused by name."""
    if list(table.columns) == columns:
        return table
    missing = [c for c in columns if c not in table.columns]
    extra = [c for c in table.columns if c not in columns]
    if missing or extra:
        detail = "; ".join(
            part
            for part in (
                f"it lacks {', '.join(map(repr, missing))}" if missing else "",
                f"it has {', '.join(map(repr, extra))} that training has not" if extra else "",
            )
            if part
        )
        raise ConfigError(
            key_of(part),
            f"{paths[part]} has other columns than {paths['train']}: {detail}. Give it the "
            "training file's columns.",
        )
    return table[columns]


def refuse_new_classes(
    new: list[str], part: str, path: Path, lacking: str = "the training file has no example of"
) -> None:
    if new:
        raise ConfigError(
            key_of(part),
            f"{path} holds classes {lacking}: "
            f"{', '.join(map(repr, new[:5]))}; a model cannot learn them. Leave them out of "
            "it, or bring training examples of them.",
        )


def load_parts(data: DataConfig, classification: bool) -> Dataset:
    """The Dataset of a training CSV and its given test (and validation) CSVs."""
    import pandas as pd  # lazy: config checks import this module without pandas

    paths = given(data)
    read = {name: tables.read_csv(path) for name, path in paths.items()}
    columns = list(read["train"].columns)
    for name, table in read.items():
        read[name] = same_columns(table, columns, name, paths)
        if data.target not in read[name].columns:
            raise ConfigError("data.target", f"no column {data.target!r} in {paths[name]}.")
        with keyed(name):
            read[name] = tables.labelled_rows(read[name], data.target, paths[name])
        if data.features:
            read[name] = read[name][[*data.features, data.target]]
    order = list(read)
    sizes = [len(read[name]) for name in order]
    union = pd.concat([read[name] for name in order], ignore_index=True)
    # Identifiers are found in the training file alone (each file may number its rows from
    # 0); the other columns are typed over every part together.
    found = tables.column_kinds(read["train"], data.target, data.columns, paths["train"])
    ids = {name: "ignore" for name, kind in found.items() if kind == "ignore"}
    with contextlib.redirect_stdout(io.StringIO()):  # its notes were the training file's
        kinds = tables.column_kinds(
            union, data.target, {**(data.columns or {}), **ids}, paths["train"]
        )
    y, class_names = tables.targets(union, data.target, classification, paths["train"])
    x = tables.features(union, kinds, paths["train"])
    bounds = np.cumsum([0, *sizes])
    index = {name: np.arange(bounds[k], bounds[k + 1]) for k, name in enumerate(order)}
    if classification:
        seen = {class_names[c] for c in y[index["train"]]}
        for name in order[1:]:
            found = {class_names[c] for c in y[index[name]]}
            refuse_new_classes(sorted(found - seen), name, paths[name])
    # Rows the same in every column the model reads (and the target): an id tells them apart
    # in the file, not to the model.
    compared = [name for name, kind in kinds.items() if kind != "ignore"] + [data.target]
    overlap = read["train"][compared].merge(read["test"][compared].drop_duplicates())
    if len(overlap):
        print(
            f"note: {len(overlap)} rows of {paths['test']} are also in {paths['train']} "
            "(identical in every input column and the target): the test score counts them "
            "as unseen"
        )
    part = {name: (take(x, rows), y[rows]) for name, rows in index.items()}
    validation = part.get("validation", (None, None))
    ids = tables.id_columns(read["test"], kinds)
    return Dataset(
        *part["train"],
        *part["test"],
        class_names,
        x_val=validation[0],
        y_val=validation[1],
        test_ids=read["test"][ids].reset_index(drop=True) if ids else None,
    )


def _rows(x: np.ndarray, dtype) -> np.ndarray:
    """Each example of `x` as one opaque value (its bytes), for NumPy's set operations."""
    flat = np.ascontiguousarray(x.reshape(len(x), -1), dtype=dtype)
    return flat.view(np.dtype((np.void, flat.dtype.itemsize * flat.shape[1]))).ravel()


def array_parts(arrays: dict[str, dict], paths: dict[str, Path], classification: bool) -> Dataset:
    """The Dataset of given .npz files, each read and checked (`x`, `y`) by
    `common.data.user_files`: one example shape, no class the training file lacks, and a
    note counting the test inputs identical to a training input."""
    train = arrays["train"]
    for name, part in arrays.items():
        if part["x"].shape[1:] != train["x"].shape[1:]:
            raise ConfigError(
                key_of(name),
                f"{paths[name]}: x examples have shape {part['x'].shape[1:]} but those of "
                f"{paths['train']} {train['x'].shape[1:]}; they must match.",
            )
    class_names = None
    if classification:
        seen = np.unique(train["y"])
        for name, part in arrays.items():
            new = np.setdiff1d(np.unique(part["y"]), seen)
            refuse_new_classes([f"{v:g}" for v in new], name, paths[name])
        class_names = [str(k) for k in range(int(seen.max()) + 1)]
    dtype = np.result_type(train["x"], arrays["test"]["x"])
    known = np.isin(_rows(arrays["test"]["x"], dtype), _rows(train["x"], dtype))
    if known.any():
        print(
            f"note: {int(known.sum())} of the {len(known)} test inputs in {paths['test']} are "
            f"also in {paths['train']} (identical values): the test score counts them as unseen"
        )
    validation = arrays.get("validation", {})
    return Dataset(
        train["x"],
        train["y"],
        arrays["test"]["x"],
        arrays["test"]["y"],
        class_names,
        x_val=validation.get("x"),
        y_val=validation.get("y"),
    )
