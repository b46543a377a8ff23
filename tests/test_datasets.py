"""Data sources and splits. Keras-format files are written here, small, in the same format as
the files keras.datasets downloads, and read back through `data.path` — no network."""

from __future__ import annotations

import numpy as np
import pytest

from common.config import load_config
from common.data import sources, splits
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
    data = sources.load(config.data, config.seed, stratify=True)
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
    data = sources.load(config.data, config.seed, stratify=True)
    rows = {tuple(np.flatnonzero(row)) for row in data.x_train}
    assert rows == {(1, 4, 8), (1, 10)}  # start_char 1, then word + 3
    assert tuple(np.flatnonzero(data.x_test[0])) == (1, 5)


def test_reuters_format_splits_like_keras(reuters_file):
    config = load_config("multiclass-reuters", [f"data.path={reuters_file}", "data.num_words=100"])
    data = sources.load(config.data, config.seed, stratify=True)
    assert len(data.x_train) == 40 and len(data.x_test) == 10  # test_split=0.2, as Keras
    assert data.x_train.shape[1] == 100
    assert data.num_classes == 5


def test_boston_format(boston_file):
    config = load_config("regression-boston", [f"data.path={boston_file}"])
    data = sources.load(config.data, config.seed, stratify=False)
    assert data.x_train.shape == (48, 13) and data.x_test.shape == (12, 13)
    assert data.y_train.dtype == np.float32 and data.class_names is None


def test_mnist_format(tmp_path):
    path = keras_files.write_mnist(tmp_path, count=20)
    config = load_config(
        "multiclass", ["data.dataset=mnist", f"data.path={path}", "data.image_layout=image"]
    )
    data = sources.load(config.data, config.seed, stratify=True)
    assert (
        data.x_train.shape == (20, 28, 28, 1)
        and data.x_train.min() >= 0
        and data.x_train.max() <= 1
    )
    assert data.num_classes == 10


def test_csv_with_text_labels(tmp_path):
    path = tmp_path / "flowers.csv"
    rows = ["width,height,species"] + [
        f"{i},{i * 2},{'rose' if i % 2 else 'tulip'}" for i in range(40)
    ]
    path.write_text("\n".join(rows) + "\n")
    config = load_config(
        "multiclass", ["data.dataset=csv", f"data.path={path}", "data.target=species"]
    )
    data = sources.load(config.data, config.seed, stratify=True)
    assert data.class_names == ["rose", "tulip"]
    assert data.x_train.shape[1] == 2 and len(data.x_train) + len(data.x_test) == 40


def test_csv_text_feature_becomes_a_category_and_a_typo_is_named(tmp_path):
    path = tmp_path / "mixed.csv"
    colours = "".join(f"{i}.5,{'red' if i % 3 else 'blue'},{i % 2}\n" for i in range(10))
    path.write_text("a,colour,y\n" + colours)
    config = load_config("binary", ["data.dataset=csv", f"data.path={path}", "data.target=y"])
    data = sources.load(config.data, config.seed, stratify=True)
    assert data.x_train["colour"].dtype.kind != "f" and data.x_train["a"].dtype == "float32"
    rows = "".join(f"{i}.5,red,{i % 2}\n" for i in range(40))
    path.write_text("a,colour,y\n" + rows + "7.O,blue,1\n")  # a letter O, line 42
    with pytest.raises(ConfigError, match=r"line 42: '7.O' in column 'a' is not a number"):
        sources.load(config.data, config.seed, stratify=True)


def test_npz_without_the_expected_arrays(tmp_path):
    path = tmp_path / "odd.npz"
    np.savez(path, features=np.zeros((4, 2)))
    config = load_config("binary", ["data.dataset=npz", f"data.path={path}"])
    with pytest.raises(ConfigError, match="expected x_train"):
        sources.load(config.data, config.seed, stratify=False)


def test_holdout_is_stratified_and_disjoint():
    config = load_config("binary", ["data.validation_split=0.2"])
    data = sources.load(config.data, config.seed, stratify=True)
    split = splits.holdout(data, config.data, config.seed, stratify=True)
    total = len(data.x_train) + len(data.x_test)
    assert len(split.x_val) == pytest.approx(total * config.data.validation_split, abs=2)
    assert abs(split.y_val.mean() - split.y_train.mean()) < 0.03
    train_rows = {row.tobytes() for row in split.x_train}
    assert not any(row.tobytes() in train_rows for row in split.x_val)


def test_kfold_covers_every_example_once_per_repeat():
    config = load_config(
        "regression", ["data.split=iterated_kfold", "data.folds=3", "data.repeats=2"]
    )
    data = sources.load(config.data, config.seed, stratify=False)
    folds = list(splits.kfold(data, config.data, config.seed, stratify=False))
    assert [f.name for f in folds] == [f"fold-{i}" for i in range(1, 7)]
    first_repeat = sum(len(f.x_val) for f in folds[:3])
    assert first_repeat == len(data.x_train)
    assert not np.array_equal(folds[0].y_val, folds[3].y_val)  # reshuffled between repeats


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
        sources.load(config.data, config.seed, stratify=True)
