"""Small files in the exact formats keras.datasets downloads, written by the tests themselves,
so the real loading code runs offline. `write(dataset, folder)` returns what `data.path` takes."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np


def ragged(rows: list[list[int]]) -> np.ndarray:
    """An object array of plain-int lists: how imdb.npz and reuters.npz store sequences."""
    array = np.empty(len(rows), dtype=object)
    array[:] = [[int(word) for word in row] for row in rows]
    return array


def _sequences(rng: np.random.Generator, count: int, vocabulary: int) -> list[list[int]]:
    return [list(rng.integers(1, vocabulary, size=rng.integers(3, 15))) for _ in range(count)]


def write_imdb(folder: Path, count: int = 40) -> Path:
    rng = np.random.default_rng(0)
    reviews, labels = _sequences(rng, count, 60), np.arange(count) % 2
    cut = count * 3 // 4
    path = folder / "imdb.npz"
    np.savez(
        path,
        x_train=ragged(reviews[:cut]),
        y_train=labels[:cut],
        x_test=ragged(reviews[cut:]),
        y_test=labels[cut:],
    )
    return path


def write_reuters(folder: Path, count: int = 50, topics: int = 5) -> Path:
    rng = np.random.default_rng(1)
    path = folder / "reuters.npz"
    np.savez(path, x=ragged(_sequences(rng, count, 80)), y=np.arange(count) % topics)
    return path


def write_boston_housing(folder: Path, count: int = 60) -> Path:
    rng = np.random.default_rng(2)
    path = folder / "boston_housing.npz"
    np.savez(path, x=rng.normal(size=(count, 13)), y=rng.normal(20, 5, size=count))
    return path


def _digit_images(rng: np.random.Generator, labels: np.ndarray, size: int = 28) -> np.ndarray:
    """Noisy images with a bright bar whose row encodes the label: learnable, and tiny."""
    images = rng.integers(0, 40, (len(labels), size, size), dtype=np.uint8)
    for image, label in zip(images, labels, strict=True):
        row = 2 + int(label) * (size - 4) // 10
        image[row : row + 2, 4:-4] = 255
    return images


def write_mnist(folder: Path, count: int = 120) -> Path:
    rng = np.random.default_rng(3)
    y_train, y_test = np.arange(count) % 10, np.arange(count // 4) % 10
    path = folder / "mnist.npz"
    np.savez(
        path,
        x_train=_digit_images(rng, y_train),
        y_train=y_train.astype(np.uint8),
        x_test=_digit_images(rng, y_test),
        y_test=y_test.astype(np.uint8),
    )
    return path


def _idx(path: Path, array: np.ndarray) -> None:
    """The IDX format of the original MNIST files: magic, dimensions, then uint8 data."""
    magic = struct.pack(">HBB", 0, 0x08, array.ndim)
    dims = struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as file:
        file.write(magic + dims + array.astype(np.uint8).tobytes())


def write_fashion_mnist(folder: Path, count: int = 120) -> Path:
    """Fashion-MNIST is four gzipped IDX files in one folder; `data.path` names the folder."""
    rng = np.random.default_rng(4)
    target = folder / "fashion_mnist"
    target.mkdir(exist_ok=True)
    y_train, y_test = np.arange(count) % 10, np.arange(count // 4) % 10
    _idx(target / "train-labels-idx1-ubyte.gz", y_train)
    _idx(target / "train-images-idx3-ubyte.gz", _digit_images(rng, y_train))
    _idx(target / "t10k-labels-idx1-ubyte.gz", y_test)
    _idx(target / "t10k-images-idx3-ubyte.gz", _digit_images(rng, y_test))
    return target


def write_cifar10(folder: Path, count: int = 20) -> Path:
    """CIFAR-10 as Keras extracts it: cifar-10-batches-py/ with five training batches and a
    test batch, each a pickled dict of bytes keys (`data`: rows of 3x32x32 uint8 pixels)."""
    import pickle

    rng = np.random.default_rng(5)
    target = folder / "cifar-10-batches-py"
    target.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for index, name in enumerate(names):
        batch = {
            b"data": rng.integers(0, 256, size=(count, 3 * 32 * 32), dtype=np.uint8),
            b"labels": [int(label) for label in (np.arange(count) + index) % 10],
        }
        with open(target / name, "wb") as file:
            pickle.dump(batch, file)
    return target


JENA_COLUMNS = (
    "p (mbar)",
    "T (degC)",
    "Tpot (K)",
    "Tdew (degC)",
    "rh (%)",
    "VPmax (mbar)",
    "VPact (mbar)",
    "VPdef (mbar)",
    "sh (g/kg)",
    "H2OC (mmol/mol)",
    "rho (g/m**3)",
    "wv (m/s)",
    "max. wv (m/s)",
    "wd (deg)",
)


def write_jena_climate(folder: Path, rows: int = 2016) -> Path:
    """jena_climate_2009_2016.csv as the archive holds it: a quoted header ("Date Time" and 14
    measurements), then one row every 10 minutes from 01.01.2009 00:10:00, times written
    dd.mm.yyyy HH:MM:SS. Two weeks by default: enough for DLwP's 858-row windows to leave
    training, validation and test windows. The temperature follows a daily cycle."""
    rng = np.random.default_rng(6)
    minutes = 10 * np.arange(1, rows + 1)
    start = np.datetime64("2009-01-01T00:00")
    times = start + minutes.astype("timedelta64[m]")
    day = 2 * np.pi * minutes / (24 * 60)
    temperature = -2 + 4 * np.sin(day - np.pi / 2) + rng.normal(0, 0.3, rows).cumsum() / 10
    columns = rng.normal(size=(rows, len(JENA_COLUMNS))) + np.arange(len(JENA_COLUMNS)) * 10
    columns[:, 0] = 996 + rng.normal(0, 0.5, rows).cumsum() / 5
    columns[:, 1] = temperature
    columns[:, 2] = temperature + 273.15 + 0.1 * columns[:, 0] / 1000
    lines = [",".join(['"Date Time"', *(f'"{name}"' for name in JENA_COLUMNS)])]
    for time, values in zip(times, columns, strict=True):
        stamp = time.astype(object).strftime("%d.%m.%Y %H:%M:%S")
        lines.append(",".join([stamp, *(f"{value:.2f}" for value in values)]))
    path = folder / "jena_climate_2009_2016.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_oxford_pets(folder: Path, count: int = 8) -> Path:
    """Oxford-IIIT Pets as its two archives unpack: images/<Breed>_<n>.jpg (RGB, sizes vary)
    and annotations/trimaps/<Breed>_<n>.png (8-bit grayscale: 1 pet, 2 background, 3 the
    outline between them), plus the stray files the real archives hold (a .mat among the
    images, macOS "._" copies among the trimaps). The pet is a bright ellipse."""
    from PIL import Image

    rng = np.random.default_rng(7)
    root = folder / "oxford_pets"
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "annotations" / "trimaps").mkdir(parents=True, exist_ok=True)
    for index in range(count):
        height, width = int(rng.integers(40, 64)), int(rng.integers(40, 64))
        rows, columns = np.mgrid[:height, :width]
        down, across = (rows - height / 2) / (height / 3), (columns - width / 2) / (width / 3)
        distance = down**2 + across**2
        trimap = np.where(distance < 0.8, 1, np.where(distance < 1.2, 3, 2)).astype(np.uint8)
        pixels = rng.integers(0, 80, (height, width, 3))
        pixels[trimap == 1] += np.array([150, 120, 60])
        name = f"{'Abyssinian' if index % 2 else 'beagle'}_{index + 1}"
        Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(root / "images" / f"{name}.jpg")
        Image.fromarray(trimap, "L").save(root / "annotations" / "trimaps" / f"{name}.png")
    (root / "images" / "Abyssinian_100.mat").write_bytes(b"MATLAB 5.0")
    (root / "annotations" / "trimaps" / "._beagle_1.png").write_bytes(b"\x00\x05\x16\x07")
    return root


def write_spa_eng(folder: Path, count: int = 60) -> Path:
    """spa.txt as manythings.org's Anki export writes it (keras.io's copy has the first two
    columns): English<TAB>Spanish<TAB>attribution, one pair a line, some English sentences
    twice with another translation."""
    things = [("cat", "gato"), ("dog", "perro"), ("book", "libro"), ("car", "coche")]
    lines = []
    for index in range(count):
        english, spanish = things[index % len(things)]
        number = index // len(things) + 1
        lines.append(f"I have {number} {english}s.\tTengo {number} {spanish}s.\tCC-BY 2.0 #{index}")
        if index % 7 == 0:
            lines.append(f"I have {number} {english}s.\t¡Tengo {number} {spanish}s!\tCC-BY 2.0")
    path = folder / "spa.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


WRITERS = {
    "spa_eng": write_spa_eng,
    "imdb": write_imdb,
    "imdb_sequences": write_imdb,  # the same imdb.npz, read as padded word sequences
    "jena_climate": write_jena_climate,
    "reuters": write_reuters,
    "boston_housing": write_boston_housing,
    "cifar10": write_cifar10,
    "mnist": write_mnist,
    "fashion_mnist": write_fashion_mnist,
    "oxford_pets": write_oxford_pets,
}


def write(dataset: str, folder: Path) -> Path:
    return WRITERS[dataset](folder)
