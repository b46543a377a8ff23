"""No recipe to know: `cookbook train data.path=… data.target=…` picks the recipe from the data.

    choice = choose(["data.path=flowers.csv", "data.target=species"])
    choice.recipe, choice.overrides   # "multiclass", ["data.dataset=csv"]
    choice.note()                     # note: recipe multiclass: target 'species' has 3 classes …

The run then loads the chosen recipe's default config with `choice.overrides` before the
user's own, exactly as `cookbook train multiclass data.dataset=csv data.path=… data.target=…`
would, so config.yaml records the recipe and the dataset like any other choice.

    data.path                                   data.dataset    recipe
    a folder of class sub-folders of images     image_folder    convnet
    … of .txt files (the aclImdb layout)        text_folder     binary (2 classes), else
                                                                multiclass (bag of words)
    images/ and masks/ sub-folders              mask_folder     segmentation
    a CSV (a file, a folder or glob of them)    csv             by its target, or rnn for a
                                                                series (`table_choice`)
    an .npz of x and y                          npz             by y, as a CSV target; x of
                                                                images with classes: convnet

`data.dataset`, when given, replaces the guess from the path. `train/` and `test/` folders of
class folders count as class folders. At most `PEEK_FILES` files of each class folder are
looked at and the first rows of a table read: the choice costs milliseconds, and imports
neither TensorFlow nor the data's loaders.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from common.config.files import recipe_names
from common.config.overrides import apply_overrides
from common.config.schema import DataConfig
from common.data import files, listing
from common.data.paths import user_path
from common.data.table_choice import EXAMPLE, SAMPLE_ROWS, Choice, classes, csv_choice, some
from common.errors import ConfigError, unknown_name

PEEK_FILES = 50  # files looked at per class folder to tell images from texts
FILE_KINDS = ("csv", "timeseries_csv", "image_folder", "text_folder", "npz", "mask_folder")
RECIPE_OF = {"pairs_csv": "seq2seq"}  # named outright: the one recipe that reads it


def _data_keys(overrides: Sequence[str]) -> tuple[DataConfig, bool]:
    """The `data` keys the overrides give (names as text), and whether data.dataset is one."""
    data = apply_overrides({}, overrides).get("data") or {}
    if not isinstance(data, dict):
        raise ConfigError("data", "expected a section of keys, e.g. data.path=rows.csv.")
    keys = {}
    for key in ("dataset", "path", "target", "time_column", "time_format"):
        value = data.get(key)
        if value is not None and not isinstance(value, (str, int, float)):
            raise ConfigError(f"data.{key}", f"expected a name, got {value!r}.")
        if value is not None:
            keys[key] = str(value)
    features = data.get("features")
    if isinstance(features, list):
        keys["features"] = [str(name) for name in features]
    return DataConfig(**keys), "dataset" in keys


def choose(overrides: Sequence[str]) -> Choice:
    """The recipe for a run that names none, from the data its overrides name; a ConfigError
    naming the key (and the fix) when the data cannot tell."""
    data, given = _data_keys(overrides)
    if not data.path:
        raise ConfigError(
            "data.path",
            "name a recipe (`cookbook train binary`), or give your data and the data picks "
            f"one: {EXAMPLE}.",
        )
    kind = data.dataset if given else file_kind(data.path)
    if kind in ("image_folder", "text_folder", "mask_folder"):
        choice = _folder(kind, data)
    elif kind == "npz":
        choice = _npz(data)
    elif kind in ("csv", "timeseries_csv"):
        choice = csv_choice(kind, data, given)
    elif kind in RECIPE_OF:
        choice = Choice(RECIPE_OF[kind], f"data.dataset {kind} is the {RECIPE_OF[kind]} recipe's")
    else:
        raise ConfigError(
            "data.dataset",
            f"a run without a recipe reads your own files ({', '.join(FILE_KINDS)}, "
            f"pairs_csv); for {kind!r} name the recipe, e.g. `cookbook train multiclass "
            f"data.dataset={kind}`.",
        )
    if choice.recipe not in recipe_names():  # a recipe this checkout does not hold
        raise ConfigError("recipe", unknown_name("recipe", choice.recipe, recipe_names()))
    dataset = [] if given else [f"data.dataset={choice.dataset or kind}"]
    return Choice(choice.recipe, choice.reason, [*dataset, *choice.overrides])


# --------------------------------------------------------------------------------------------
# Folders: what a listing shows
# --------------------------------------------------------------------------------------------


def file_kind(text: str) -> str:
    """csv, npz, image_folder, text_folder or mask_folder, from what `data.path` names."""
    if any(sign in text for sign in "*?["):
        return "csv"  # a glob of CSV shards
    path = user_path(text)
    if path.is_dir():
        return _folder_kind(path)
    if not path.is_file():
        raise ConfigError("data.path", f"not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".npz"):
        return suffix[1:]
    raise ConfigError(
        "data.dataset",
        f"cannot tell the kind of {path} from its name; give a .csv, an .npz or a folder of "
        "class sub-folders, or set data.dataset (csv, npz, timeseries_csv).",
    )


def _peek(folder: Path) -> list[str]:
    """Up to PEEK_FILES file names (lower case) below `folder`, links followed."""
    names: list[str] = []
    for _, _, found in os.walk(folder, followlinks=True):
        names.extend(name.lower() for name in found if not name.startswith("."))
        if len(names) >= PEEK_FILES:
            break
    return names[:PEEK_FILES]


def _class_root(path: Path) -> Path:
    """The folder whose sub-folders are the classes: `train/` of a train/test layout."""
    return files.split_folders(path).get("train", path)


def _folder_kind(path: Path) -> str:
    root = _class_root(path)
    names = listing.class_folders(root)
    if root == path and set(names) >= {"images", "masks"}:
        return "mask_folder"
    if not names:
        if any(name.lower().endswith(".csv") for name in os.listdir(path)):
            return "csv"  # a folder of CSV shards
        raise ConfigError(
            "data.path",
            f"{path} has no class sub-folders (one folder of images or .txt files per class) "
            "and no .csv files; lay it out that way, or name the file.",
        )
    peeked = [name for folder in names for name in _peek(root / folder)]
    images = sum(name.endswith(files.IMAGE_SUFFIXES) for name in peeked)
    texts = sum(name.endswith(".txt") for name in peeked)
    if images and texts:
        raise ConfigError(
            "data.dataset",
            f"the class folders of {path} hold images and .txt files; set "
            "data.dataset=image_folder or data.dataset=text_folder.",
        )
    if not images and not texts:
        raise ConfigError(
            "data.path",
            f"the class folders of {path} ({some(names)}) hold no images "
            f"({', '.join(files.IMAGE_SUFFIXES)}) and no .txt files.",
        )
    return "image_folder" if images else "text_folder"


def _folder(kind: str, data: DataConfig) -> Choice:
    path = user_path(data.path)
    if not path.is_dir():
        raise ConfigError("data.path", f"{kind} reads a folder; not found: {path}")
    if kind == "mask_folder":
        return Choice("segmentation", f"{path} holds images/ and masks/: a mask per image")
    names = listing.class_folders(_class_root(path))
    held = f"{len(names)} class folders ({some(names)})"
    if kind == "image_folder":
        return Choice("convnet", f"{path} is an image folder, {held}")
    if len(names) == 2:
        return Choice("binary", f"{path} is a text folder, {held}")
    # multiclass.yaml's Gaussian input noise is for pixels: on word counts it is no
    # augmentation, and Keras refuses to add it to the integer multi-hot.
    return Choice("multiclass", f"{path} is a text folder, {held}", ["model.input_noise=0.0"])


def _npz(data: DataConfig) -> Choice:
    """By y, typed as a CSV target is; image-shaped x (2 or 3 axes an example) with classes:
    convnet."""
    import pandas as pd  # lazy: config checks import this module without pandas

    path = user_path(data.path)
    try:
        with np.load(path, allow_pickle=False) as arrays:
            keys = ("x_train", "y_train") if "y_train" in arrays.files else ("x", "y")
            if not set(keys) <= set(arrays.files):
                raise ConfigError(
                    "data.path",
                    f"{path} holds {sorted(arrays.files)}; expected x_train, y_train, x_test, "
                    "y_test or x, y.",
                )
            y = arrays[keys[1]]
            with arrays.zip.open(f"{keys[0]}.npy") as member:  # x's shape: its header only
                major, _ = np.lib.format.read_magic(member)
                read = np.lib.format.read_array_header_1_0
                if major > 1:
                    read = np.lib.format.read_array_header_2_0
                x_shape = read(member)[0]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
        reason = " ".join(str(error).split())[:200]
        raise ConfigError("data.path", f"cannot read {path} as x and y arrays: {reason}") from None
    if y.ndim != 1 or y.dtype.kind not in "biuf" or not len(y):
        raise ConfigError(
            "data.target",
            f"{path}: {keys[1]} has shape {y.shape} and type {y.dtype}; a recipe is picked for "
            "one number or class per example. Name the recipe.",
        )
    text = pd.Series(y[:SAMPLE_ROWS]).map(lambda value: f"{value:g}")
    choice = classes(keys[1], text, str(path))
    if choice is None:
        return Choice("regression", f"{keys[1]} of {path} holds numbers")
    if len(x_shape) in (3, 4):
        shape = "x".join(str(side) for side in x_shape[1:3])
        return Choice("convnet", f"{path} holds {shape} images; {choice.reason}")
    return choice
