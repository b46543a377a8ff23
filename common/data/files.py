"""Folders of files as a source that streams: image folders and text folders.

    data:
      dataset: image_folder        # or text_folder (the aclImdb layout)
      path: ~/photos               # one sub-folder per class: photos/cat/*.jpg, photos/dog/*.jpg
      image_size: [64, 64]         # default: the size of the first image
      color_mode: rgb              # grayscale | rgb | rgba

Keras indexes the folder (`keras.utils.image_dataset_from_directory` /
`text_dataset_from_directory`: the same file types, class names from the sub-folders, in
sorted order). What is kept in memory is the list of paths and labels, a `FileSet`, which
stands in for an array of examples wherever the driver takes one: it has a length, a shape and
can be indexed, so splits are drawn over paths (stratified, seeded: the same files every run)
and `common.data.pipeline` decodes the files batch by batch while training. Nothing decoded is
held whole in memory unless `data.cache: true` asks for it.

`train/`, `validation/` and `test/` sub-folders, when present, are the splits as given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from common.errors import ConfigError

IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png", ".bmp", ".gif")
CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
SPLIT_FOLDERS = ("train", "validation", "test")


@dataclass(frozen=True)
class FileSet:
    """Files standing in for an array of examples: paths in memory, pixels or text on disk.

    `kind` is "image" (decoded to float32 pixels in 0..255, resized to `image_size`) or "text"
    (the file's contents as one string)."""

    paths: np.ndarray
    kind: str
    image_size: tuple[int, int] | None = None
    channels: int = 3
    vocabulary_size: int = 20_000  # text: the TextVectorization vocabulary (`data.num_words`)

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def shape(self) -> tuple[int, ...]:
        if self.kind == "image":
            return (len(self), *self.image_size, self.channels)
        return (len(self),)

    def __getitem__(self, index) -> FileSet:
        return replace(self, paths=self.paths[index])

    def load(self, path):
        """One example from its path, as a TensorFlow op (for `tf.data.Dataset.map`)."""
        import tensorflow as tf  # lazy: config checks import this module without TensorFlow

        contents = tf.io.read_file(path)
        if self.kind == "text":
            return tf.expand_dims(contents, -1)  # shape (1,), as keras.Input(shape=(1,))
        image = tf.image.decode_image(contents, channels=self.channels, expand_animations=False)
        image = tf.image.resize(image, self.image_size)  # float32, 0..255, as Keras loads it
        image.set_shape((*self.image_size, self.channels))
        return image


@dataclass(frozen=True)
class Folder:
    """An indexed folder: files and integer labels (classes in sorted folder order)."""

    files: FileSet
    labels: np.ndarray
    class_names: list[str]


def _index(path: Path, kind: str) -> tuple[list[str], list[str]]:
    """Keras' own indexing of a class-per-folder tree: (file paths, class names). (The text
    loader does not expose its file list, so text files are listed here the way Keras lists
    them: `.txt` files anywhere below each class folder.)"""
    import keras  # lazy: config checks import this module without TensorFlow

    index = (
        keras.utils.image_dataset_from_directory
        if kind == "image"
        else keras.utils.text_dataset_from_directory
    )
    try:
        dataset = index(str(path), labels="inferred", batch_size=None, shuffle=False, verbose=False)
    except ValueError as error:
        what = "images (.jpg, .png, .bmp, .gif)" if kind == "image" else ".txt files"
        raise ConfigError(
            "data.path", f"{path}: no {what} in class sub-folders ({error})."
        ) from None
    if kind == "image":
        return list(dataset.file_paths), list(dataset.class_names)
    paths = [
        str(file)
        for name in dataset.class_names
        for file in sorted((path / name).rglob("*"))
        if file.suffix.lower() == ".txt" and file.is_file()
    ]
    return paths, list(dataset.class_names)


def _check_images(paths: list[str]) -> tuple[int, int]:
    """Open every image's header (not its pixels): a file that is not an image is named now,
    not as a crash in the middle of an epoch. Returns the first image's (height, width)."""
    from PIL import Image, UnidentifiedImageError  # lazy: only image folders need Pillow

    size = None
    for path in paths:
        try:
            with Image.open(path) as image:
                size = size or (image.height, image.width)
        except (UnidentifiedImageError, OSError) as error:
            raise ConfigError(
                "data.path",
                f"{path} cannot be read as an image ({error.__class__.__name__}); "
                "remove or replace it.",
            ) from None
    return size


def index_folder(
    path: Path, kind: str, image_size=None, color_mode: str = "rgb", num_words: int = 20_000
) -> Folder:
    paths, class_names = _index(path, kind)
    if len(class_names) < 2:
        found = class_names[0] if class_names else "none"
        raise ConfigError(
            "data.path",
            f"{path} needs one sub-folder per class, at least two; found {found}.",
        )
    if kind == "image":
        first = _check_images(paths)
        size = tuple(image_size) if image_size else first
        files = FileSet(np.asarray(paths), "image", size, CHANNELS[color_mode])
    else:
        files = FileSet(np.asarray(paths), "text", vocabulary_size=num_words)
    labels = np.asarray(
        [class_names.index(Path(p).relative_to(path).parts[0]) for p in paths], dtype="int32"
    )
    return Folder(files, labels, class_names)


def split_folders(path: Path) -> dict[str, Path]:
    """`train/`, `validation/`, `test/` sub-folders, if the folder is laid out that way."""
    return {name: path / name for name in SPLIT_FOLDERS if (path / name).is_dir()}
