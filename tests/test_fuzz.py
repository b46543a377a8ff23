"""Fuzzing the new paths (issue 29): whatever folder, text, CSV header, series or prediction
input a user brings, the answer is a result or one clean line (a `UserError`, which the CLI
prints as `error: ...` with exit 2), never a traceback; what is indexed trains (every file the
folder check passes decodes in the pipeline, every model saves and loads), and nothing is
written outside the run folder or `--output`.

The fast part draws few examples on tiny inputs (about 20 s on 2 cores); a `slow` test draws
more folders. Prediction inputs to runs of every kind, and the commands through the CLI
(where the exit code itself is checked), are in tests/test_fuzz_runs.py.
"""

from __future__ import annotations

import contextlib
import io
import os
import string
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from common.config import load_config
from common.data import catalogue
from common.errors import UserError
from tests import odd_files
from tests.conftest import answers_cleanly

FEW = settings(
    deadline=None,
    max_examples=12,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MORE = settings(FEW, max_examples=60)


def files_under(*roots: Path) -> dict[str, tuple[int, int]]:
    """Every file below `roots` with its size and modification time: what a command wrote."""
    found = {}
    for root in roots:
        for here, _, names in os.walk(root):
            for name in names:
                path = os.path.join(here, name)
                with contextlib.suppress(OSError):
                    stat = os.lstat(path)
                    found[path] = (stat.st_size, stat.st_mtime_ns)
    return found


def written(before: dict, after: dict) -> set[str]:
    return {path for path, stamp in after.items() if before.get(path) != stamp}


# --------------------------------------------------------------------------------------------
# Folders: images of every size, format and state, text in any bytes, links in and out
# --------------------------------------------------------------------------------------------


def write_image(path: Path, kind: str, size: tuple[int, int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "junk":
        path.write_bytes(rng.integers(0, 256, 40, dtype=np.uint8).tobytes())
    elif kind == "corrupt":
        odd_files.corrupt_jpeg(path)
    elif kind == "cut":
        path.write_bytes(odd_files.jpeg_bytes(16, seed)[:200])
    else:
        mode = {"png-l": "L", "png-la": "LA", "png-rgba": "RGBA"}.get(kind, "RGB")
        channels = {"L": 1, "LA": 2, "RGBA": 4}.get(mode, 3)
        pixels = rng.integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
        picture = Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode=mode)
        picture.save(path, format={"gif": "GIF", "bmp": "BMP", "jpg": "JPEG"}.get(kind, "PNG"))


SUFFIX = {"jpg": ".jpg", "gif": ".gif", "bmp": ".bmp", "corrupt": ".jpg", "cut": ".jpeg"}
IMAGE_KINDS = ["png", "png", "png-l", "png-la", "png-rgba", "jpg", "gif", "bmp"]
BAD_KINDS = ["empty", "junk", "corrupt", "cut"]


@st.composite
def image_trees(draw) -> list[tuple[str, str, tuple[int, int]]]:
    """(relative path, kind, size) per file: two or three classes, nested and hidden folders,
    odd names, mostly good images of 1-12 pixels a side in every format and mode, sometimes a
    bad one (empty, junk, a corrupt body, cut short)."""
    classes = draw(
        st.lists(
            st.sampled_from(["cat", "dog", "a b", "é", "0"]), min_size=2, max_size=3, unique=True
        )
    )
    files = []
    for label in classes:
        for index in range(draw(st.integers(3, 5))):
            kind = draw(st.sampled_from(IMAGE_KINDS * 4 + BAD_KINDS))
            size = (draw(st.integers(1, 12)), draw(st.integers(1, 12)))
            sub = draw(st.sampled_from(["", "", "nested/", ".hidden/"]))
            files.append((f"{label}/{sub}{index}{SUFFIX.get(kind, '.png')}", kind, size))
    return files


def _build(root: Path, tree, links: list[str]) -> None:
    for seed, (relative, kind, size) in enumerate(tree):
        path = root / "data" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        write_image(path, kind, size, seed)
    outside = root / "outside"
    outside.mkdir(exist_ok=True)
    write_image(outside / "far.png", "png", (5, 5), 99)
    classes = sorted(p for p in (root / "data").iterdir() if p.is_dir())
    for index, link in enumerate(links):
        here = classes[index % len(classes)]
        if link == "file-out":
            (here / f"far{index}.png").symlink_to(outside / "far.png")
        elif link == "dir-out":
            (here / f"far{index}").symlink_to(outside, target_is_directory=True)
        elif link == "loop":
            (here / f"loop{index}").symlink_to(root / "data", target_is_directory=True)
        elif link == "dangling":
            (here / f"gone{index}.png").symlink_to(root / "nothing.png")


@FEW
@given(
    tree=image_trees(),
    links=st.lists(st.sampled_from(["file-out", "dir-out", "loop", "dangling"]), max_size=3),
    mode=st.sampled_from(["rgb", "grayscale", "rgba"]),
    size=st.sampled_from([None, None, [8, 8], [3, 40]]),
)
def test_any_image_folder_is_indexed_or_named_and_what_is_indexed_decodes(tree, links, mode, size):
    """The property behind issue 29's corrupt JPEG: a folder either loads (and then every
    file of every split decodes in the training pipeline) or is refused in one line."""
    from common.data.pipeline import make_dataset

    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        _build(root, tree, links)
        overrides = [
            "data.dataset=image_folder",
            f"data.path={root / 'data'}",
            f"data.color_mode={mode}",
            "data.test_split=0.5",  # a few images a class: both splits get every class
        ] + ([f"data.image_size={size}"] if size else [])
        loaded = []

        def load():
            config = load_config("convnet", overrides)
            loaded.append(catalogue.load(config.data, config.split_seed, stratify=True))

        with contextlib.redirect_stdout(io.StringIO()):
            answers_cleanly(load)
        for data in loaded:
            for files in (data.x_train, data.x_test):
                for (batch,) in make_dataset(files, None, 64).as_numpy_iterator():
                    assert batch.shape[1:] == files.shape[1:] and np.isfinite(batch).all()
                assert min(files.image_size) >= 8


@FEW
@given(
    texts=st.lists(st.binary(max_size=60), min_size=2, max_size=8),
    extra=st.sampled_from([b"", "caf\u00e9".encode("latin-1"), b"\xff\xfe\x00a", b"\x80"]),
)
def test_any_bytes_in_a_text_folder_become_a_vocabulary_that_saves(texts, extra):
    """Any bytes a .txt file holds are read as UTF-8 text (undecodable bytes as U+FFFD), so
    the vocabulary adapted on them saves and loads, as best.keras must."""
    import keras

    from common.modeling.preprocessing import text_input

    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        for index, data in enumerate([*texts, extra, b"good words here", b"more good words"]):
            folder = root / ("pos" if index % 2 else "neg")
            folder.mkdir(exist_ok=True)
            (folder / f"{index}.txt").write_bytes(data)
        config = load_config(
            "binary", ["data.dataset=text_folder", f"data.path={root}", "data.test_split=0.3"]
        )
        with contextlib.redirect_stdout(io.StringIO()):
            data = catalogue.load(config.data, config.split_seed, stratify=False)
        inputs, x = text_input(data.x_train, 100)
        model = keras.Model(inputs, keras.layers.Dense(1)(x))
        model.save(root / "model.keras")
        loaded = keras.saving.load_model(root / "model.keras", safe_mode=True)
        assert loaded.get_layer("vectorize").get_vocabulary()


# --------------------------------------------------------------------------------------------
# CSV headers and values: any names become a model that saves, loads and predicts by them
# --------------------------------------------------------------------------------------------

header_names = st.text(
    alphabet=st.sampled_from(list(string.ascii_letters + string.digits + " _-/.°éü日$()[]")),
    min_size=0,
    max_size=12,
)
cells = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.3f}"),
    st.sampled_from(["", "x", "[UNK]", "a b", "é", "1", "2"]),
)


@FEW
@given(
    names=st.lists(header_names, min_size=1, max_size=5, unique=True),
    columns=st.data(),
)
def test_any_header_trains_a_table_model_that_saves_and_predicts_by_the_users_names(names, columns):
    import csv
    import warnings

    import keras

    from common.data import model_rows
    from common.modeling import preprocessing
    from common.serving.inputs import input_columns

    names = [n.strip() for n in names]
    if "y" in names or len(set(names)) < len(names) or "" in names:
        names = [f"{n} {i}" for i, n in enumerate(names)]
    rows = [[columns.draw(cells) for _ in names] + [str(i % 2)] for i in range(12)]
    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / "table.csv"
        with open(path, "w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows([[*names, "y"], *rows])
        loaded = []

        def load():
            config = load_config(
                "binary", ["data.dataset=csv", f"data.path={path}", "data.target=y"]
            )
            loaded.append(catalogue.load(config.data, config.split_seed, stratify=True))

        with contextlib.redirect_stdout(io.StringIO()):
            answers_cleanly(load)
        if not loaded:
            return
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            inputs, x = preprocessing.table_input(loaded[0].x_train)
            model = keras.Model(inputs, keras.layers.Dense(1, name="dense_1")(x))
            model.save(Path(name) / "model.keras")
            model = keras.saving.load_model(Path(name) / "model.keras", safe_mode=True)
            with contextlib.redirect_stderr(io.StringIO()):
                given, count = model_rows.rows_for_model(path, input_columns(model), "y")
            outputs = model.predict_on_batch(given)
        assert not [w for w in caught if "name" in str(w.message)], [str(w.message) for w in caught]
        assert outputs.shape == (count, 1)
        assert set(input_columns(model)) == set(loaded[0].x_train.columns)


# --------------------------------------------------------------------------------------------
# Series: repeated, unsorted, constant, gappy or wordy times and values
# --------------------------------------------------------------------------------------------


@MORE
@given(
    steps=st.lists(st.sampled_from([1, 1, 1, 1, 0, 2, -1]), min_size=5, max_size=40),
    values=st.lists(
        st.sampled_from(["1", "2.5", "-3", "5", "", "x", "inf"]), min_size=40, max_size=40
    ),
    constant=st.booleans(),
    length=st.integers(2, 6),
)
def test_any_small_series_loads_or_is_named(steps, values, constant, length):
    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / "series.csv"
        day = np.datetime64("2020-01-01") + np.cumsum([0, *steps])
        lines = ["date,value"] + [
            f"{d},{'5' if constant else values[i]}" for i, d in enumerate(day)
        ]
        path.write_text("\n".join(lines) + "\n")
        config = load_config(
            "rnn",
            [
                "data.dataset=timeseries_csv",
                f"data.path={path}",
                "data.target=value",
                f"data.sequence_length={length}",
            ],
        )
        with contextlib.redirect_stdout(io.StringIO()):
            answers_cleanly(lambda: catalogue.load(config.data, config.split_seed, False))


@pytest.mark.slow
@MORE
@given(tree=image_trees(), links=st.lists(st.sampled_from(["file-out", "loop"]), max_size=2))
def test_more_image_folders_index_or_are_named(tree, links):
    with tempfile.TemporaryDirectory() as name:
        _build(Path(name), tree, links)
        config = load_config(
            "convnet", ["data.dataset=image_folder", f"data.path={Path(name) / 'data'}"]
        )
        with contextlib.redirect_stdout(io.StringIO()):
            answers_cleanly(lambda: catalogue.load(config.data, config.split_seed, True))


def test_a_user_error_is_what_the_fuzzing_accepts():
    """The property's own check: anything but a one-line UserError fails it."""
    with pytest.raises(AssertionError):
        answers_cleanly(lambda: (_ for _ in ()).throw(UserError("two\nlines")))
