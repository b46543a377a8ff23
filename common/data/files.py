"""Folders of files as a source that streams: image folders and text folders.

    data:
      dataset: image_folder        # or text_folder (the aclImdb layout)
      path: ~/photos               # one sub-folder per class: photos/cat/*.jpg, photos/dog/*.jpg
      image_size: [64, 64]         # default: the size of the first image
      color_mode: rgb              # grayscale | rgb | rgba

The folder is indexed in Keras' order (`common.data.listing`: Keras' file types, class names
from the sub-folders in sorted order, links followed once) and every file is read once then
(`common.data.readable`): an image that does not decode, or is too small for the image
models, and a text that is not UTF-8 are named before anything trains. What is kept in memory
is the list of paths and labels, a `FileSet`, which
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

from common.data import listing, readable
from common.errors import ConfigError

IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png", ".bmp", ".gif")
CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
SPLIT_FOLDERS = ("train", "validation", "test")
# The smallest image side the image models take: the bundled digits are 8x8, and what every
# image recipe's default is built and tested on; a convnet's pooling blocks halve it.
MIN_IMAGE_SIDE = 8


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

    def joined(self, other: FileSet) -> FileSet:
        """These files, then `other`'s, read the same way (training and validation)."""
        return replace(self, paths=np.concatenate([self.paths, other.paths]))

    def load(self, path):
        """One example from its path, as a TensorFlow op (for `tf.data.Dataset.map`). A text
        is UTF-8, its undecodable bytes replaced by U+FFFD (indexing counted them): the
        vocabulary learnt from it is saved as UTF-8 text, which raw bytes would break."""
        import tensorflow as tf  # lazy: config checks import this module without TensorFlow

        contents = tf.io.read_file(path)
        if self.kind == "text":
            text = tf.strings.unicode_transcode(contents, "UTF-8", "UTF-8", errors="replace")
            return tf.expand_dims(text, -1)  # shape (1,), as keras.Input(shape=(1,))
        image = readable.decode_image(contents, self.channels)
        image = tf.image.resize(image, self.image_size)  # float32, 0..255, as Keras loads it
        image.set_shape((*self.image_size, self.channels))
        return image


@dataclass(frozen=True)
class Folder:
    """An indexed folder: files and integer labels (classes in sorted folder order)."""

    files: FileSet
    labels: np.ndarray
    class_names: list[str]


def _index(path: Path, kind: str) -> listing.Listed:
    """The class folders' files of `kind`, with the notes of links followed."""
    suffixes = IMAGE_SUFFIXES if kind == "image" else (".txt",)
    listed = listing.class_files(path, suffixes)
    for note in listed.notes:
        print(f"note: {note}")
    if not listed.paths:
        what = "images (.jpg, .png, .bmp, .gif)" if kind == "image" else ".txt files"
        found = ", ".join(listed.class_names) or "none"
        raise ConfigError(
            "data.path", f"{path}: no {what} in class sub-folders (class folders: {found})."
        )
    return listed


def _check_images(paths: list[str], channels: int, where: Path) -> tuple[int, int]:
    """Decode every image once (`common.data.readable`): the files that cannot be read are
    named now, not as a crash in the middle of an epoch. Returns the first image's size."""
    sizes, unreadable = readable.image_sizes(paths, channels)
    if unreadable:
        raise ConfigError("data.path", readable.unreadable_message(unreadable, len(paths), where))
    return int(sizes[0][0]), int(sizes[0][1])


def _image_size(first: tuple[int, int], given, path: Path, first_path: str) -> tuple[int, int]:
    """`data.image_size`, or the first image's size; either at least `MIN_IMAGE_SIDE` a side.
    Images smaller than that (an icon, a 1x1 pixel) are resized up, with a note."""
    if given:
        size = tuple(int(side) for side in given)
        if min(size) < MIN_IMAGE_SIDE:
            raise ConfigError(
                "data.image_size",
                f"{list(size)} is smaller than the image models take ({MIN_IMAGE_SIDE} pixels "
                f"a side); set data.image_size=[{max(size[0], MIN_IMAGE_SIDE)}, "
                f"{max(size[1], MIN_IMAGE_SIDE)}] or larger (images are resized to it).",
            )
        return size
    if min(first) >= MIN_IMAGE_SIDE:
        return first
    size = (max(first[0], MIN_IMAGE_SIDE), max(first[1], MIN_IMAGE_SIDE))
    print(
        f"note: the images of {path} are {first[0]}x{first[1]} (the first: {first_path}), "
        f"smaller than the image models take; they are resized up to {size[0]}x{size[1]} "
        "(data.image_size sets another size)"
    )
    return size


def _check_texts(paths: list[str], path: Path) -> None:
    """Texts are UTF-8; one that is not is read with its undecodable bytes replaced (U+FFFD),
    and counted here, rather than refused or left to break the model's saved vocabulary."""
    undecodable = readable.non_utf8(paths)
    if undecodable:
        count = f"{len(undecodable)} of {len(paths)} texts in {path} " + (
            "is" if len(undecodable) == 1 else "are"
        )
        print(
            f"note: {count} not UTF-8 (e.g. {undecodable[0]}); their undecodable "
            "bytes are read as U+FFFD. Convert them to UTF-8 to keep their accents "
            "(e.g. iconv -f latin1 -t utf-8)"
        )


def index_folder(
    path: Path, kind: str, image_size=None, color_mode: str = "rgb", num_words: int = 20_000
) -> Folder:
    listed = _index(path, kind)
    paths, class_names = listed.paths, listed.class_names
    if len(class_names) < 2:
        found = class_names[0] if class_names else "none"
        raise ConfigError(
            "data.path",
            f"{path} needs one sub-folder per class, at least two; found {found}.",
        )
    if kind == "image":
        first = _check_images(paths, CHANNELS[color_mode], path)
        size = _image_size(first, image_size, path, paths[0])
        files = FileSet(np.asarray(paths), "image", size, CHANNELS[color_mode])
    else:
        _check_texts(paths, path)
        files = FileSet(np.asarray(paths), "text", vocabulary_size=num_words)
    return Folder(files, np.asarray(listed.labels, dtype="int32"), class_names)


def split_folders(path: Path) -> dict[str, Path]:
    """`train/`, `validation/`, `test/` sub-folders, if the folder is laid out that way."""
    return {name: path / name for name in SPLIT_FOLDERS if (path / name).is_dir()}
