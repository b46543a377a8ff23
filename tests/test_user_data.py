"""Real data in, raw data out: a messy CSV, a folder of PNGs and a folder of texts train
through the same recipes, and a finished run predicts raw rows, images and lines of text.
Every file is written here (tests/user_files.py) from data that ships offline."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import numpy as np
import pytest

from common.config import load_config
from common.data import catalogue
from common.errors import ConfigError, UserError
from common.serving.predict import predict
from common.training.driver import train
from tests import odd_files, user_files
from tests.conftest import cookbook, tiny


def predictions(run: str, inputs: list[str]) -> list[dict[str, str]]:
    """`cookbook predict`'s rows, read back from the CSV it writes."""
    with tempfile.TemporaryDirectory() as folder:
        written = Path(folder) / "predictions.csv"
        predict(run, inputs, str(written))
        with written.open(encoding="utf-8") as file:
            return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def messy_csv(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("messy")
    return user_files.messy_breast_cancer(folder / "patients.csv")


def messy_config(messy_csv: Path, output: Path, *overrides: str):
    return load_config(
        "binary",
        [
            "data.dataset=csv",
            f"data.path={messy_csv}",
            "data.target=diagnosis",
            "trainer.verbose=0",
            f"output.dir={output}",
            *overrides,
        ],
    )


@pytest.fixture(scope="module")
def messy_run(messy_csv, tmp_path_factory):
    """`binary` on the messy copy of breast_cancer, 15 epochs (enough to predict well)."""
    return train(messy_config(messy_csv, tmp_path_factory.mktemp("messy"), "trainer.epochs=15"))


@pytest.mark.quality
def test_messy_csv_trains_binary_above_093_and_the_baseline(messy_csv, tmp_path):
    """The issue's bar: `binary` as shipped (default epochs) on the messy table."""
    _, metrics = train(messy_config(messy_csv, tmp_path))
    assert metrics["test"]["accuracy"] >= 0.93
    assert metrics["test"]["accuracy"] > metrics["baseline"]["accuracy"]


def test_a_short_run_on_the_messy_csv_already_beats_the_baseline(messy_run):
    _, metrics = messy_run
    assert metrics["test"]["accuracy"] > 0.9 > metrics["baseline"]["accuracy"]


def test_columns_are_typed_and_gaps_kept_for_the_model(messy_csv):
    config = load_config(
        "binary", ["data.dataset=csv", f"data.path={messy_csv}", "data.target=diagnosis"]
    )
    data = catalogue.load(config.data, config.seed, stratify=True)
    assert data.class_names == ["benign", "malignant"]
    assert data.x_train["clinic"].dtype.kind != "f"
    radius = data.x_train["mean_radius"].to_numpy()
    assert radius.dtype == np.float32 and 0.05 < np.isnan(radius).mean() < 0.15


def test_predict_takes_raw_rows_in_any_column_order_with_gaps(messy_run, messy_csv, tmp_path):
    run_dir, _ = messy_run
    table = messy_csv.read_text().splitlines()
    header = table[0].split(",")
    order = list(reversed(range(len(header))))
    rows = [",".join(line.split(",")[i] for i in order) for line in table[:41]]
    shuffled = tmp_path / "rows.csv"
    shuffled.write_text("\n".join(rows) + "\n")
    rows_out = predictions(str(run_dir), [str(shuffled)])
    assert len(rows_out) == 40
    truth = [line.split(",")[-1] for line in table[1:41]]
    hits = np.mean([row["label"] == want for row, want in zip(rows_out, truth, strict=True)])
    assert hits >= 0.9
    assert {"benign", "malignant"} <= set(rows_out[0])


def test_predict_names_missing_and_unknown_columns(messy_run, tmp_path):
    run_dir, _ = messy_run
    rows = tmp_path / "renamed.csv"
    rows.write_text("mean_radius,radius\n1,2\n")
    with pytest.raises(UserError, match=r"lacks the training columns 'mean_texture'.*'radius'"):
        predict(str(run_dir), [str(rows)])


def test_data_errors_leave_no_run_folder_and_latest_alone(messy_csv, tmp_path):
    table = messy_csv.read_text().splitlines()
    bad = tmp_path / "bad.csv"
    bad.write_text(table[0] + "\n" + "\n".join(table[1:50]).replace("malignant", "benign") + "\n")
    result = cookbook(
        "train",
        "binary",
        "data.dataset=csv",
        f"data.path={messy_csv}",
        "data.target=diagnosys",
        f"output.dir={tmp_path / 'runs'}",
    )
    assert result.returncode == 2 and "Did you mean 'diagnosis'" in result.stderr
    assert "Traceback" not in result.stderr
    result = cookbook(
        "train",
        "binary",
        "data.dataset=csv",
        f"data.path={bad}",
        "data.target=diagnosis",
        f"output.dir={tmp_path / 'runs'}",
    )
    assert result.returncode == 2 and "one class only ('benign')" in result.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("a,b,y\n" + "".join(f"{i}.5,,{i % 2}\n" for i in range(20)), "'b' of .* is empty"),
        (
            "a,b,y\n" + "".join(f"{i}.5,1.5,{i % 2}\n" for i in range(40)) + "2.x,1,0\n",
            "line 42: '2.x' in column 'a' is not a number",
        ),
        (
            "a,b,y\n" + "".join(f"{i}.5,1.5,\n" for i in range(20)),
            "data.target: .* the target 'y' is empty in every row",
        ),
        ("a,b,y\n1,inf,0\n" + "".join(f"{i}.5,1.5,{i % 2}\n" for i in range(20)), "infinite"),
    ],
)
def test_messy_cells_are_named(tmp_path, content, fragment):
    path = tmp_path / "table.csv"
    path.write_text(content)
    config = load_config("binary", ["data.dataset=csv", f"data.path={path}", "data.target=y"])
    with pytest.raises(ConfigError, match=fragment):
        catalogue.load(config.data, config.seed, stratify=True)


# --------------------------------------------------------------------------------------------
# Image folders
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digit_folder(tmp_path_factory) -> Path:
    return user_files.digit_images(tmp_path_factory.mktemp("digits") / "digits")


@pytest.fixture(scope="module")
def image_run(digit_folder, tmp_path_factory):
    output = tmp_path_factory.mktemp("image-runs")
    config = tiny(
        "multiclass",
        output,
        "data.dataset=image_folder",
        f"data.path={digit_folder}",
        "data.color_mode=grayscale",
        "trainer.epochs=15",
    )
    return train(config)


def test_image_folder_trains_and_beats_the_baseline(image_run):
    run_dir, metrics = image_run
    # data.cache: null resolved for files, recorded: the folder streams, never held whole.
    assert load_config(str(run_dir / "config.yaml")).data.cache is False
    assert metrics["test"]["accuracy"] >= 0.9 > metrics["baseline"]["accuracy"]
    assert (run_dir / "labels.txt").read_text().split() == [str(d) for d in range(10)]


def test_image_folder_splits_are_seeded_and_never_overlap(digit_folder):
    config = load_config("multiclass", ["data.dataset=image_folder", f"data.path={digit_folder}"])
    first = catalogue.load(config.data, config.seed, stratify=True)
    again = catalogue.load(config.data, config.seed, stratify=True)
    other = catalogue.load(config.data, config.seed + 1, stratify=True)
    train_files, test_files = set(first.x_train.paths), set(first.x_test.paths)
    assert not train_files & test_files
    assert len(train_files) + len(test_files) == 1797
    assert list(first.x_test.paths) == list(again.x_test.paths)
    assert set(other.x_test.paths) != test_files
    assert first.x_train.shape[1:] == (8, 8, 3)  # first image's size; rgb by default


def test_predict_takes_png_files_and_folders(image_run, digit_folder):
    run_dir, _ = image_run
    rows = predictions(
        str(run_dir), [str(digit_folder / "3" / "0003.png"), str(digit_folder / "7")]
    )
    assert rows[0]["input"].endswith("0003.png") and rows[0]["label"] == "3"
    sevens = [row["label"] == "7" for row in rows[1:]]
    assert len(sevens) == len(list((digit_folder / "7").glob("*.png")))
    assert np.mean(sevens) >= 0.9


def test_split_subfolders_are_used_as_given(tmp_path):
    for split, per_class in (("train", 30), ("validation", 10), ("test", 10)):
        user_files.digit_images(tmp_path / split, per_class=per_class)
    config = load_config("multiclass", ["data.dataset=image_folder", f"data.path={tmp_path}"])
    data = catalogue.load(config.data, config.seed, stratify=True)
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (300, 100, 100)
    assert all("/test/" in p for p in data.x_test.paths)


def test_image_folder_mistakes(tmp_path):
    def load(path, *overrides):
        config = load_config(
            "multiclass", ["data.dataset=image_folder", f"data.path={path}", *overrides]
        )
        return catalogue.load(config.data, config.seed, stratify=True)

    (tmp_path / "empty" / "cat").mkdir(parents=True)
    with pytest.raises(ConfigError, match="no images"):
        load(tmp_path / "empty")
    user_files.digit_images(tmp_path / "one", per_class=3)
    for digit in range(1, 10):
        for file in (tmp_path / "one" / str(digit)).iterdir():
            file.unlink()
        (tmp_path / "one" / str(digit)).rmdir()
    with pytest.raises(ConfigError, match="at least two; found 0"):
        load(tmp_path / "one")
    user_files.digit_images(tmp_path / "broken", per_class=3)
    (tmp_path / "broken" / "4" / "oops.png").write_text("not a picture")
    with pytest.raises(ConfigError, match=r"oops\.png cannot be read as an image"):
        load(tmp_path / "broken")
    with pytest.raises(ConfigError, match="data.split"):
        load(tmp_path / "broken", "data.split=kfold")


# --------------------------------------------------------------------------------------------
# Text folders
# --------------------------------------------------------------------------------------------


def test_text_folder_trains_and_predicts_raw_lines(tmp_path):
    corpus = user_files.reviews_folder(tmp_path / "reviews", per_class=80)
    run_dir, metrics = train(
        tiny(
            "binary",
            tmp_path / "runs",
            "data.dataset=text_folder",
            f"data.path={corpus}",
            "trainer.epochs=25",
        )
    )
    assert metrics["test"]["accuracy"] >= 0.9 > metrics["baseline"]["accuracy"]
    lines = tmp_path / "new.txt"
    lines.write_text(
        "\n".join(user_files.review(np.random.default_rng(7), positive=p) for p in (1, 0, 1, 0))
    )
    rows = predictions(str(run_dir), [str(lines)])
    assert [row["label"] for row in rows] == ["pos", "neg", "pos", "neg"]


def test_an_empty_text_folder_is_named(tmp_path):
    (tmp_path / "texts" / "pos").mkdir(parents=True)
    (tmp_path / "texts" / "neg").mkdir()
    config = load_config("binary", ["data.dataset=text_folder", f"data.path={tmp_path / 'texts'}"])
    with pytest.raises(ConfigError, match=r"no \.txt files"):
        catalogue.load(config.data, config.seed, stratify=True)


def test_the_export_serves_raw_rows_with_gaps_and_categories(messy_run, messy_csv):
    import tensorflow as tf

    from common.data import model_rows
    from common.serving import export
    from common.serving.inputs import input_columns

    run_dir, _ = messy_run
    exported = export.export(str(run_dir))
    assert (exported / "labels.txt").read_text().split() == ["benign", "malignant"]
    model = load_model_safely(run_dir)
    columns, count = model_rows.rows_for_model(messy_csv, input_columns(model), "diagnosis")
    assert any(np.isnan(values).any() for values in columns.values() if values.dtype.kind == "f")
    served = tf.saved_model.load(str(exported)).signatures["serving_default"](
        **{name: tf.constant(values) for name, values in columns.items()}
    )
    (probabilities,) = served.values()
    kept = model.predict(tf.data.Dataset.from_tensor_slices(columns).batch(64), verbose=0)
    assert probabilities.shape == (count, 1)
    assert np.allclose(probabilities.numpy(), kept, atol=1e-5)


def load_model_safely(run_dir: Path):
    from common.training.results import load_model

    return load_model(run_dir / "best.keras")


# --------------------------------------------------------------------------------------------
# Issue 29: what users name their columns, and texts in another encoding
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def odd_names_run(tmp_path_factory):
    """`binary` on a table whose columns hold a slash, spaces, an accent and two names that
    clean up alike, with every warning recorded."""
    import warnings

    folder = tmp_path_factory.mktemp("odd-names")
    table = odd_files.odd_names_table(folder / "readings.csv")
    config = tiny(
        "binary", folder / "runs", "data.dataset=csv", f"data.path={table}", "data.target=y",
        "trainer.epochs=8", "trainer.reference=false",
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_dir, _ = train(config)
    return run_dir, table, [str(w.message) for w in caught]


def test_odd_column_names_train_without_warnings_under_safe_unique_input_names(odd_names_run):
    from common.modeling.preprocessing import table_columns

    run_dir, _, caught = odd_names_run
    assert not [w for w in caught if "name" in w], caught
    model = load_model_safely(run_dir)
    assert table_columns(model) == {
        "a/b": "a_b", "col with space": "col_with_space", "température °C": "temperature_C",
        "a b": "a_b_2", "a_b": "a_b_3",
    }  # fmt: skip
    assert sorted(model.input) == sorted(table_columns(model).values())


def test_predict_takes_the_users_column_names_in_any_order(odd_names_run, tmp_path):
    import warnings

    run_dir, table, _ = odd_names_run
    lines = table.read_text(encoding="utf-8").splitlines()
    reversed_rows = [",".join(reversed(line.split(","))) for line in lines[:21]]
    rows = tmp_path / "new rows.csv"
    rows.write_text("\n".join(reversed_rows) + "\n", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shuffled = predictions(str(run_dir), [str(rows)])
    in_order = predictions(str(run_dir), [str(table)])[:20]
    assert [row["probability"] for row in shuffled] == [row["probability"] for row in in_order]
    assert not [w for w in caught if "name" in str(w.message)], [str(w.message) for w in caught]
    lacking = tmp_path / "lacking.csv"
    lacking.write_text('"a/b",a b,a_b,y\n1,2,3,0\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"lacks the training columns 'col with space', 'temp"):
        predict(str(run_dir), [str(lacking)])


def test_a_latin1_text_does_not_stop_the_model_from_saving_and_predicts(tmp_path, capsys):
    """Issue 29's case: the epoch trained, then saving the vocabulary raised
    UnicodeDecodeError. Now the run finishes; predict takes the folder (one text per file)
    and the Latin-1 file itself (one text per line), each with a note."""
    corpus, odd = odd_files.latin1_corpus(tmp_path / "reviews")
    run_dir, _ = train(
        tiny("binary", tmp_path / "runs", "data.dataset=text_folder", f"data.path={corpus}",
             "trainer.epochs=1", "trainer.reference=false")
    )  # fmt: skip
    vocabulary = load_model_safely(run_dir).get_layer("vectorize").get_vocabulary()
    assert any("\ufffd" in token for token in vocabulary)
    rows = predictions(str(run_dir), [str(corpus / "pos")])
    assert len(rows) == 21 and str(odd) in [row["input"] for row in rows]
    (row,) = predictions(str(run_dir), [str(odd)])
    assert row["input"] == "latin1.txt:1" and row["label"] in ("neg", "pos")
    assert f"{odd} is not UTF-8" in capsys.readouterr().err
    (tmp_path / "picture.png").write_bytes(odd_files.jpeg_bytes())
    with pytest.raises(UserError, match=r"picture.png is an image; this run's model takes text"):
        predict(str(run_dir), [str(tmp_path / "picture.png")])


def test_the_reserved_names_cover_every_activation_the_tabular_network_names_layers_by():
    from common.data.columns import RESERVED
    from common.modeling.options import ACTIVATIONS

    assert all(RESERVED.fullmatch(f"{name}_1") for name in [*ACTIVATIONS, "dense", "dropout"])


def test_serve_takes_instances_by_the_users_column_names(odd_names_run):
    """`cookbook serve`'s reader: a REST instance names the columns as the CSV did."""
    from common.serving.instances import Reader

    run_dir, _, _ = odd_names_run
    model = load_model_safely(run_dir)
    reader = Reader(model, "table")
    assert set(reader.describe()["columns"]) == set(odd_files.ODD_NAMES)
    instance = {"a/b": 0.5, "col with space": "x", "température °C": 25, "a b": None, "a_b": 1}
    batch = reader.read([instance, {**instance, "température °C": 15}])
    assert sorted(batch) == sorted(model.input)
    assert model.predict_on_batch(batch).shape == (2, 1)


def test_predict_streams_a_table_in_chunks_with_the_same_rows(messy_run, messy_csv, monkeypatch):
    """Rows in, rows out: a CSV is predicted `model_rows.CHUNK_ROWS` rows at a time (7 here),
    and the output is the one-chunk output row for row, lines numbered across the chunks."""
    from common.data import model_rows

    run_dir, _ = messy_run
    whole = predictions(str(run_dir), [str(messy_csv)])
    monkeypatch.setattr(model_rows, "CHUNK_ROWS", 7)
    chunked = predictions(str(run_dir), [str(messy_csv)])
    assert len(whole) > 7 * 3 and chunked == whole
    assert [row["input"] for row in chunked] == [
        f"{messy_csv.name}:{line}" for line in range(2, len(whole) + 2)
    ]
