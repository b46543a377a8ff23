"""Folders given for the parts: `data.path` the training folder, `data.test_path` (and
`data.validation_path`) folders of the same class sub-folders, used as they are.

    data:
      dataset: text_folder
      path: aclImdb/train          # neg/ and pos/ sub-folders
      test_path: aclImdb/test      # the same classes (or some of them)

Each folder is indexed as `common.data.files` indexes one (Keras' order, every file read
once), a test image resized to the training images' size, and its labels numbered by the
training folder's classes. What is refused and what is noted is listed in
`common.data.given_parts`: a class the training folder has no folder for, or the same file
in two parts, is refused; identical contents under other names are counted in a note (only
files of equal size are hashed, so this reads few files twice).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from common.config.schema import DataConfig
from common.data import files, given_parts
from common.data.dataset import Dataset
from common.data.given_parts import key_of
from common.errors import ConfigError


def load_given_folders(kind: str, data: DataConfig) -> Dataset:
    paths = given_parts.given(data, folders=True)
    for part, path in paths.items():
        laid_out = files.split_folders(path)
        if laid_out:
            inner = ", ".join(f"{name}/" for name in laid_out)
            raise ConfigError(
                key_of(part),
                f"{path} holds {inner} sub-folders: a split of its own, not class folders. "
                f"Point {key_of(part)} at the class folders (e.g. {path / next(iter(laid_out))}),"
                " or give data.path the folder of train/ and test/ without data.test_path.",
            )
    train = files.index_folder(
        paths["train"], kind, data.image_size, data.color_mode, data.num_words
    )
    parts = {}
    for part, path in paths.items():
        if part == "train":
            continue
        with given_parts.keyed(part):
            folder = files.index_folder(
                path, kind, train.files.image_size, data.color_mode, data.num_words
            )
        parts[part] = (folder.files, _relabel(folder, train, part, path))
        _check_files(train.files.paths, folder.files.paths, part, paths)
    x_test, y_test = parts["test"]
    x_val, y_val = parts.get("validation", (None, None))
    return Dataset(
        train.files, train.labels, x_test, y_test, train.class_names, x_val=x_val, y_val=y_val
    )


def _relabel(folder: files.Folder, train: files.Folder, part: str, path: Path) -> np.ndarray:
    """The part's labels numbered by the training folder's classes; a class folder the
    training folder lacks is refused, one the part lacks is noted."""
    given_parts.refuse_new_classes(
        [name for name in folder.class_names if name not in train.class_names],
        part,
        path,
        "the training folder has no folder for",
    )
    missing = [name for name in train.class_names if name not in folder.class_names]
    if missing:
        print(
            f"note: {path} has no folder for {len(missing)} of the {len(train.class_names)} "
            f"classes ({', '.join(missing[:5])}); its score leaves them out"
        )
    number = np.asarray([train.class_names.index(name) for name in folder.class_names])
    return number[folder.labels].astype("int32")


def _check_files(train: np.ndarray, other: np.ndarray, part: str, paths: dict) -> None:
    """The same file in both parts is refused; identical contents are counted in a note."""
    real = {os.path.realpath(path): path for path in train}
    shared = [path for path in other if os.path.realpath(path) in real]
    if shared:
        first = real[os.path.realpath(shared[0])]
        also = f" is {first}" if first != shared[0] else ""
        raise ConfigError(
            key_of(part),
            f"{len(shared)} of the {len(other)} files of {paths[part]} are files of "
            f"{paths['train']} too (e.g. {shared[0]}{also}); "
            f"a part is scored on files it has not trained on: give {key_of(part)} a folder "
            "apart from the training folder.",
        )
    copies = _same_contents(train, other)
    if copies:
        path, first = next(iter(copies.items()))
        print(
            f"note: {len(copies)} of the {len(other)} files of {paths[part]} have the contents "
            f"of a training file (e.g. {path} = {first}): the {part} score counts them as unseen"
        )


def _same_contents(train: np.ndarray, other: np.ndarray) -> dict[str, str]:
    """{file of `other`: a file of `train` with the same bytes}: sizes first, then a hash of
    the files whose size is found on both sides."""
    sizes = {path: os.path.getsize(path) for path in (*train, *other)}
    both = {sizes[path] for path in train} & {sizes[path] for path in other}
    digests = {}
    for path in train:
        if sizes[path] in both:
            digests.setdefault(_digest(path), path)
    found = {}
    for path in other:
        digest = _digest(path) if sizes[path] in both else None
        if digest in digests:
            found[str(path)] = str(digests[digest])
    return found


def _digest(path: str) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()
