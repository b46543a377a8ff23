"""No recipe to know: `cookbook train data.path=… data.target=…` picks the recipe from the data
(`common.data.recipe_choice`), says which and why, and the run's config.yaml records it."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from common.cli import main
from common.cli.train import pick_recipe
from common.config import load_config
from common.data.recipe_choice import choose
from common.errors import ConfigError, UserError
from tests import odd_files, user_files

SPECIES = ["setosa", "versicolor", "virginica"]


def table(path: Path, target: str, values, rows: int = 60, **columns) -> Path:
    """A CSV of two numeric columns (and `columns`), and `target` cycling through `values`."""
    rng = np.random.default_rng(0)
    lines = [",".join(["width", "height", *columns, target])]
    for row in range(rows):
        extra = [str(column[row % len(column)]) for column in columns.values()]
        cells = [f"{rng.normal():.4f}", f"{rng.normal():.4f}", *extra]
        lines.append(",".join([*cells, str(values(row, rng))]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def species(row, rng):
    return SPECIES[row % 3]


def series(path: Path, rows: int = 80) -> Path:
    values = np.sin(np.arange(rows) / 4.0) * 10 + 20
    return odd_files.series_csv(path, [f"{value:.3f}" for value in values])


def text_folder(root: Path, classes: list[str], per_class: int = 8) -> Path:
    for name in classes:
        (root / name).mkdir(parents=True)
        for index in range(per_class):
            words = " ".join([name, "word", str(index)] * 4)
            (root / name / f"{index}.txt").write_text(words, encoding="utf-8")
    return root


def picked(*overrides: str):
    choice = choose(list(overrides))
    return choice.recipe, choice.overrides, choice.note()


# --------------------------------------------------------------------------------------------
# Tables: the target's type picks the recipe
# --------------------------------------------------------------------------------------------


def test_a_text_target_of_three_classes_is_multiclass(tmp_path):
    path = table(tmp_path / "flowers.csv", "species", species)
    recipe, overrides, note = picked(f"data.path={path}", "data.target=species")
    assert (recipe, overrides) == ("multiclass", ["data.dataset=csv"])
    assert note == (
        "note: recipe multiclass: target 'species' has 3 classes (setosa, versicolor, virginica)"
    )


@pytest.mark.parametrize(
    "values",
    [
        lambda row, rng: ["benign", "malignant"][row % 2],
        lambda row, rng: row % 2,  # two whole numbers
        lambda row, rng: [0.5, 1.5][row % 2],  # two values of any kind
    ],
)
def test_a_two_valued_target_is_binary(tmp_path, values):
    path = table(tmp_path / "rows.csv", "label", values)
    recipe, overrides, note = picked(f"data.path={path}", "data.target=label")
    assert (recipe, overrides) == ("binary", ["data.dataset=csv"])
    assert "has 2 classes" in note


def test_few_whole_numbers_are_classes_and_many_are_numbers(tmp_path):
    grades = table(tmp_path / "grades.csv", "grade", lambda row, rng: row % 4 + 1)
    recipe, _, note = picked(f"data.path={grades}", "data.target=grade")
    assert recipe == "multiclass" and "4 classes (1, 2, 3, 4)" in note
    assert "whole numbers with ≤ 10 values are classes" in note
    ages = table(tmp_path / "ages.csv", "age", lambda row, rng: 20 + row % 11)  # 11 values
    assert picked(f"data.path={ages}", "data.target=age")[0] == "regression"
    # 8 rows of 4 whole numbers: 2 rows a class on average is the least a class may have...
    few = table(tmp_path / "few.csv", "n", lambda row, rng: row % 4, rows=8)
    assert picked(f"data.path={few}", "data.target=n")[0] == "multiclass"
    # ...and 6 rows of 4 values are amounts, not classes.
    fewer = table(tmp_path / "fewer.csv", "n", lambda row, rng: row % 4, rows=6)
    assert picked(f"data.path={fewer}", "data.target=n")[0] == "regression"


def test_a_numeric_target_is_regression(tmp_path):
    path = table(tmp_path / "prices.csv", "price", lambda row, rng: f"{100 + 9 * rng.random():.2f}")
    recipe, overrides, note = picked(f"data.path={path}", "data.target=price")
    assert (recipe, overrides) == ("regression", ["data.dataset=csv"])
    assert "target 'price' holds numbers (60 values" in note


def test_a_dated_table_with_a_class_target_stays_a_table(tmp_path):
    days = [f"2020-01-{day:02d}" for day in range(1, 29)]
    path = table(tmp_path / "visits.csv", "species", species, date=days)
    assert picked(f"data.path={path}", "data.target=species")[0] == "multiclass"


# --------------------------------------------------------------------------------------------
# Series: a time column in order, numbers in every other column
# --------------------------------------------------------------------------------------------


def test_a_series_csv_is_forecast_by_rnn(tmp_path):
    path = series(tmp_path / "sales.csv")
    recipe, overrides, note = picked(f"data.path={path}", "data.target=value")
    assert recipe == "rnn"
    assert overrides == ["data.dataset=timeseries_csv", 'data.time_column="date"']
    assert "is a series: times in 'date', in order, and 'value' to forecast" in note


def test_a_series_of_one_numeric_column_needs_no_target(tmp_path):
    path = tmp_path / "airline.csv"
    path.write_text("month,passengers\n" + "".join(
        f"19{49 + i // 12}-{i % 12 + 1:02d},{100 + i}\n" for i in range(48)
    ), encoding="utf-8")  # fmt: skip
    recipe, overrides, _ = picked(f"data.path={path}")
    assert recipe == "rnn" and 'data.target="passengers"' in overrides
    two = series(tmp_path / "two.csv")  # value and other: which one to forecast?
    with pytest.raises(ConfigError) as error:
        choose([f"data.path={two}"])
    assert error.value.key == "data.target" and "value, other" in str(error.value)


def test_dates_out_of_order_or_text_columns_make_no_series(tmp_path):
    path = series(tmp_path / "sales.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    backwards = tmp_path / "backwards.csv"
    backwards.write_text("\n".join([lines[0], *lines[:0:-1]]) + "\n", encoding="utf-8")
    recipe, _, note = picked(f"data.path={backwards}", "data.target=value")
    assert recipe == "regression" and "rows out of time order" in note
    days = [f"2020-01-{day:02d}" for day in range(1, 29)]
    shops = table(tmp_path / "shops.csv", "sales", lambda r, g: r * 1.5, date=days, shop="ab")
    recipe, _, note = picked(f"data.path={shops}", "data.target=sales")
    assert recipe == "regression" and "text columns: shop" in note


def test_a_given_dataset_wins(tmp_path):
    path = series(tmp_path / "sales.csv")
    recipe, overrides, _ = picked(f"data.path={path}", "data.target=value", "data.dataset=csv")
    assert (recipe, overrides) == ("regression", [])


# --------------------------------------------------------------------------------------------
# Folders and arrays
# --------------------------------------------------------------------------------------------


def test_class_folders_of_images_are_convnet(tmp_path):
    root = odd_files.image_folder(tmp_path / "digits")
    recipe, overrides, note = picked(f"data.path={root}")
    assert (recipe, overrides) == ("convnet", ["data.dataset=image_folder"])
    assert "an image folder, 2 class folders (0, 1)" in note
    for split in ("train", "test"):  # the splits as given: their class folders count
        odd_files.image_folder(tmp_path / "given" / split, per_class=3)
    assert picked(f"data.path={tmp_path / 'given'}")[0] == "convnet"


def test_class_folders_of_texts_are_the_text_models(tmp_path):
    two = text_folder(tmp_path / "reviews", ["neg", "pos"])
    assert picked(f"data.path={two}")[:2] == ("binary", ["data.dataset=text_folder"])
    three = text_folder(tmp_path / "topics", ["art", "science", "sport"])
    recipe, overrides, _ = picked(f"data.path={three}")
    assert recipe == "multiclass" and "data.dataset=text_folder" in overrides


def test_an_npz_is_typed_by_its_targets(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "flat.npz", x=rng.normal(size=(40, 5)), y=np.arange(40) % 3)
    np.savez(tmp_path / "images.npz", x=rng.random((40, 8, 8, 1)), y=np.arange(40) % 2)
    np.savez(tmp_path / "values.npz", x=rng.normal(size=(40, 5)), y=rng.normal(size=40))
    assert picked(f"data.path={tmp_path / 'flat.npz'}")[:2] == ("multiclass", ["data.dataset=npz"])
    assert picked(f"data.path={tmp_path / 'images.npz'}")[0] == "convnet"
    assert picked(f"data.path={tmp_path / 'values.npz'}")[0] == "regression"


# --------------------------------------------------------------------------------------------
# What the data cannot tell: one line naming the key
# --------------------------------------------------------------------------------------------


def test_what_the_data_cannot_tell_names_the_key(tmp_path):
    flowers = table(tmp_path / "flowers.csv", "species", species)
    ids = table(tmp_path / "ids.csv", "user", lambda row, rng: f"u{row}")
    mixed = text_folder(tmp_path / "mixed", ["a", "b"])
    (mixed / "a" / "photo.jpg").write_bytes(odd_files.jpeg_bytes())
    cases = [
        (["trainer.epochs=1"], "data.path"),
        ([f"data.path={flowers}"], "data.target"),
        ([f"data.path={flowers}", "data.target=specis"], "data.target"),
        ([f"data.path={ids}", "data.target=user"], "data.target"),
        ([f"data.path={mixed}"], "data.dataset"),
        ([f"data.path={tmp_path / 'nowhere.csv'}"], "data.path"),
        ([f"data.path={flowers}", "data.dataset=iris"], "data.dataset"),
    ]
    for overrides, key in cases:
        with pytest.raises(ConfigError) as error:
            choose(overrides)
        assert error.value.key == key, (overrides, str(error.value))
        assert "\n" not in str(error.value)


def test_the_cli_takes_the_first_override_for_no_recipe_and_loads_the_choice(tmp_path, capsys):
    path = table(tmp_path / "flowers.csv", "species", species)
    args = argparse.Namespace(target=f"data.path={path}", overrides=["data.target=species"])
    pick_recipe(args)
    assert "note: recipe multiclass:" in capsys.readouterr().out
    config = load_config(args.target, args.overrides)
    assert (config.recipe, config.data.dataset, config.data.target) == (
        "multiclass",
        "csv",
        "species",
    )
    with pytest.raises(UserError, match="name a recipe or config"):
        pick_recipe(argparse.Namespace(target=None, overrides=[]))


def test_the_choice_and_its_errors_import_no_tensorflow(tmp_path):
    flowers = table(tmp_path / "flowers.csv", "species", species)
    sales = series(tmp_path / "sales.csv")
    code = (
        "import sys\n"
        "from common.cli import main\n"
        "from common.data.recipe_choice import choose\n"
        f"assert choose(['data.path={sales}', 'data.target=value']).recipe == 'rnn'\n"
        f"assert main(['train', 'data.path={flowers}']) == 2\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "error: data.target: set the column" in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------------------------
# Real runs through the CLI: config.yaml names the recipe
# --------------------------------------------------------------------------------------------

TINY_RUN = ["trainer.epochs=1", "trainer.verbose=0", "trainer.reference=false"]


def trained(tmp_path: Path, capsys, *overrides: str) -> tuple[dict, str]:
    code = main(["train", *overrides, *TINY_RUN, f"output.dir={tmp_path / 'runs'}"])
    out = capsys.readouterr().out
    assert code == 0, out
    runs = (tmp_path / "runs").glob("*/*/config.yaml")
    (config_file,) = [path for path in runs if not path.parent.is_symlink()]  # not latest/
    return yaml.safe_load(config_file.read_text(encoding="utf-8")), out


def test_a_table_trains_without_a_recipe(tmp_path, capsys):
    path = user_files.messy_breast_cancer(tmp_path / "patients.csv")
    config, out = trained(tmp_path, capsys, f"data.path={path}", "data.target=diagnosis")
    assert "note: recipe binary: target 'diagnosis' has 2 classes (benign, malignant)" in out
    assert config["recipe"] == "binary" and config["data"]["dataset"] == "csv"


@pytest.mark.slow
def test_a_series_trains_without_a_recipe(tmp_path, capsys):
    path = series(tmp_path / "sales.csv", rows=120)
    config, out = trained(tmp_path, capsys, f"data.path={path}", "data.target=value")
    assert "note: recipe rnn:" in out
    assert config["recipe"] == "rnn" and config["data"]["dataset"] == "timeseries_csv"
    assert config["data"]["time_column"] == "date"


@pytest.mark.slow
def test_an_image_folder_trains_without_a_recipe(tmp_path, capsys):
    root = odd_files.image_folder(tmp_path / "digits")
    config, out = trained(tmp_path, capsys, f"data.path={root}")
    assert "note: recipe convnet:" in out
    assert config["recipe"] == "convnet" and config["data"]["dataset"] == "image_folder"
