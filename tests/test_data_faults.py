"""Issue 10's data-input faults through the CLI: each bad file or config gets one line naming the
file (or key) and the fix, and the CLI exits with code 2, no traceback. The loaders' own
messages are unit-tested beside them (common/data/test_user_files.py, test_keras_sets.py);
cells that are not numbers, a target empty in every row and one-class targets in
test_user_data.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from common.config import load_config
from common.data import catalogue
from common.data.dataset import Dataset
from common.errors import ConfigError, UserError
from tests import odd_files
from tests.conftest import cookbook
from tests.user_files import Tripwire


def load_npz(path: Path) -> Dataset:
    config = load_config("binary", ["data.dataset=npz", f"data.path={path}"])
    return catalogue.load(config.data, config.split_seed, stratify=True)


def one_line_exit_2(*args: str, timeout: float = 120) -> str:
    """Run the CLI; assert exit 2 and a single `error:` line on stderr; return that line."""
    result = cookbook(*args, timeout=timeout)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: "), line
    return line


def table(rows: int) -> str:
    return "a,b,y\n" + "".join(f"{i}.5,{i % 3},{i % 2}\n" for i in range(rows))


# --------------------------------------------------------------------------------------------
# CSV tables
# --------------------------------------------------------------------------------------------


def test_a_non_utf8_csv_is_refused_by_the_cli_at_config_time(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(table(20).replace("a,b", "caf\u00e9,b").encode("latin-1"))
    line = one_line_exit_2(
        "train", "binary", "data.dataset=csv", f"data.path={path}", "data.target=y"
    )
    assert f"{path} is not UTF-8 text; save it as UTF-8 CSV." in line


def test_a_target_empty_in_every_row_exits_2_through_the_cli(tmp_path):
    """A few empty target cells are rows left out with a note (test_user_files); a target
    column with no value at all is a wrong data.target, refused before a run folder exists."""
    path = tmp_path / "gap.csv"
    path.write_text("a,b,y\n" + "".join(f"{i}.5,{i % 3},\n" for i in range(20)))
    line = one_line_exit_2(
        "train",
        "binary",
        "data.dataset=csv",
        f"data.path={path}",
        "data.target=y",
        f"output.dir={tmp_path / 'runs'}",
    )
    assert "data.target" in line and "empty in every row" in line and str(path) in line
    assert not (tmp_path / "runs").exists()


# --------------------------------------------------------------------------------------------
# NPZ files
# --------------------------------------------------------------------------------------------


def test_an_npz_of_python_objects_is_refused_without_unpickling(tmp_path):
    marker = tmp_path / "unpickled"
    path = tmp_path / "objects.npz"
    x = np.array([Tripwire(marker)] * 20, dtype=object)
    np.savez(path, x=x, y=np.arange(20) % 2)
    with pytest.raises(ConfigError, match=r"holds Python objects in x .*save plain numeric arrays"):
        load_npz(path)
    assert not marker.exists()
    line = one_line_exit_2(
        "train",
        "binary",
        "data.dataset=npz",
        f"data.path={path}",
        f"output.dir={tmp_path / 'runs'}",
    )
    assert f"data.path: {path} holds Python objects" in line
    assert not marker.exists() and not (tmp_path / "runs").exists()


# --------------------------------------------------------------------------------------------
# YAML configs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("- recipe: binary\n", "a config must be a mapping of sections, got list"),
        ("binary\n", "a config must be a mapping of sections, got str"),
    ],
)
def test_a_yaml_that_is_not_a_mapping_is_named(tmp_path, content, fragment):
    path = tmp_path / "list.yaml"
    path.write_text(content)
    line = one_line_exit_2("train", str(path))
    assert f"{path}: {fragment}" in line


@pytest.mark.parametrize(
    "tag", ["!!python/object/apply:os.system ['touch {marker}']", "!!python/name:os.system"]
)
def test_a_yaml_python_tag_is_refused_and_never_run(tmp_path, tag):
    marker = tmp_path / "ran"
    path = tmp_path / "tagged.yaml"
    path.write_text(f"recipe: binary\nname: {tag.format(marker=marker)}\n")
    with pytest.raises(
        UserError, match=r"tagged.yaml:2:7: malformed YAML: the tag .*python/.* asks to build a"
    ):
        load_config(str(path))
    line = one_line_exit_2("show", str(path))
    assert "configs hold plain values only (remove the tag)" in line
    assert not marker.exists()


def test_overrides_with_python_tags_and_bad_numbers_are_named():
    with pytest.raises(UserError, match="asks to build a Python object"):
        load_config("binary", ["seed=!!python/object/apply:os.getpid []"])
    with pytest.raises(ConfigError, match="optimizer.learning_rate: expected a finite number"):
        load_config("binary", ["optimizer.learning_rate=.nan"])
    with pytest.raises(ConfigError, match=r"data.test_split: expected a finite number"):
        load_config("binary", [f"data.test_split={10**400}"])
    with pytest.raises(ConfigError, match=r"seed: must be between 0 and 2\*\*32 - 1"):
        load_config("binary", ["seed=-1"])


def test_yaml_that_is_not_utf8_or_holds_control_characters(tmp_path):
    path = tmp_path / "bytes.yaml"
    path.write_bytes(b"recipe: bin\xe4ry\n")
    with pytest.raises(UserError, match=f"{path} is not UTF-8 text"):
        load_config(str(path))
    path.write_bytes(b"recipe: binary\x00\n")
    with pytest.raises(UserError, match="malformed YAML: unacceptable character"):
        load_config(str(path))


def test_a_missing_parent_config_names_extends(tmp_path):
    path = tmp_path / "child.yaml"
    path.write_text("extends: no-such-parent\n")
    with pytest.raises(ConfigError, match=r"extends: in .*child.yaml: unknown config") as error:
        load_config(str(path))
    assert error.value.key == "extends"


# --------------------------------------------------------------------------------------------
# Issue 29: folders read whole when indexed, links, series and tables in their own words
# --------------------------------------------------------------------------------------------


def load_folder(path: Path, *overrides: str, dataset: str = "image_folder") -> Dataset:
    config = load_config("multiclass", [f"data.dataset={dataset}", f"data.path={path}", *overrides])
    return catalogue.load(config.data, config.split_seed, stratify=True)


def test_a_jpeg_with_a_whole_header_and_a_corrupt_body_is_named_before_training(tmp_path):
    folder = odd_files.image_folder(tmp_path / "photos")
    bad = odd_files.corrupt_jpeg(folder / "1" / "broken.jpg")
    from PIL import Image

    with Image.open(bad) as image:  # the header alone passes
        assert image.size == (32, 32)
    with pytest.raises(ConfigError, match=rf"{bad} cannot be read as an image \(.*JPEG"):
        load_folder(folder)
    odd_files.corrupt_jpeg(folder / "0" / "broken too.jpg")
    (folder / "0" / "empty.png").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"3 of 19 images in .* cannot be read as images: .*"):
        load_folder(folder)
    line = one_line_exit_2(
        "train", "convnet", "data.dataset=image_folder", f"data.path={folder}",
        f"output.dir={tmp_path / 'runs'}",
    )  # fmt: skip
    assert "data.path: 3 of 19 images" in line and "empty.png (Input is empty.)" in line
    assert not (tmp_path / "runs").exists()


def test_images_too_small_for_the_models_are_resized_up_with_a_note(tmp_path, capsys):
    folder = odd_files.one_pixel_images(tmp_path / "pixels")
    data = load_folder(folder, "data.color_mode=grayscale")
    assert data.x_train.shape[1:] == (8, 8, 1)
    note = capsys.readouterr().out
    assert "are 1x1" in note and "resized up to 8x8" in note and "data.image_size" in note
    with pytest.raises(ConfigError, match=r"data.image_size: \[2, 2\] is smaller than .*8 pixels"):
        load_folder(folder, "data.image_size=[2,2]")


def test_colour_modes_every_format_cannot_store_are_converted_not_crashed(tmp_path):
    """TensorFlow's decoders refuse rgba for a JPEG and grayscale for a GIF or a BMP; the
    training pipeline converts them, so the folder trains in any colour mode."""
    from PIL import Image

    from common.data.pipeline import make_dataset

    for label, suffix in (("a", "GIF"), ("b", "BMP")):
        (tmp_path / "mixed" / label).mkdir(parents=True)
        for index in range(4):
            pixels = np.full((9, 9, 3), 60 * index, dtype="uint8")
            Image.fromarray(pixels).save(tmp_path / "mixed" / label / f"{index}.{suffix.lower()}")
        (tmp_path / "mixed" / label / "photo.jpg").write_bytes(odd_files.jpeg_bytes(9))
    for mode, channels in (("grayscale", 1), ("rgba", 4)):
        data = load_folder(tmp_path / "mixed", f"data.color_mode={mode}", "data.test_split=0.4")
        (batch,) = make_dataset(data.x_train, None, 64).take(1)
        assert batch[0].shape[1:] == (9, 9, channels)


def test_a_latin1_text_is_counted_and_read_with_replacement_characters(tmp_path, capsys):
    corpus, odd = odd_files.latin1_corpus(tmp_path / "reviews")
    data = load_folder(corpus, dataset="text_folder")
    note = capsys.readouterr().out
    assert f"1 of 41 texts in {corpus} is not UTF-8 (e.g. {odd})" in note and "U+FFFD" in note
    files = data.x_train if str(odd) in data.x_train.paths else data.x_test
    (text,) = files.load(str(odd)).numpy()
    assert text.decode("utf-8") == "Un film tr\ufffds r\ufffdussi, great and wonderful."


def test_links_to_files_and_folders_are_both_followed_and_said_when_they_leave(tmp_path, capsys):
    """A linked file and a linked folder are read alike; what lies outside data.path is named,
    a loop is walked once, and a file reached twice is kept once (never in both splits)."""
    folder = odd_files.image_folder(tmp_path / "photos", per_class=6)
    elsewhere = odd_files.image_folder(tmp_path / "elsewhere", per_class=3)
    (folder / "0" / "linked.png").symlink_to(next((elsewhere / "0").iterdir()))
    (folder / "1" / "linked folder").symlink_to(elsewhere / "1", target_is_directory=True)
    (folder / "1" / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "0" / "again.png").symlink_to(next((folder / "0").glob("0*.png")))
    data = load_folder(folder, "data.test_split=0.25")
    paths = [*data.x_train.paths, *data.x_test.paths]
    assert len(paths) == 6 + 1 + 6 + 3
    assert any(p.endswith("linked.png") for p in paths)
    assert sum("linked folder" in p for p in paths) == 3
    assert not any("/loop/" in p or p.endswith("again.png") for p in paths)
    notes = capsys.readouterr().out
    assert f"4 files under {folder} lead outside it through links" in notes
    assert "reached twice through links" in notes


def test_repeated_timestamps_are_averaged_with_a_note_naming_them(tmp_path, capsys):
    path = odd_files.series_csv(tmp_path / "daily.csv", np.arange(60.0), repeat_first=3)
    config = load_config(
        "rnn", ["data.dataset=timeseries_csv", f"data.path={path}", "data.target=value",
                "data.sequence_length=5"],
    )  # fmt: skip
    data = catalogue.load(config.data, config.split_seed, stratify=False)
    note = capsys.readouterr().out
    assert f"note: 3 times appear on more than one row of {path}" in note
    assert "'2020-01-01', lines 2-3" in note and "averaged" in note
    times = data.x_train.times
    assert len(np.unique(times)) == len(times) and data.x_train.series.shape[0] == 60


def test_a_constant_series_is_named_as_constant_not_as_one_class(tmp_path):
    path = odd_files.series_csv(tmp_path / "flat.csv", [5.0] * 80)
    config = load_config(
        "rnn", ["data.dataset=timeseries_csv", f"data.path={path}", "data.target=value",
                "data.sequence_length=5"],
    )  # fmt: skip
    with pytest.raises(ConfigError) as error:
        catalogue.load(config.data, config.split_seed, stratify=False)
    assert str(error.value) == (
        f"data.target: {path}: the series 'value' is constant (5 in every row); there is "
        "nothing to forecast. Forecast a column that changes."
    )
    rising = odd_files.series_csv(tmp_path / "late.csv", [5.0] * 60 + list(range(20)))
    config.data.path = str(rising)
    with pytest.raises(ConfigError, match=r"constant \(5 over the 4\d training rows\)"):
        catalogue.load(config.data, config.split_seed, stratify=False)


def test_identifier_columns_are_left_out_with_a_note_unless_declared(tmp_path, capsys):
    path = odd_files.table_with_ids(tmp_path / "customers.csv")
    overrides = ["data.dataset=csv", f"data.path={path}", "data.target=y"]
    config = load_config("binary", overrides)
    data = catalogue.load(config.data, config.split_seed, stratify=True)
    assert list(data.x_train.columns) == ["x"]
    notes = capsys.readouterr().out
    assert "column 'customer' of" in notes and "a different value in every row" in notes
    assert "data.columns.customer: categorical" in notes
    assert "column 'row' of" in notes and "data.columns.row: numeric" in notes
    kept = load_config("binary", [*overrides, "data.columns={row: numeric}"])
    data = catalogue.load(kept.data, kept.split_seed, stratify=True)
    assert list(data.x_train.columns) == ["row", "x"]


def test_a_shuffled_id_column_is_left_out_and_its_ids_read_back_as_written(tmp_path):
    """A Kaggle-style `car_id` no longer rises once the file is shuffled; distinct whole
    numbers under an id's name are still a key, not a feature. Declared numeric, it is an
    input, and predict's chunked reader still hands the ids back as written (17, not 17.0)."""
    from common.data import model_rows, tables

    rng = np.random.default_rng(0)
    ids = rng.permutation(np.arange(1000, 1040))
    x = rng.normal(size=40)
    path = tmp_path / "shuffled.csv"
    lines = ["car_id,x,y", *(f"{i},{v:.3f},{int(v > 0)}" for i, v in zip(ids, x, strict=True))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = tables.read_csv(path)
    assert tables.identifier(table["car_id"], "numeric") == "a different whole number in every row"
    assert tables.identifier(table["x"], "numeric") is None

    inputs = {"car_id": ("car_id", "numeric"), "x": ("x", "numeric")}
    columns, _, chunk = next(model_rows.chunks(path, inputs, "y", as_written=("car_id",)))
    assert chunk["car_id"].tolist() == [str(i) for i in ids]
    assert columns["car_id"].dtype == np.float32 and columns["car_id"][0, 0] == ids[0]


def test_column_names_become_unique_safe_input_names():
    from common.data.columns import input_names

    names = input_names([*odd_files.ODD_NAMES, "features", "dense_1", "x", "x_impute", "", "°"])
    assert names == {
        "a/b": "a_b", "col with space": "col_with_space", "température °C": "temperature_C",
        "a b": "a_b_2", "a_b": "a_b_3", "features": "features_2", "dense_1": "dense_1_2",
        "x": "x", "x_impute": "x_impute_2", "": "column", "°": "column_2",
    }  # fmt: skip
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", name) for name in names.values())


def test_prediction_rows_note_an_ignored_target_but_not_the_named_id(tmp_path, capsys):
    from common.data import model_rows

    inputs = {"x": ("x", "numeric")}
    path = tmp_path / "rows.csv"
    model_rows.check_columns(path, ["id", "x", "y"], inputs, "y", named=("id",))
    notes = capsys.readouterr().err
    assert "the target column 'y' is ignored" in notes and "'id'" not in notes
    model_rows.check_columns(path, ["id", "x"], inputs, "y")
    assert "left out: 'id'" in capsys.readouterr().err


def test_gap_markers_are_gaps_in_numbers_and_text_in_categories(tmp_path, capsys):
    """R's "NA" and UCI's "?" in a numeric column are gaps (with a note), "NA" as a class
    name stays a class, and a regression target's "NA" is refused, not learnt as NaN."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=60).round(3)
    cells = [("NA" if k % 10 == 0 else "?" if k % 10 == 5 else str(v)) for k, v in enumerate(x)]
    labels = ["NA" if v > 0 else "EU" for v in x]
    path = tmp_path / "marked.csv"
    path.write_text(
        "x,z,y\n"
        + "".join(f"{c},{v:.2f},{y}\n" for c, v, y in zip(cells, -x, labels, strict=True)),
        encoding="utf-8",
    )
    config = load_config("binary", ["data.dataset=csv", f"data.path={path}", "data.target=y"])
    data = catalogue.load(config.data, config.split_seed, stratify=True)
    assert data.class_names == ["EU", "NA"]
    values = np.concatenate([data.x_train["x"].to_numpy(), data.x_test["x"].to_numpy()])
    assert np.isnan(values).sum() == 12 and values.dtype == np.float32
    assert "column 'x' of" in capsys.readouterr().out

    config = load_config("regression", ["data.dataset=csv", f"data.path={path}", "data.target=x"])
    with pytest.raises(ConfigError, match=r"line 2: 'NA' in column 'x' is not a number"):
        catalogue.load(config.data, config.split_seed, stratify=False)


@pytest.mark.parametrize("rows", [None, 1, 2])
def test_predict_rows_read_markers_with_spaces_in_any_chunk(tmp_path, rows):
    """The C reader takes "NA" but not "NA "; such a file goes on through the text route
    from the chunk where it stopped, with the same lines and values."""
    from common.data import model_rows

    path = tmp_path / "spaced.csv"
    path.write_text("id,x,c\n1,2.5 ,a\n2,NA ,b\n3, 4,c\n4,?,d\n", encoding="utf-8")
    inputs = {"x": ("x", "numeric"), "c": ("c", "categorical")}
    parts = list(model_rows.chunks(path, inputs, None, rows=rows, as_written=("id",)))
    x = np.concatenate([columns["x"].ravel() for columns, _, _ in parts])
    np.testing.assert_array_equal(x, [2.5, np.nan, 4.0, np.nan])
    assert [line for _, line, _ in parts] == list(range(2, 6, rows or 4))
    assert sum((table["id"].tolist() for _, _, table in parts), []) == ["1", "2", "3", "4"]
