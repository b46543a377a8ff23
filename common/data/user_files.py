"""The user's own files as sources: a CSV table (`csv`), NumPy arrays (`npz`), and folders of
images or texts, one sub-folder per class (`image_folder`, `text_folder`).

A table stays a DataFrame (`common.data.tables` types its columns), a folder a `FileSet` of
paths that streams from disk (`common.data.files`). An .npz is read with `allow_pickle=False`:
a file holding Python objects is refused by name, never unpickled. Every mistake in a file is a
`ConfigError` on `data.path` (on `data.test_path` for the test file) that names the file and
the fix. Class labels in an .npz are the numbers 0, 1, ... and name their classes.

`data.test_path` (and `data.validation_path`) give the split as files: `common.data.
given_parts` (tables and arrays) and `given_folders` read them.
"""

from __future__ import annotations

import zipfile

import numpy as np

from common.config.schema import DataConfig
from common.data import files, given_folders, given_parts, series, stream, stream_scan, tables
from common.data.dataset import Dataset, holdout_split, take
from common.data.paths import user_path
from common.errors import ConfigError, unknown_name

MIN_ROWS = 5  # a table this short cannot be split into train, validation and test


def load_csv(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    if data.test_path:  # the split comes with the data: its files, in memory, as they are
        return given_parts.load_parts(data, stratify)
    if stream.streams(data):  # shards, or past memory: one pass, then tf.data reads the rows
        return stream_scan.load_stream(name, data, seed, stratify)
    x, y, class_names, _, ids = tables.load_table(
        user_path(data.path), data.target, data.columns, stratify, data.features
    )
    if len(y) < MIN_ROWS:
        rows = f"{len(y)} row" + ("" if len(y) == 1 else "s")
        raise ConfigError(
            "data.path",
            f"{data.path} has {rows} of data; at least {MIN_ROWS} are needed to split off test "
            "and validation examples. Bring more rows.",
        )
    kept, held, y_train, y_test = holdout_split(
        np.arange(len(y)), y, data.test_split, seed, stratify
    )
    test_ids = take(ids, held) if len(ids.columns) else None  # the test rows' identifiers
    return Dataset(take(x, kept), y_train, take(x, held), y_test, class_names, test_ids=test_ids)


def load_folder(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """An image or text folder: class sub-folders, or train/ [validation/] [test/] of them."""
    kind = "image" if name == "image_folder" else "text"
    if data.test_path:  # folders given for the parts: used as they are
        return given_folders.load_given_folders(kind, data)
    root = user_path(data.path)
    given = files.split_folders(root)
    if "train" not in given:
        folder = files.index_folder(root, kind, data.image_size, data.color_mode, data.num_words)
        x_train, x_test, y_train, y_test = holdout_split(
            folder.files, folder.labels, data.test_split, seed, stratify=True
        )
        return Dataset(x_train, y_train, x_test, y_test, folder.class_names)
    train = files.index_folder(
        given["train"], kind, data.image_size, data.color_mode, data.num_words
    )
    size = train.files.image_size
    parts = {
        split: files.index_folder(path, kind, size, data.color_mode, data.num_words)
        for split, path in given.items()
        if split != "train"
    }
    for split, part in parts.items():
        if part.class_names != train.class_names:
            raise ConfigError(
                "data.path",
                f"{given[split]} has classes {part.class_names}, train/ has "
                f"{train.class_names}; the splits must have the same class folders.",
            )
    x_train, y_train = train.files, train.labels
    if "test" in parts:
        x_test, y_test = parts["test"].files, parts["test"].labels
    else:
        x_train, x_test, y_train, y_test = holdout_split(
            x_train, y_train, data.test_split, seed, stratify=True
        )
    validation = parts.get("validation")
    return Dataset(
        x_train,
        y_train,
        x_test,
        y_test,
        train.class_names,
        x_val=validation.files if validation else None,
        y_val=validation.labels if validation else None,
    )


NPZ_LAYOUTS = (("x_train", "y_train", "x_test", "y_test"), ("x", "y"))
PLAIN_KINDS = "biuf"  # booleans, integers and floats: what trains without conversion


def _objects(path: str, key: str = "") -> str:
    where = f" in {key}" if key else ""
    return (
        f"{path} holds Python objects{where} (pickled data), which are not loaded; save plain "
        "numeric arrays, e.g. np.savez(path, x=x.astype('float32'), y=y)."
    )


def _plain_npz(path: str) -> dict[str, np.ndarray]:
    """The arrays of a user's .npz, read with allow_pickle=False: a file holding Python
    objects is refused by name, never unpickled."""
    try:
        with open(path, "rb") as file:
            magic = file.read(6)
    except OSError as error:
        raise ConfigError("data.path", f"cannot read {path}: {error.strerror or error}.") from None
    if magic[:1] == b"\x80":  # a pickle's protocol marker
        raise ConfigError("data.path", _objects(path))
    if not magic.startswith((b"PK", b"\x93NUMPY")):
        raise ConfigError(
            "data.path",
            f"{path} is not an .npz file (NumPy's np.savez format); save the arrays with "
            "np.savez(path, x=x, y=y).",
        )
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError:  # an .npy of objects
        raise ConfigError("data.path", _objects(path)) from None
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        reason = " ".join(str(error).split())
        raise ConfigError("data.path", f"cannot read {path} as an .npz file: {reason}") from None
    if isinstance(loaded, np.ndarray):
        raise ConfigError(
            "data.path",
            f"{path} is a single .npy array; save named arrays with np.savez(path, x=x, y=y).",
        )
    arrays = {}
    with loaded:
        for key in loaded.files:
            try:
                arrays[key] = loaded[key]
                if not isinstance(arrays[key], np.ndarray):  # a zip member that is no .npy
                    raise ValueError(key)
            except ValueError as error:
                if "allow_pickle" in str(error):
                    raise ConfigError("data.path", _objects(path, key)) from None
                raise ConfigError("data.path", f"{path}: the array {key} is damaged.") from None
            except (OSError, EOFError, zipfile.BadZipFile):
                raise ConfigError("data.path", f"{path}: the array {key} is damaged.") from None
    return arrays


def _check_npz(arrays: dict[str, np.ndarray], keys: tuple[str, ...], path: str) -> None:
    """Numbers, one example per row, as many targets as inputs, and train and test alike."""
    for key in keys:
        array = arrays[key]
        if array.dtype.kind not in PLAIN_KINDS:
            raise ConfigError(
                "data.path",
                f"{path}: the array {key} holds {array.dtype} values; save plain numeric "
                "arrays (class labels as integers 0, 1, ...).",
            )
        if array.ndim == 0 or len(array) == 0:
            raise ConfigError(
                "data.path", f"{path}: the array {key} holds no examples (shape {array.shape})."
            )
    for x_key, y_key in zip(keys[::2], keys[1::2], strict=True):
        if len(arrays[x_key]) != len(arrays[y_key]):
            raise ConfigError(
                "data.path",
                f"{path}: {x_key} has {len(arrays[x_key])} examples but {y_key} has "
                f"{len(arrays[y_key])}; give one target per example.",
            )
    if len(keys) == 4 and arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise ConfigError(
            "data.path",
            f"{path}: x_train examples have shape {arrays['x_train'].shape[1:]} but x_test "
            f"examples {arrays['x_test'].shape[1:]}; they must match.",
        )


def _class_names(y: np.ndarray, path: str, classification: bool) -> list[str] | None:
    """Classes 0..k-1 named by their numbers (what the class heads size themselves by);
    none for targets of more than one value per example."""
    if not classification or y.ndim != 1:
        return None
    if (y < 0).any() or (y != np.round(y)).any():
        raise ConfigError(
            "data.path",
            f"{path}: class labels must be whole numbers 0, 1, 2, ...; found "
            f"{', '.join(f'{v:g}' for v in np.unique(y)[:5])}. Relabel them.",
        )
    return [str(k) for k in range(int(y.max()) + 1)]


def load_npz_file(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    if data.test_path:  # the split comes with the data: its files, used as they are
        return _given_npz(data, stratify)
    arrays = _plain_npz(str(user_path(data.path)))
    for keys in NPZ_LAYOUTS:
        if set(keys) <= arrays.keys():
            _check_npz(arrays, keys, data.path)
            break
    else:
        raise ConfigError(
            "data.path",
            f"{data.path} holds {sorted(arrays)}; expected x_train, y_train, x_test, y_test "
            "or x, y.",
        )
    if len(keys) == 4:
        both = np.concatenate([arrays["y_train"], arrays["y_test"]])
        names = _class_names(both, data.path, stratify)
        return Dataset(
            arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"], names
        )
    x_train, x_test, y_train, y_test = holdout_split(
        arrays["x"], arrays["y"], data.test_split, seed, stratify
    )
    return Dataset(x_train, y_train, x_test, y_test, _class_names(arrays["y"], data.path, stratify))


def _given_npz(data: DataConfig, classification: bool) -> Dataset:
    """A training .npz and its given test (and validation) .npz files, each of x and y."""
    paths = given_parts.given(data)
    arrays = {}
    for part, path in paths.items():
        with given_parts.keyed(part):
            read = _plain_npz(str(path))
            if not {"x", "y"} <= read.keys():
                own = " (its own split: drop data.test_path)" if "x_test" in read else ""
                raise ConfigError(
                    "data.path",
                    f"{path} holds {sorted(read)}{own}; a given part holds x and y: "
                    "np.savez(path, x=x, y=y).",
                )
            _check_npz(read, ("x", "y"), str(path))
            _class_names(read["y"], str(path), classification)
        arrays[part] = read
    return given_parts.array_parts(arrays, paths, classification)


def check_csv(data: DataConfig) -> None:
    """The target and feature columns named in the header, before any row is read."""
    if stream.streams(data):
        stream.check_streaming(data)
    path = stream.shards(data)[0]
    header = tables.header(path)
    if data.target is None:
        raise ConfigError("data.target", f"set the column of {path} to predict; columns: {header}.")
    for key, column in [
        ("data.target", data.target),
        *[("data.features", name) for name in data.features or []],
    ]:
        if column not in header:
            raise ConfigError(key, unknown_name(f"column in {path}:", column, header))


def load_timeseries_csv(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """A series CSV, split in time; with `data.test_path`, the later period as its own file."""
    if data.test_path:
        from common.data import given_series  # lazy: it imports pandas, config checks do not

        return given_series.load_given_series(data)
    return series.read_series_csv(user_path(data.path), data)
