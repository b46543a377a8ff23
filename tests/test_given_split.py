"""`data.test_path` / `data.validation_path`: a CSV's own split, used as it comes."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from common.config import load_config
from common.data import catalogue, splits
from common.errors import ConfigError
from tests.conftest import cookbook


def breast_cancer_parts(folder):
    """(the table, its paths): breast cancer as train (400), test (100) and validation (69)
    CSVs, the target as class names."""
    table = load_breast_cancer(as_frame=True).frame
    table.columns = [c.replace(" ", "_") for c in table.columns]
    table["target"] = table["target"].map({0: "malignant", 1: "benign"})
    paths = {}
    for name, rows in (
        ("train", slice(0, 400)),
        ("test", slice(400, 500)),
        ("val", slice(500, None)),
    ):
        paths[name] = folder / f"{name}.csv"
        table.iloc[rows].to_csv(paths[name], index=False)
    return table, paths


@pytest.fixture
def files(tmp_path):
    return breast_cancer_parts(tmp_path)


def config(paths, *extra):
    return load_config(
        "binary",
        [
            "data.dataset=csv",
            f"data.path={paths['train']}",
            "data.target=target",
            f"data.test_path={paths['test']}",
            "data.validation_split=0.2",
            *extra,
        ],
    )


def test_the_given_test_file_is_the_test_split(files):
    table, paths = files
    cfg = config(files[1])
    dataset = catalogue.load(cfg.data, cfg.seed, stratify=True)
    assert len(dataset.y_test) == 100 and len(dataset.y_train) == 400
    expected = table.iloc[400:500]["mean_radius"].to_numpy(dtype="float32")
    assert (dataset.x_test["mean_radius"].to_numpy() == expected).all()  # as it comes, in order
    split = splits.holdout(dataset, cfg.data, cfg.split_seed, stratify=True)
    assert len(split.y_train) + len(split.y_val) == 400  # validation carved from training only

    with_validation = config(paths, f"data.validation_path={paths['val']}")
    dataset = catalogue.load(with_validation.data, with_validation.seed, stratify=True)
    assert (len(dataset.y_train), len(dataset.y_val), len(dataset.y_test)) == (400, 69, 100)
    assert dataset.class_names == ["benign", "malignant"]


def test_a_test_file_with_other_columns_or_classes_is_refused(files, tmp_path, capsys):
    table, paths = files
    table.iloc[400:500].drop(columns="mean_radius").to_csv(tmp_path / "short.csv", index=False)
    cfg = config({**paths, "test": tmp_path / "short.csv"})
    with pytest.raises(ConfigError, match="data.test_path.*lacks 'mean_radius'"):
        catalogue.load(cfg.data, cfg.seed, stratify=True)
    other = table.iloc[400:500].copy()
    other.loc[other.index[0], "target"] = "unknown"
    other.to_csv(tmp_path / "other.csv", index=False)
    cfg = config({**paths, "test": tmp_path / "other.csv"})
    with pytest.raises(ConfigError, match="classes the training file has no example of: 'unknown'"):
        catalogue.load(cfg.data, cfg.seed, stratify=True)
    pd.concat([table.iloc[390:400], table.iloc[400:500]]).to_csv(
        tmp_path / "leaky.csv", index=False
    )
    cfg = config({**paths, "test": tmp_path / "leaky.csv"})
    catalogue.load(cfg.data, cfg.seed, stratify=True)
    assert "note: 10 rows of" in capsys.readouterr().out


def test_validation_path_alone_is_refused_at_once(files):
    _, paths = files
    result = cookbook(
        "train",
        "binary",
        "data.dataset=csv",
        f"data.path={paths['train']}",
        "data.target=target",
        f"data.validation_path={paths['val']}",
    )
    assert result.returncode == 2 and "data.validation_path" in result.stderr
    assert "goes with data.test_path" in result.stderr


def test_ids_name_the_test_rows_and_do_not_hide_a_leak(files, tmp_path, capsys):
    """A competition's id column is no input; it comes back with each test row's prediction
    (`Dataset.test_ids`, test_predictions.csv), and rows copied from training under new ids
    are still noted as seen."""
    table, paths = files
    with_ids = table.copy()
    with_ids.insert(0, "id", [f"r{k:04d}" for k in range(len(table))])
    with_ids.iloc[:400].to_csv(tmp_path / "train.csv", index=False)
    leaky = pd.concat([with_ids.iloc[390:400], with_ids.iloc[400:500]])
    leaky["id"] = [f"t{k}" for k in range(len(leaky))]  # new ids for copied rows
    leaky.to_csv(tmp_path / "test.csv", index=False)
    cfg = config({"train": tmp_path / "train.csv", "test": tmp_path / "test.csv"})
    dataset = catalogue.load(cfg.data, cfg.seed, stratify=True)
    assert "id" not in dataset.x_train.columns
    assert dataset.test_ids["id"].tolist() == leaky["id"].tolist()
    assert "note: 10 rows of" in capsys.readouterr().out

    numbered = {"train": tmp_path / "train_0.csv", "test": tmp_path / "test_0.csv"}
    with_ids.iloc[:400].assign(id=range(400)).to_csv(numbered["train"], index=False)
    with_ids.iloc[400:500].assign(id=range(100)).to_csv(numbered["test"], index=False)
    restarted = config(numbered)  # each file numbers its rows from 0
    dataset = catalogue.load(restarted.data, restarted.seed, stratify=True)
    assert "id" not in dataset.x_train.columns
    assert dataset.test_ids["id"].tolist() == [str(k) for k in range(100)]

    one_file = load_config(
        "binary", ["data.dataset=csv", f"data.path={tmp_path / 'train.csv'}", "data.target=target"]
    )
    dataset = catalogue.load(one_file.data, one_file.split_seed, stratify=True)
    ids = dataset.test_ids["id"]
    assert len(ids) == len(dataset.y_test) == 80 and ids.is_unique
    expected = with_ids.set_index("id").loc[ids, "mean_radius"].to_numpy("float32")
    assert (dataset.x_test["mean_radius"].to_numpy() == expected).all()  # the rows they name
