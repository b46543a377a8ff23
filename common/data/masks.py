"""Images with a mask each, as a source that streams: the `segmentation` recipe's own data.

    data:
      dataset: mask_folder         # images/ and masks/ with matching names
      path: ~/scans                # scans/images/a.jpg <-> scans/masks/a.png
      image_size: [128, 128]       # default: the first image's size

    data:
      dataset: oxford_pets         # Oxford-IIIT Pets as keras.io's U-Net example reads it
      path: ~/pets                 # optional: holds images/*.jpg, annotations/trimaps/*.png

A mask is a single-channel (8-bit grayscale) PNG whose pixel values are class indices; an
optional `classes.txt` beside images/ names the classes, one per line, else they are
0 .. the largest index found. Oxford Pets' trimaps hold 1 (pet), 2 (background) and 3 (the
outline between them), read as classes 0, 1, 2 as keras.io does. Without `data.path` the two
archives download through `keras.utils.get_file` (800 MB).

Every image is decoded once and every mask read once when the folder is indexed: an image
that does not decode (`common.data.readable`; Oxford Pets' are left out with a note), a mask
that is not a grayscale PNG, does not match its image's size or holds a class it should not
is named now, not in the middle of an epoch; and the pixel counts per class, kept in
`MaskFiles.counts`, give the recipe its baseline and its head's starting bias without another
pass. The images stay a `FileSet` (`common.data.files`); `mask_dataset` decodes image and
mask pairs batch by batch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from common.config.schema import DataConfig
from common.data import readable
from common.data.dataset import Dataset, holdout_split
from common.data.files import CHANNELS, IMAGE_SUFFIXES, FileSet
from common.data.paths import user_path
from common.errors import ConfigError

PETS_ORIGIN = "https://thor.robots.ox.ac.uk/datasets/pets/"  # keras.io's source of the archives
PETS_CLASSES = ["pet", "background", "outline"]  # trimap values 1, 2, 3
MASK_MODES = ("L",)  # 8-bit grayscale: what tf.io.decode_png(channels=1) reads as indices


@dataclass(frozen=True)
class MaskFiles:
    """Masks on disk standing in for an array of per-pixel targets: one PNG per example, its
    pixel values minus `offset` the class indices. `counts[i, k]` is how many pixels of mask i
    hold class k (at the mask's own size)."""

    paths: np.ndarray
    counts: np.ndarray
    offset: int = 0

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index) -> MaskFiles:
        return replace(self, paths=self.paths[index], counts=self.counts[index])

    def joined(self, other: MaskFiles) -> MaskFiles:
        """These masks, then `other`'s (training and validation)."""
        paths = np.concatenate([self.paths, other.paths])
        return replace(self, paths=paths, counts=np.concatenate([self.counts, other.counts]))

    def load(self, path, image_size: tuple[int, int]):
        """One mask from its path, as a TensorFlow op: (height, width) uint8 class indices,
        resized by nearest neighbour so no pixel gets a class between two."""
        import tensorflow as tf  # lazy: config checks import this module without TensorFlow

        mask = tf.io.decode_png(tf.io.read_file(path), channels=1)
        mask = tf.image.resize(mask, image_size, method="nearest")
        mask = tf.cast(mask[..., 0], tf.int32) - self.offset
        mask = tf.cast(mask, tf.uint8)
        mask.set_shape(image_size)
        return mask


def _read_mask(path: Path, image_size: tuple[int, int], offset: int, classes: int | None):
    """The class counts of one mask, after checking it against its image's (height, width)."""
    from PIL import Image, UnidentifiedImageError  # lazy: only mask folders need Pillow

    try:
        with Image.open(path) as mask:
            mode, size = mask.mode, (mask.height, mask.width)
            values = np.asarray(mask) if mode in MASK_MODES else None
    except (UnidentifiedImageError, OSError) as error:
        raise ConfigError(
            "data.path",
            f"{path} cannot be read as a mask ({error.__class__.__name__}); remove or replace it.",
        ) from None
    if values is None:
        raise ConfigError(
            "data.path",
            f"{path} is a mode {mode} image; a mask is an 8-bit grayscale PNG (mode L) whose "
            "pixels are class indices: save np.asarray(mask) with Image.fromarray(..., 'L').",
        )
    if size != tuple(image_size):
        raise ConfigError(
            "data.path",
            f"{path} is {size[1]}x{size[0]} pixels, its image {image_size[1]}x{image_size[0]}; "
            "a mask must be the size of its image.",
        )
    values = values.astype("int64").ravel() - offset
    largest = classes - 1 if classes else 255
    if values.min() < 0 or values.max() > largest:
        found = sorted(set(np.unique(values + offset).tolist()))
        raise ConfigError(
            "data.path",
            f"{path} holds the values {found[:10]}; expected {offset} to {largest + offset}.",
        )
    return np.bincount(values, minlength=classes or 0)


def index_pairs(
    images: list[Path],
    masks: dict[str, Path],
    channels: int,
    offset: int,
    classes: int | None,
    skip_unreadable: bool = False,
) -> tuple[list[Path], MaskFiles]:
    """Each image with its mask (by file stem): every image decoded once as training decodes
    it (`common.data.readable`; one that fails is named, or with `skip_unreadable` left out
    with a note), every mask read once (`_read_mask`)."""
    paired = [image for image in images if image.stem in masks]
    if not paired:
        raise ConfigError("data.path", f"no image has a mask of the same name among {len(masks)}.")
    sizes, unreadable = readable.image_sizes([str(p) for p in paired], channels)
    if unreadable and not skip_unreadable:
        where = str(paired[0].parent)
        raise ConfigError("data.path", readable.unreadable_message(unreadable, len(paired), where))
    if unreadable:
        print(f"note: {len(unreadable)} unreadable images left out: {unreadable[0][0]}, ...")
        kept = {path for path, _ in unreadable}
        sizes = sizes[[str(p) not in kept for p in paired]]
        paired = [p for p in paired if str(p) not in kept]
    counts = [
        _read_mask(masks[image.stem], size, offset, classes)
        for image, size in zip(paired, sizes, strict=True)
    ]
    width = max(len(c) for c in counts)
    table = np.stack([np.pad(c, (0, width - len(c))) for c in counts])
    paths = np.asarray([str(masks[image.stem]) for image in paired])
    return paired, MaskFiles(paths, table, offset)


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _masked_dataset(
    images: list[Path], masks: MaskFiles, class_names: list[str], data: DataConfig, seed: int
) -> Dataset:
    from PIL import Image  # lazy: only mask folders need Pillow

    if len(class_names) < 2 or np.count_nonzero(masks.counts.sum(axis=0)) < 2:
        raise ConfigError("data.path", "the masks hold one class only; segmentation needs two.")
    if data.image_size:
        size = tuple(data.image_size)
    else:
        with Image.open(images[0]) as first:
            size = (first.height, first.width)
    files = FileSet(np.asarray([str(p) for p in images]), "image", size, CHANNELS[data.color_mode])
    x_train, x_test, y_train, y_test = holdout_split(files, masks, data.test_split, seed, False)
    return Dataset(x_train, y_train, x_test, y_test, class_names)


def load_mask_folder(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """`images/` and `masks/` of `data.path`, paired by file name; `classes.txt` names them."""
    root = user_path(data.path)
    image_dir, mask_dir = root / "images", root / "masks"
    for folder in (image_dir, mask_dir):
        if not folder.is_dir():
            raise ConfigError("data.path", f"{root} needs images/ and masks/; {folder} is missing.")
    masks = {p.stem: p for p in mask_dir.iterdir() if p.suffix.lower() == ".png"}
    images = image_files(image_dir)
    unmatched = [p.name for p in images if p.stem not in masks]
    if unmatched:
        raise ConfigError(
            "data.path",
            f"{image_dir / unmatched[0]} has no mask {mask_dir}/{Path(unmatched[0]).stem}"
            f".png ({len(unmatched)} images lack one); every image needs its mask.",
        )
    names_file = root / "classes.txt"
    names = None
    if names_file.is_file():
        lines = names_file.read_text(encoding="utf-8", errors="replace").splitlines()
        names = [line.strip() for line in lines if line.strip()]
    channels = CHANNELS[data.color_mode]
    images, mask_files = index_pairs(images, masks, channels, 0, len(names) if names else None)
    names = names or [str(k) for k in range(mask_files.counts.shape[1])]
    return _masked_dataset(images, mask_files, names, data, seed)


def pets_folders(data: DataConfig) -> tuple[Path, Path]:
    """(images/, annotations/trimaps/): under `data.path`, or Keras' download of keras.io's
    two archives."""
    if data.path:
        root = user_path(data.path)
        images, trimaps = root / "images", root / "annotations" / "trimaps"
    else:
        import keras  # lazy: config checks import this module without TensorFlow

        def fetch(name: str) -> Path:
            origin = f"{PETS_ORIGIN}{name}.tar.gz"
            return Path(keras.utils.get_file(f"oxford_pets_{name}", origin, extract=True))

        images, trimaps = fetch("images") / "images", fetch("annotations") / "annotations/trimaps"
    for folder in (images, trimaps):
        if not folder.is_dir():
            raise ConfigError(
                "data.path",
                f"{folder} is missing: Oxford Pets holds images/ and annotations/trimaps/.",
            )
    return images, trimaps


def load_oxford_pets(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """Oxford-IIIT Pets in keras.io's layout: each .jpg of images/ with its trimap."""
    image_dir, trimap_dir = pets_folders(data)
    trimaps = {p.stem: p for p in trimap_dir.glob("*.png") if not p.name.startswith(".")}
    images = sorted(image_dir.glob("*.jpg"))
    channels = CHANNELS[data.color_mode]
    images, masks = index_pairs(images, trimaps, channels, 1, len(PETS_CLASSES), True)
    return _masked_dataset(images, masks, list(PETS_CLASSES), data, seed)


def mask_dataset(
    images: FileSet,
    masks: MaskFiles | None,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    cache: bool = False,
):
    """(image, mask) batches decoded in parallel while the model trains (images alone when
    `masks` is None); paths are shuffled, not pixels, unless `cache` keeps decoded pairs."""
    import tensorflow as tf  # lazy: config checks import this module without TensorFlow

    sources = (images.paths,) if masks is None else (images.paths, masks.paths)
    dataset = tf.data.Dataset.from_tensor_slices(sources)
    if shuffle and not cache:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)

    def load(image_path, mask_path=None):
        image = images.load(image_path)
        return (image,) if mask_path is None else (image, masks.load(mask_path, images.image_size))

    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    if cache:
        dataset = dataset.cache()
        if shuffle:
            dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.batch(batch_size).with_options(options).prefetch(tf.data.AUTOTUNE)
