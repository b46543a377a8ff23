"""Every file of a folder read once, when the folder is indexed: what cannot be read is named
before training, not found by a crash in the middle of an epoch.

    sizes, unreadable = image_sizes(paths, channels=3)   # (height, width) per image
    undecodable = non_utf8(paths)                          # texts that are not UTF-8

Images are decoded by TensorFlow's own decoder, as training decodes them (`decode_image`),
in parallel through `tf.data`, with the files that fail dropped by `ignore_errors` and so
found by their absence; only those are decoded again, one by one, for the reason. A header
can be whole while the body is not (a JPEG cut short, bytes overwritten): opening headers
passes such a file, decoding does not. JPEGs are decoded at an eighth of their size
(`ratio=8`): libjpeg still reads every byte of the picture, so the same files fail, and the
inverse DCT is a fraction of the work. Measured on 3,000 JPEGs of 500x375 (163 MB) on two
cores shared with other work: 1.1-3.0 s as the load varied (full-size decoding 2.3-5.2 s in
the same runs; reading only the headers 0.2 s, which misses a corrupt body).

Texts are read as bytes and decoded as UTF-8 in a thread pool: 5,000 reviews (4 MB) in 0.2 s.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

VERBOSE = "COOKBOOK_VERBOSE"  # common.cli's --verbose: keep the decoders' native warnings


def decode_image(contents, channels: int):
    """Image bytes as uint8 pixels with `channels` channels, whatever the format stores:
    TensorFlow's decoders refuse some pairs (a JPEG has no alpha, a GIF no grey, a BMP no
    grey), which are decoded to RGB and converted here; the rest decode as Keras does."""
    import tensorflow as tf  # lazy: config checks import this module without TensorFlow

    def native():
        return tf.io.decode_image(contents, channels=channels, expand_animations=False)

    def rgb():
        return tf.io.decode_image(contents, channels=3, expand_animations=False)

    if channels == 3:
        return native()
    gif = tf.equal(tf.strings.substr(contents, 0, 3), "GIF")
    if channels == 1:  # GIF and BMP decode to RGB(A) only
        bmp = tf.equal(tf.strings.substr(contents, 0, 2), "BM")
        return tf.cond(gif | bmp, lambda: tf.image.rgb_to_grayscale(rgb()), native)

    def opaque():  # channels == 4 of a JPEG or a GIF, which have no alpha
        image = rgb()
        alpha = tf.fill(tf.concat([tf.shape(image)[:2], [1]], 0), tf.constant(255, tf.uint8))
        return tf.concat([image, alpha], -1)

    return tf.cond(tf.io.is_jpeg(contents) | gif, opaque, native)


def _probe(channels: int):
    """(index, path) -> (index, (height, width), decoded size); raises where training's
    decoding would."""
    import tensorflow as tf  # lazy: config checks import this module without TensorFlow

    def probe(index, path):
        contents = tf.io.read_file(path)

        def jpeg():  # the size from the header, and the decoded eighth, so that it is decoded
            scaled = tf.io.decode_jpeg(contents, channels=min(channels, 3), ratio=8)
            return tf.io.extract_jpeg_shape(contents)[:2], tf.shape(scaled)[:2]

        def other():
            size = tf.shape(decode_image(contents, channels))[:2]
            return size, size

        # Both come out of the map: an output no one reads would be pruned, decoding and all.
        return index, *tf.cond(tf.io.is_jpeg(contents), jpeg, other)

    return probe


def image_sizes(paths: Sequence[str], channels: int) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Each image decoded once: ((height, width) per path, zeros where unreadable) and the
    unreadable files with the decoder's reason."""
    import tensorflow as tf  # lazy: config checks import this module without TensorFlow

    paths = [str(p) for p in paths]
    sizes = np.zeros((len(paths), 2), dtype="int64")
    read = np.zeros(len(paths), dtype=bool)
    if not paths:
        return sizes, []
    dataset = (
        tf.data.Dataset.from_tensor_slices((np.arange(len(paths)), paths))
        .map(_probe(channels), num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
        .ignore_errors()
        .batch(1024)
    )
    with native_stderr_hidden():
        for index, shape, _ in dataset.as_numpy_iterator():
            sizes[index], read[index] = shape, True
        unreadable = [(paths[i], _reason(paths[i], channels)) for i in np.flatnonzero(~read)]
    return sizes, unreadable


def _reason(path: str, channels: int) -> str:
    """Why one image cannot be decoded, in the decoder's words (one line)."""
    import tensorflow as tf  # lazy: config checks import this module without TensorFlow

    try:
        decode_image(tf.io.read_file(path), channels)
    except tf.errors.OpError as error:
        message = re.sub(r"\{\{.*?\}\}|\[Op:.*", "", error.message).strip()
        return " ".join(message.split())[:200] or type(error).__name__
    return "it could not be read"  # read now, so it failed to read before: say so


def unreadable_message(unreadable: list[tuple[str, str]], total: int, where: str) -> str:
    """One line naming the unreadable images (the first few, with the reason) and the fix."""
    if len(unreadable) == 1:
        ((path, reason),) = unreadable
        return f"{path} cannot be read as an image ({reason}); remove or replace it."
    shown = "; ".join(f"{path} ({reason})" for path, reason in unreadable[:3])
    more = f"; and {len(unreadable) - 3} more" if len(unreadable) > 3 else ""
    return (
        f"{len(unreadable)} of {total} images in {where} cannot be read as images: "
        f"{shown}{more}. Remove or replace them."
    )


def _is_utf8(path: str) -> bool:
    try:
        with open(path, "rb") as file:
            file.read().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def non_utf8(paths: Sequence[str]) -> list[str]:
    """The files among `paths` that are not UTF-8 text."""
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) + 2)) as pool:
        valid = list(pool.map(_is_utf8, paths, chunksize=64))
    return [path for path, ok in zip(paths, valid, strict=True) if not ok]


@contextlib.contextmanager
def native_stderr_hidden() -> Iterator[None]:
    """The process's stderr pointed at /dev/null, for native code that writes there and
    Python cannot filter: libjpeg warns from C for every slightly damaged JPEG it can still
    decode ("Corrupt JPEG data: premature end of data segment"; the files that fail are named
    anyway), TFLite's converter and interpreter print diagnostics ("fully_quantize: 0, ...").
    Errors still arrive as exceptions; `--verbose` (COOKBOOK_VERBOSE) keeps everything."""
    if os.environ.get(VERBOSE):
        yield
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
