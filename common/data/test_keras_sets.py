"""The Keras datasets read from `data.path`: small files written by `tests/keras_files.py` in
the formats keras.datasets downloads, read back by the real parsers — offline, no training."""

from __future__ import annotations

import numpy as np
import pytest

from common.config import load_config
from common.data import catalogue
from common.errors import ConfigError
from tests import keras_files
from tests.keras_files import ragged


@pytest.fixture
def imdb_file(tmp_path):
    return keras_files.write_imdb(tmp_path, count=40)


@pytest.fixture
def reuters_file(tmp_path):
    return keras_files.write_reuters(tmp_path, count=50, topics=5)


@pytest.fixture
def boston_file(tmp_path):
    return keras_files.write_boston_housing(tmp_path, count=60)


def test_imdb_format_is_multi_hot_with_keras_offsets(imdb_file):
    config = load_config("binary-imdb", [f"data.path={imdb_file}", "data.num_words=50"])
    data = catalogue.load(config.data, config.seed, stratify=True)
    assert data.x_train.shape == (30, 50) and data.x_test.shape == (10, 50)
    assert set(np.unique(data.x_train)) <= {0, 1}
    assert (data.x_train[:, 1] == 1).all()  # start_char=1 begins every review
    assert data.x_train[:, 2].any()  # oov_char=2: indices + 3 >= 50 were folded into it
    assert data.class_names == ["negative", "positive"]
    assert sorted(np.unique(data.y_train)) == [0, 1]


def test_imdb_word_offsets_match_keras(tmp_path):
    path = tmp_path / "imdb.npz"
    np.savez(
        path,
        x_train=ragged([[1, 5], [7]]),
        y_train=np.array([0, 1]),
        x_test=ragged([[2]]),
        y_test=np.array([1]),
    )
    config = load_config("binary-imdb", [f"data.path={path}", "data.num_words=20"])
    data = catalogue.load(config.data, config.seed, stratify=True)
    rows = {tuple(np.flatnonzero(row)) for row in data.x_train}
    assert rows == {(1, 4, 8), (1, 10)}  # start_char 1, then word + 3
    assert tuple(np.flatnonzero(data.x_test[0])) == (1, 5)


def test_reuters_format_splits_like_keras(reuters_file):
    config = load_config("multiclass-reuters", [f"data.path={reuters_file}", "data.num_words=100"])
    data = catalogue.load(config.data, config.seed, stratify=True)
    assert len(data.x_train) == 40 and len(data.x_test) == 10  # test_split=0.2, as Keras
    assert data.x_train.shape[1] == 100
    assert data.num_classes == 5


def test_boston_format(boston_file):
    config = load_config("regression-boston", [f"data.path={boston_file}"])
    data = catalogue.load(config.data, config.seed, stratify=False)
    assert data.x_train.shape == (48, 13) and data.x_test.shape == (12, 13)
    assert data.y_train.dtype == np.float32 and data.class_names is None


def test_mnist_format(tmp_path):
    path = keras_files.write_mnist(tmp_path, count=20)
    config = load_config(
        "multiclass", ["data.dataset=mnist", f"data.path={path}", "data.image_layout=image"]
    )
    data = catalogue.load(config.data, config.seed, stratify=True)
    assert (
        data.x_train.shape == (20, 28, 28, 1)
        and data.x_train.min() >= 0
        and data.x_train.max() <= 1
    )
    assert data.num_classes == 10


def test_a_file_that_asks_to_unpickle_code_is_refused(tmp_path):
    path = tmp_path / "imdb.npz"
    np.savez(
        path,
        x_train=ragged([[1]]),
        y_train=np.array([0]),
        x_test=np.array([np.int64(3), "x"], dtype=object),
        y_test=np.array([1]),
    )
    config = load_config("binary-imdb", [f"data.path={path}"])
    with pytest.raises(ConfigError, match="Refusing to deserialize"):
        catalogue.load(config.data, config.seed, stratify=True)


def test_a_keras_dataset_file_without_its_arrays_is_named(tmp_path):
    path = tmp_path / "boston.npz"
    np.savez(path, a=np.zeros(3))
    config = load_config("regression", ["data.dataset=boston_housing", f"data.path={path}"])
    with pytest.raises(ConfigError, match=r"lacks the arrays x, y \(it holds a\)"):
        catalogue.load(config.data, config.split_seed, stratify=False)
