"""CSVs that stream (`common.data.stream`): one pass for the statistics, hashed parts that never
share a row, shards read as one dataset, preprocessing adapted from the pass as from the table,
and the same test score as the in-memory path. Every CSV is generated here."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from common.config import load_config
from common.data import catalogue, stream_batches
from common.errors import ConfigError
from common.modeling import preprocessing
from common.training.driver import train
from tests.conftest import COOKBOOK, PROJECT_ROOT


def write_table(path: Path, rows: int, seed: int = 0) -> pd.DataFrame:
    """A binary table that a linear model learns most of: 6 numbers (one with 10% gaps), a
    colour that shifts the odds, and 5% of the rows repeated exactly (duplicates happen)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 6)).round(4)
    colour = rng.choice(["red", "green", "blue", ""], rows, p=[0.3, 0.3, 0.3, 0.1])
    logit = 1.5 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2] + np.where(colour == "red", 1.0, -0.3)
    table = pd.DataFrame(x, columns=[f"f{i}" for i in range(6)])
    table.loc[rng.random(rows) < 0.1, "f3"] = np.nan
    table["colour"] = colour
    table["label"] = np.where(logit + 0.5 * rng.logistic(size=rows) > 0, "yes", "no")
    table = pd.concat([table, table.sample(frac=0.05, random_state=seed)], ignore_index=True)
    table.to_csv(path, index=False)
    return table


def csv_config(path: Path | str, *overrides: str):
    return load_config(
        "binary",
        [
            "data.dataset=csv",
            f"data.path={path}",
            "data.target=label",
            "data.validation_split=0.2",
            "data.stream=true",
            *overrides,
        ],
    )


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stream") / "rows.csv"
    write_table(path, 3000)
    return path


def load(path, *overrides):
    config = csv_config(path, *overrides)
    return catalogue.load(config.data, config.split_seed, stratify=True)


def part_lines(part) -> list[bytes]:
    return list(stream_batches._lines(part, shuffle=False, seed=0).as_numpy_iterator())


def test_parts_never_share_a_row_and_every_row_has_one(small_csv):
    dataset = load(small_csv)
    parts = [dataset.x_train, dataset.x_val, dataset.x_test]
    lines = [part_lines(part) for part in parts]
    assert [len(found) for found in lines] == [len(part) for part in parts]
    assert sum(map(len, lines)) == len(small_csv.read_text().splitlines()) - 1
    distinct = [set(found) for found in lines]
    assert not (distinct[0] & distinct[1] or distinct[0] & distinct[2] or distinct[1] & distinct[2])
    assert sum(map(len, distinct)) < sum(map(len, lines)), "the repeated rows stay together"
    assert 0.15 < len(dataset.x_test) / 3150 < 0.25 and 0.15 < len(dataset.x_val) / 3150 < 0.25
    # The targets gathered in the pass are the pipeline's, row for row.
    batch_targets = np.concatenate([y for _, y in stream_batches.batches(dataset.x_test, 256)])
    np.testing.assert_array_equal(batch_targets, dataset.y_test)


def test_a_folder_and_a_glob_of_shards_are_one_dataset(small_csv, tmp_path):
    rows = small_csv.read_text().splitlines()
    for index in range(3):
        shard = [rows[0], *rows[1 + index :: 3]]
        (tmp_path / f"part-{index}.csv").write_text("\n".join(shard) + "\n")
    whole = load(small_csv)
    for path in (tmp_path, tmp_path / "part-*.csv"):
        sharded = load(path)
        assert len(sharded.x_train.stream.paths) == 3
        for name in ("x_train", "x_val", "x_test"):
            one, several = getattr(whole, name), getattr(sharded, name)
            assert sorted(part_lines(one)) == sorted(part_lines(several))
        assert sharded.x_train.stream.numeric["f0"].mean == pytest.approx(
            whole.x_train.stream.numeric["f0"].mean
        )


def test_gaps_and_categories_are_adapted_from_the_pass_as_from_the_table(small_csv):
    """The model's preprocessing from the pass's statistics gives what the in-memory
    preprocessing adapted on the same training rows gives."""
    train_part = load(small_csv).x_train
    table, _ = train_part.sample()  # the whole part (under SAMPLE_ROWS rows), in file order
    assert len(table) == len(train_part)
    stats = train_part.stream.numeric["f3"]
    assert stats.gaps == int(table["f3"].isna().sum()) > 0
    assert stats.variance == pytest.approx(float(np.nanvar(table["f3"])), rel=1e-5)
    assert train_part.stream.vocabularies["colour"] == ["blue", "green", "red"]
    import keras

    streamed = keras.Model(*preprocessing.model_input(train_part))
    in_memory = keras.Model(*preprocessing.model_input(table))
    batch = next(iter(stream_batches.batches(train_part, 512)))[0]
    np.testing.assert_allclose(
        streamed.predict_on_batch(batch), in_memory.predict_on_batch(batch), atol=1e-4
    )


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["data.split=kfold"], "data.split"),
        (["trainer.refit=true"], "trainer.refit"),
    ],
)
def test_what_streaming_cannot_do_is_refused_by_its_key(small_csv, overrides, key):
    with pytest.raises(ConfigError) as error:
        config = csv_config(small_csv, *overrides)
        catalogue.check_source(config.data)
    assert error.value.key == key


def test_shards_with_other_headers_or_no_streaming_are_refused(small_csv, tmp_path):
    (tmp_path / "a.csv").write_text(small_csv.read_text())
    (tmp_path / "b.csv").write_text("f0,label\n1,yes\n")
    with pytest.raises(ConfigError, match="different headers"):
        catalogue.check_source(csv_config(tmp_path).data)
    with pytest.raises(ConfigError, match="data.stream=false") as error:
        catalogue.check_source(csv_config(tmp_path, "data.stream=false").data)
    assert error.value.key == "data.stream"
    with pytest.raises(ConfigError, match="no file matches"):
        catalogue.check_source(csv_config(tmp_path / "none-*.csv").data)


@pytest.mark.slow
def test_streaming_trains_to_the_in_memory_score_within_noise(tmp_path):
    """20,000 rows (about 1.5 MB), three epochs each way. The two test parts differ (a hash
    against a stratified draw), so the tolerance is the noise of two test accuracies."""
    path = tmp_path / "rows.csv"
    write_table(path, 20_000)
    results = {}
    for stream in ("true", "false"):
        _, metrics = train(
            csv_config(
                path,
                f"data.stream={stream}",
                "trainer.epochs=3",
                "trainer.verbose=0",
                "trainer.reference=false",
                f"output.dir={tmp_path / stream}",
            )
        )
        results[stream] = metrics["test"]["accuracy"]
        assert metrics["test"]["accuracy"] > metrics["baseline"]["accuracy"] + 0.2
    noise = 3 * np.sqrt(2 * 0.2 / 4200)  # 3 standard errors of a difference, at 80% accuracy
    assert abs(results["true"] - results["false"]) < noise, results


@pytest.mark.slow
def test_two_workers_split_the_shards_by_file_and_score_as_one_worker(tmp_path):
    """4 shards over 2 workers on 127.0.0.1 (FILE sharding: each worker reads 2 files), then
    one worker on the same shards: the same test rows, a test accuracy within noise."""
    folder = tmp_path / "shards"
    folder.mkdir()
    rows = write_table(tmp_path / "rows.csv", 20_000)
    for index in range(4):
        rows.iloc[index::4].to_csv(folder / f"part-{index}.csv", index=False)
    overrides = [
        "data.dataset=csv",
        f"data.path={folder}",
        "data.target=label",
        "data.validation_split=0.2",
        "trainer.epochs=3",
        "trainer.verbose=0",
        "trainer.reference=false",
        "output.plot=false",
    ]
    cluster = subprocess.run(
        [*COOKBOOK, "train", "binary", "--workers", "2", *overrides, f"output.dir={tmp_path}/2"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert cluster.returncode == 0, cluster.stdout[-2000:] + cluster.stderr[-2000:]
    scores = re.findall(r"\[(worker \d)\]\s+accuracy\s+([\d.]+)", cluster.stdout)
    assert {worker for worker, _ in scores} == {"worker 0", "worker 1"}
    assert len({value for _, value in scores}) == 1, "both workers hold the same model"
    _, alone = train(load_config("binary", [*overrides, f"output.dir={tmp_path}/1"]))
    noise = 3 * np.sqrt(2 * 0.2 / 3800)
    assert abs(float(scores[0][1]) - alone["test"]["accuracy"]) < noise


def test_gap_markers_in_a_numeric_column_stream_as_gaps(tmp_path):
    """ "NA" and "?" in a numeric column are gaps in the pass and in the graph's parse alike,
    as in memory (`tables.GAP_MARKERS`)."""
    path = tmp_path / "marked.csv"
    table = write_table(path, 400)
    marked = table.astype({"f3": object})
    gaps = marked["f3"].isna()
    marked.loc[gaps, "f3"] = np.resize(["NA", "?"], int(gaps.sum()))
    marked.to_csv(path, index=False)
    train_part = load(path).x_train
    assert train_part.stream.numeric["f3"].gaps > 0
    inputs, _ = next(iter(stream_batches.batches(train_part, 4096)))
    f3 = inputs["f3"].numpy()
    assert np.isnan(f3).sum() == train_part.stream.numeric["f3"].gaps and np.isfinite(f3).any()


def test_a_refit_of_shards_that_stream_by_themselves_is_refused_before_training(
    small_csv, tmp_path
):
    """Shards stream without data.stream set; their parts cannot be joined for a refit."""
    from common.errors import UserError
    from common.training.driver import train

    rows = small_csv.read_text().splitlines()
    for index in range(2):
        (tmp_path / f"part-{index}.csv").write_text("\n".join([rows[0], *rows[1 + index :: 2]]))
    config = load_config(
        "binary",
        ["data.dataset=csv", f"data.path={tmp_path / 'part-*.csv'}", "data.target=label",
         "data.validation_split=0.2", "trainer.refit=true", f"output.dir={tmp_path / 'runs'}"],
    )  # fmt: skip
    with pytest.raises(UserError, match="trainer.refit retrains on training \\+ validation"):
        train(config)
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").rglob("2*"))
