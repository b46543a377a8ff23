"""What `cookbook predict` (and `gradcam`) read: the user's files, checked against the kind of
input the run's model takes, and read the way training read its data.

    kind = model_kind(model, config)       # table | text | image | rows | series
    x, names = read_inputs(model, config, paths)

    table    CSV files: columns matched by the user's names, in any order (`input_columns`)
    text     text files, one text per line, or folders of .txt files, one text per file
    image    image files, or folders of them: each decoded now (`common.data.readable`)
    rows     a CSV of the training columns, or an .npz holding `x`
    series   CSV files of the series (a forecasting run): one forecast per window that fits

A file of the wrong kind (an image for a table model, a folder for a CSV) is refused in one
line that says what the run takes, before anything is predicted.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import keras
import numpy as np

from common.config.schema import Config
from common.data import catalogue, listing, model_rows, readable, series, tables
from common.data.files import IMAGE_SUFFIXES, FileSet
from common.data.pipeline import make_dataset
from common.errors import ConfigError, UserError
from common.modeling import preprocessing

BATCH = 256
TAKES = {
    "table": "CSV files with the training columns",
    "text": "text files (one text per line) or folders of .txt files (one text per file)",
    "image": f"image files ({', '.join(IMAGE_SUFFIXES)}) or folders of them",
    "rows": "a CSV of the training columns or an .npz holding an array x",
    "series": "CSV files of the series (its time column and features)",
}


def model_kind(model: keras.Model, config: Config) -> str:
    """Which kind of input the model takes (see the module docstring)."""
    if isinstance(model.input, dict):
        return "table"
    if config.data.dataset in catalogue.SERIES:
        return "series"
    (tensor,) = model.inputs
    if tensor.dtype == "string":
        return "text"
    return "image" if len(tensor.shape) == 4 else "rows"


def input_columns(model: keras.Model) -> dict[str, tuple[str, str]]:
    """A table model's {column as the user wrote it: (input name, numeric | categorical)}."""
    structure = model.input
    return {
        column: (name, "categorical" if structure[name].dtype == "string" else "numeric")
        for column, name in preprocessing.table_columns(model).items()
    }


def refuse(path: Path, what: str, kind: str) -> UserError:
    return UserError(f"{path} is {what}; this run's model takes {TAKES[kind]}.")


def read_inputs(model: keras.Model, config: Config, paths: list[Path]):
    """(model input, a name per example: file:line, or the file) for the files given."""
    for path in paths:
        if not path.exists():
            raise UserError(f"not found: {path}")
    kind = model_kind(model, config)
    if kind == "image":
        (tensor,) = model.inputs
        files = image_files(paths)
        check_readable(files, tensor.shape[3])
        paths_given = np.asarray([str(p) for p in files])
        images = FileSet(paths_given, "image", tuple(tensor.shape[1:3]), tensor.shape[3])
        return make_dataset(images, None, BATCH), [str(p) for p in files]
    if kind == "text":
        return texts(paths)
    for path in paths:
        if path.is_dir():
            raise refuse(path, "a folder", kind)
        if path.suffix.lower() in IMAGE_SUFFIXES:
            raise refuse(path, "an image", kind)
    if kind == "table":
        return table_rows(model, paths, config.data.target)
    if kind == "series":
        return series_windows(model, config, paths)
    return number_rows(paths, tuple(model.inputs[0].shape[1:]), config.data.target), None


def table_rows(model: keras.Model, paths: list[Path], target: str | None):
    columns: dict[str, list[np.ndarray]] = {}
    names: list[str] = []
    for path in paths:
        part, count = model_rows.rows_for_model(path, input_columns(model), target)
        for column, values in part.items():
            columns.setdefault(column, []).append(values)
        names += [f"{path.name}:{line}" for line in range(2, count + 2)]
    return {column: np.concatenate(parts) for column, parts in columns.items()}, names


def image_files(paths: list[Path]) -> list[Path]:
    """Image files, folders expanded (sorted, recursively); anything else is refused."""
    found = []
    for path in paths:
        if path.is_dir():
            inside = [Path(p) for p in listing.files_below(path, IMAGE_SUFFIXES)]
            if not inside:
                raise UserError(f"{path} holds no images ({', '.join(IMAGE_SUFFIXES)}).")
            found += inside
        elif path.suffix.lower() not in IMAGE_SUFFIXES:
            raise refuse(path, "not an image file", "image")
        else:
            found.append(path)
    return found


def check_readable(files: list[Path], channels: int) -> None:
    """Every image decoded once, as for training: the ones that fail are named."""
    _, unreadable = readable.image_sizes([str(p) for p in files], channels)
    if unreadable:
        where = ", ".join(sorted({str(p.parent) for p in files})[:3])
        raise UserError(readable.unreadable_message(unreadable, len(files), where))


def texts(paths: list[Path]) -> tuple[np.ndarray, list[str]]:
    """A file: one text per line; a folder: each .txt file below it one text, as training
    read the folder. UTF-8, undecodable bytes read as U+FFFD with a note, as in training."""
    lines, names = [], []
    for path in paths:
        if path.is_dir():
            inside = [Path(p) for p in listing.files_below(path, (".txt",))]
            if not inside:
                raise UserError(f"{path} holds no .txt files (one text per file).")
            for file in inside:
                lines.append(_text(file).replace("\n", " "))
                names.append(str(file))
            continue
        if path.suffix.lower() in IMAGE_SUFFIXES:
            raise refuse(path, "an image", "text")
        text = _text(path).splitlines()
        lines += text
        names += [f"{path.name}:{n}" for n in range(1, len(text) + 1)]
    return np.asarray(lines, dtype=object)[:, None], names


def _text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data:
        raise refuse(path, "binary data (it holds NUL bytes), not text", "text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        print(
            f"note: {path} is not UTF-8; its undecodable bytes are read as U+FFFD",
            file=sys.stderr,
        )
        return data.decode("utf-8", errors="replace")


def number_rows(paths: list[Path], shape: tuple, target: str | None) -> np.ndarray:
    """Rows of numbers from .npz files (`x`) or CSVs of the training columns."""
    parts = []
    for path in paths:
        if path.suffix.lower() == ".npz":
            parts.append(_npz_rows(path))
            continue
        table = tables.read_csv(path)
        columns = [c for c in table.columns if c != target]
        parts.append(np.stack([tables.numbers(table[c], c, path, key="") for c in columns], axis=1))
    x = np.concatenate(parts)
    if x.shape[1:] != shape:
        raise UserError(f"rows have shape {x.shape[1:]}; the model expects {shape}.")
    if not np.isfinite(x).all():
        raise UserError("the rows hold empty, NaN or infinite values; the model needs numbers.")
    return x


def _npz_rows(path: Path) -> np.ndarray:
    """`x` of an .npz, read without unpickling: numbers only."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            if "x" not in arrays:
                raise UserError(f"{path} holds {sorted(arrays)}; expected an array named x.")
            x = arrays["x"]
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, AttributeError) as error:
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        raise UserError(f"{path} cannot be read as an .npz of numbers ({reason}).") from None
    if x.dtype.kind not in "biuf":
        raise UserError(f"{path}: x holds {x.dtype} values; the model needs numbers.")
    return x.astype("float32")


def series_windows(model: keras.Model, config: Config, paths: list[Path]):
    """A forecasting run's input: each CSV read as training read its series (time column,
    features, time features), then every window of `data.sequence_length` steps that fits,
    named by the time of its last row; the forecast is for `data.horizon` steps after it."""
    data = config.data
    length, rate = data.sequence_length, data.sampling_rate
    span = (length - 1) * rate + 1
    windows, names = [], []
    for path in paths:
        try:
            read = series.series_values(tables.read_csv(path, text=False), data, str(path))
        except ConfigError as error:  # the training config's key is not the user's to fix here
            reason = str(error).removeprefix(f"{error.key}: ")
            raise UserError(f"{path} is not a series this run forecasts from: {reason}") from None
        if read.values.shape[1:] != tuple(model.inputs[0].shape[2:]):
            raise UserError(
                f"{path} gives {read.values.shape[1]} features ({', '.join(read.names)}); the "
                f"model was trained on {model.inputs[0].shape[2]}."
            )
        if len(read.values) < span:
            raise UserError(
                f"{path} has {len(read.values)} rows; a forecast reads windows of {length} "
                f"steps, one every {rate} rows: {span} rows at least."
            )
        # Views of the series, not copies: a window per row from the first that fits.
        view = np.lib.stride_tricks.sliding_window_view(read.values, span, axis=0)
        windows.append(view[:, :, ::rate].transpose(0, 2, 1))
        ends = read.times[span - 1 :]
        daily = (ends == ends.astype("datetime64[D]")).all()
        stamps = np.datetime_as_string(ends, unit="D" if daily else "s")
        names += [f"{path.name}:{stamp}" for stamp in stamps]
    return (windows[0] if len(windows) == 1 else np.concatenate(windows)), names
