"""The rnn recipe: series split in time order and cut into windows on the fly, persistence
baselines in the target's units, sequence and text classification with masking, and the
Jena and IMDB variants on small files in their own formats (written here, offline)."""

from __future__ import annotations

import csv
import io
import time
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from common.config import load_config
from common.data.catalogue import check_source
from common.data.dataset import Dataset
from common.data.splits import holdout
from common.data.windows import WindowSet, persistence
from common.errors import ConfigError, UserError
from common.modeling import forecasting, predicting
from common.serving.predict import predict
from common.training.driver import check, train
from common.training.recipe import load_recipe
from tests import keras_files, user_files
from tests.conftest import tiny

RNN = load_recipe("rnn")


def load(target: str, *overrides: str) -> Dataset:
    config = load_config(target, list(overrides))
    return RNN.dataset(config)


def write_series(path: Path, values: np.ndarray, start="2020-01-01T00:00", step_minutes=60):
    """A CSV with a time column and one column per series, rows in time order."""
    times = np.datetime64(start) + (step_minutes * np.arange(len(values))).astype("timedelta64[m]")
    lines = ["time,value,other"]
    lines += [f"{t},{v},{-v}" for t, v in zip(times.astype(str), values, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def csv_series(path: Path, *overrides: str) -> list[str]:
    return ["data.dataset=timeseries_csv", f"data.path={path}", "data.target=value", *overrides]


# --------------------------------------------------------------------------------------------
# Splits in time order, windows made on the fly
# --------------------------------------------------------------------------------------------


def test_seattle_splits_are_in_time_order_and_only_training_is_shuffled():
    config = load_config("rnn")
    data = RNN.dataset(config)
    train_part, validation, test = data.x_train, data.x_val, data.x_test
    assert all(isinstance(part, WindowSet) for part in (train_part, validation, test))
    # The split's time ranges: whole years, in order, no target time in two parts.
    parts = (train_part, validation, test)
    years = [set(part.target_times.astype("datetime64[Y]").astype(str)) for part in parts]
    assert years == [{"2012", "2013"}, {"2014"}, {"2015"}]
    assert train_part.target_times.max() < validation.target_times.min()
    assert validation.target_times.max() < test.target_times.min()
    assert (len(validation), len(test)) == (365, 365)
    # A window reads only the past: its last step `horizon` days before its target.
    assert np.all(test.first_input_times < test.target_times)
    assert np.all(
        test.target_times - test.times[test.row_index - test.ahead]
        == np.timedelta64(config.data.horizon, "D")
    )
    # Training batches hold training targets only (shuffled among themselves); validation
    # and test batches come in time order.
    shuffled = np.concatenate(
        [y.numpy() for _, y in RNN.batches(train_part, train_part.y, config, True)]
    )
    assert sorted(shuffled.tolist()) == sorted(train_part.y.tolist())
    assert shuffled.tolist() != train_part.y.tolist()
    in_order = np.concatenate(
        [y.numpy() for _, y in RNN.batches(validation, validation.y, config, False)]
    )
    np.testing.assert_array_equal(in_order, validation.y)


def test_change_statistics_come_from_training_windows_only():
    config = load_config("rnn")
    data = RNN.dataset(config)
    rows = data.x_train.rows_read
    assert len(rows) == data.x_train.rows[-1] - config.data.horizon + 1  # up to 2013-12-28
    split = holdout(data, config.data, config.seed, RNN.stratify)
    model = RNN.build_model(split, config.model)
    scale = model.get_layer("change_scale")
    variance = keras.ops.convert_to_numpy(scale.variance).reshape(-1)
    training = split.x_train.sample(4096)
    expected = forecasting.change_variance(forecasting.since_last_step(training, None))
    np.testing.assert_allclose(variance, expected, rtol=1e-4)
    whole = replace(split.x_train, rows=range(split.x_train.delay, len(split.x_train.series)))
    everything = forecasting.change_variance(forecasting.since_last_step(whole.sample(4096), None))
    assert not np.allclose(variance, everything, rtol=1e-3)


def test_windows_match_their_targets_with_sampling_rate_horizon_and_slices(tmp_path):
    values = np.arange(60, dtype=float)  # each row's value is its row number
    path = write_series(tmp_path / "ramp.csv", values)
    data = load(
        "rnn",
        *csv_series(path, "data.sequence_length=4", "data.sampling_rate=2", "data.horizon=3"),
        "data.time_features=false",
        "data.features=[value]",
    )
    windows = data.x_test
    assert windows.delay == (4 - 1 + 3) * 2 and windows.shape == (len(windows), 4, 1)
    batches = list(windows.dataset(batch_size=100))
    (x, y), *_ = batches
    x, y = x.numpy()[..., 0], y.numpy()
    np.testing.assert_array_equal(y, windows.row_index.astype(float))
    np.testing.assert_array_equal(x[:, -1], y - 3 * 2)  # last step: horizon x rate rows back
    np.testing.assert_array_equal(x[:, 0], y - windows.delay)
    np.testing.assert_array_equal(np.diff(x, axis=1), 2)
    every_third = windows[::3][:4]
    (x3, y3), *_ = list(every_third.dataset(batch_size=100))
    np.testing.assert_array_equal(y3.numpy(), y[::3][:4])
    np.testing.assert_array_equal(x3.numpy()[..., 0], x[::3][:4])
    assert len(every_third) == 4
    with pytest.raises(UserError, match="recipe: rnn"):
        np.asarray(windows)


def test_persistence_keeps_the_daily_cycle_of_sub_daily_series(tmp_path):
    hours = np.arange(24 * 40)
    values = np.round(10 * np.sin(2 * np.pi * hours / 24), 3)
    path = write_series(tmp_path / "hourly.csv", values)
    common = (*csv_series(path, "data.sequence_length=30"), "data.time_features=true")
    data = load("rnn", *common, "data.horizon=6")
    test = data.x_test
    assert test.rows_per_day == 24
    assert test.feature_names == ("value", "other", "year_sin", "year_cos", "day_sin", "day_cos")
    forecasts = persistence(test)
    assert set(forecasts) == {"last value", "same time yesterday"}
    np.testing.assert_allclose(forecasts["same time yesterday"], test.y, atol=1e-4)
    assert np.abs(forecasts["last value"] - test.y).mean() > 5
    config = load_config("rnn", list(common))
    split = holdout(data, config.data, config.seed, RNN.stratify)
    assert RNN.baseline(split, test, test.y, config.trainer)["mae"] < 1e-4  # chosen on training
    # A day ahead, the last value is the same time yesterday: one baseline.
    assert set(persistence(load("rnn", *common, "data.horizon=24").x_test)) == {"last value"}


def monthly_series(months: int, seed: int = 0) -> np.ndarray:
    """Airline-like: a trend, a yearly swing in proportion to the level, and noise."""
    t = np.arange(months)
    rng = np.random.default_rng(seed)
    level = 100.0 + 2.5 * t
    return np.round(level * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 3, months), 2)


def write_monthly(path: Path, values: np.ndarray) -> Path:
    months = np.datetime64("2000-01") + np.arange(len(values))
    lines = ["month,value"] + [f"{m}-01,{v}" for m, v in zip(months, values, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("shift", [0.0, -500.0])  # positive: log ratios; crossing 0: changes
def test_an_untrained_forecaster_is_its_baseline_and_reloads(tmp_path, shift):
    path = write_monthly(tmp_path / "monthly.csv", monthly_series(120) + shift)
    config = load_config("rnn", csv_series(path, "data.sequence_length=14"))
    data = RNN.dataset(config)
    assert data.x_train.season == 12  # found from the monthly time column
    split = holdout(data, config.data, config.seed, RNN.stratify)
    chosen = RNN.module.chosen_persistence(split.x_train)
    assert chosen == "same point one year ago"
    model = RNN.build_model(split, config.model)
    assert model.get_layer("since_last_step").log_feature == (0 if shift == 0 else None)
    test = data.x_test
    windows, _ = next(iter(test.dataset(batch_size=len(test))))
    predicted = keras.ops.convert_to_numpy(model(windows))[:, 0]
    np.testing.assert_allclose(
        predicted, RNN.module.baseline_forecast(persistence(test), chosen), rtol=1e-4
    )
    model.save(tmp_path / "model.keras")
    again = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_allclose(again(windows), predicted[:, None], rtol=1e-5)


def test_a_trending_seasonal_series_is_forecast_better_than_its_baseline(tmp_path):
    path = write_monthly(tmp_path / "monthly.csv", monthly_series(180))
    config = load_config(
        "rnn", [*csv_series(path), "trainer.verbose=0", f"output.dir={tmp_path / 'runs'}"]
    )
    _, metrics = train(config)
    assert metrics["forecast"]["persistence"] == "same point one year ago"
    # The test period's levels lie above every level seen in training.
    assert metrics["test"]["mae"] < 0.8 * metrics["baseline"]["mae"]


# --------------------------------------------------------------------------------------------
# Mistakes in a series config are named before anything trains
# --------------------------------------------------------------------------------------------


def test_series_mistakes_are_named(tmp_path):
    path = write_series(tmp_path / "s.csv", np.arange(200, dtype=float))
    with pytest.raises(ConfigError, match=r"data.split: a time series is split in time order"):
        check_source(load_config("rnn", ["data.split=kfold"]).data)
    with pytest.raises(ConfigError, match="data.sequence_length: set the window length"):
        check_source(load_config("rnn", ["data.sequence_length=null"]).data)
    with pytest.raises(ConfigError, match="data.target: unknown column .* Did you mean 'value'"):
        check_source(load_config("rnn", csv_series(path, "data.target=valeu")).data)
    with pytest.raises(ConfigError, match="data.time_column: unknown column"):
        check_source(load_config("rnn", [*csv_series(path), "data.time_column=when"]).data)
    with pytest.raises(ConfigError, match="trainer.class_weight: a forecast has no classes"):
        check(load_config("rnn", ["trainer.class_weight=balanced"]))
    with pytest.raises(ConfigError, match="need 3060 rows before the first target"):
        load("rnn", *csv_series(path, "data.sequence_length=100", "data.sampling_rate=30"))

    lines = path.read_text().splitlines()
    shuffled = tmp_path / "unsorted.csv"
    shuffled.write_text("\n".join([lines[0], *lines[1:50], lines[70], *lines[50:70]]) + "\n")
    with pytest.raises(UserError, match="line 52: .* earlier than the row before it"):
        load("rnn", *csv_series(shuffled))
    gaps = tmp_path / "gaps.csv"
    gaps.write_text("\n".join([*lines[:10], lines[10].replace(",9.0,", ",,"), *lines[11:]]))
    with pytest.raises(ConfigError, match="'value' has 1 empty cells .* line 11"):
        load("rnn", *csv_series(gaps))
    typo = tmp_path / "typo.csv"
    typo.write_text("\n".join([*lines[:5], lines[5].replace(",4.0,", ",4.o,"), *lines[6:]]))
    with pytest.raises(ConfigError, match=r"line 6: '4.o' in column 'value' is not a number"):
        load("rnn", *csv_series(typo))
    with pytest.raises(ConfigError, match="time_format"):
        load("rnn", *csv_series(path), "data.time_format='%d.%m.%Y'")


def test_sequence_mistakes_are_named():
    with pytest.raises(ConfigError, match="data.image_layout=image"):
        load("rnn-digits", "data.image_layout=flat")
    with pytest.raises(ConfigError, match="data.sequence_length: imdb_sequences pads"):
        check_source(load_config("rnn-imdb", ["data.sequence_length=null"]).data)
    config = load_config("rnn", ["model.encoder=transformer"])
    with pytest.raises(ConfigError, match="model.encoder: a forecast uses the rnn encoder"):
        check(config)
    with pytest.raises(ConfigError, match="model.encoder: the transformer reads word sequences"):
        check(load_config("rnn-digits", ["model.encoder=transformer"]))


# --------------------------------------------------------------------------------------------
# Forecasting end to end (tiny), Jena's file format
# --------------------------------------------------------------------------------------------


def test_forecast_run_scores_against_persistence_and_draws_the_plot(tmp_path, monkeypatch):
    def second_pass(*args, **kwargs):
        raise AssertionError("the report predicted the test split again")

    # The forecast's MAE and plot come from the driver's test pass, not a second prediction.
    monkeypatch.setattr(predicting, "predict", second_pass)
    run_dir, metrics = train(tiny("rnn", tmp_path, "model.units=[8]"))
    assert metrics["task"] == "regression"
    assert set(metrics["test"]) == set(metrics["baseline"]) == {"loss", "mae"}
    forecast = metrics["forecast"]
    assert forecast["persistence"] == "last value"
    assert forecast["persistence_test_mae"]["last value"] == pytest.approx(
        metrics["baseline"]["mae"], rel=1e-5
    )
    assert forecast["test_mae"] == pytest.approx(metrics["test"]["mae"], rel=1e-4)
    assert 3.0 < metrics["baseline"]["mae"] < 4.0  # °C, not normalised units
    assert forecast["test_from"].startswith("2015-01-01")
    assert (run_dir / "forecast.png").stat().st_size > 10_000
    assert (run_dir / "logs" / "train").is_dir()


def test_jena_format_loads_with_dlwp_windows(tmp_path):
    path = keras_files.write_jena_climate(tmp_path)
    data = load("rnn-jena", f"data.path={path}")
    train_part, test = data.x_train, data.x_test
    assert train_part.shape[1:] == (120, 14) and train_part.delay == 858
    assert train_part.rows_per_day == 144
    assert str(train_part.times[0]).startswith("2009-01-01T00:10")
    total = len(train_part.series)
    assert train_part.rows[-1] < data.x_val.rows[0] < test.rows[0]
    assert test.rows[-1] == total - 1 and len(test) == round(total * 0.25)
    # The target is 24 hours after each window's last hour.
    ends = test.times[test.row_index - test.ahead]
    assert np.all(test.target_times - ends == np.timedelta64(24, "h"))
    assert set(persistence(test)) == {"last value"}  # = the same time yesterday
    config = tiny("rnn-jena", tmp_path, f"data.path={path}", "data.batch_size=64")
    assert np.isfinite(check(config)["loss_after_one_step"])


# --------------------------------------------------------------------------------------------
# Sequence classification: IMDB word indices, masking, the transformer, raw text
# --------------------------------------------------------------------------------------------


def test_imdb_sequences_are_padded_word_indices(tmp_path):
    path = keras_files.write_imdb(tmp_path)
    data = load("rnn-imdb", f"data.path={path}", "data.sequence_length=12")
    assert data.x_train.shape == (30, 12) and data.x_train.dtype == np.int32
    assert np.all(data.x_train[:, 0] == 1)  # Keras' start character
    lengths = (data.x_train > 0).sum(axis=1)
    for row, length in zip(data.x_train, lengths, strict=True):
        assert np.all(row[:length] > 0) and np.all(row[length:] == 0)  # padded at the end
    assert data.x_test.max() <= data.x_train.max()
    assert data.class_names == ["negative", "positive"]


@pytest.mark.parametrize("encoder", ["rnn", "transformer"])
def test_padding_is_masked_and_models_reload_in_safe_mode(tmp_path, encoder):
    path = keras_files.write_imdb(tmp_path)
    config = tiny(
        "rnn-imdb",
        tmp_path,
        f"data.path={path}",
        "data.sequence_length=16",
        f"model.encoder={encoder}",
        "model.units=[8]",
        "model.embedding_dim=8",
        "model.dropout=0",
    )
    data = RNN.dataset(config)
    model = RNN.build_model(holdout(data, config.data, 0, True), config.model)
    x = data.x_test[:4]
    before = model.predict(x, verbose=0)
    embedding = model.get_layer("embedding")
    table = embedding.token_embeddings if encoder == "transformer" else embedding
    weights = keras.ops.convert_to_numpy(table.embeddings).copy()
    weights[0] = 100.0  # whatever the padding embeds to, a masked model ignores it
    table.embeddings.assign(weights)
    np.testing.assert_allclose(model.predict(x, verbose=0), before, atol=1e-5)
    model.save(tmp_path / "model.keras")
    again = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_allclose(again.predict(x, verbose=0), before, atol=1e-5)


@pytest.mark.slow
def test_text_folder_trains_and_predicts_raw_lines(tmp_path):
    corpus = user_files.reviews_folder(tmp_path / "reviews", per_class=80)
    run_dir, metrics = train(
        tiny(
            "rnn-imdb",
            tmp_path / "runs",
            "data.dataset=text_folder",
            f"data.path={corpus}",
            "data.num_words=64",
            "data.sequence_length=20",
            "model.units=[16]",
            "model.embedding_dim=16",
            "model.dropout=0",
            "optimizer.learning_rate=0.01",
            "trainer.epochs=8",
        )
    )
    assert metrics["test"]["accuracy"] >= 0.9 > metrics["baseline"]["accuracy"]
    lines = tmp_path / "new.txt"
    rng = np.random.default_rng(7)
    lines.write_text("\n".join(user_files.review(rng, positive=p) for p in (1, 0, 1, 0)))
    rows = list(csv.DictReader(io.StringIO(predict(str(run_dir), [str(lines)]))))
    assert [row["label"] for row in rows] == ["pos", "neg", "pos", "neg"]


# --------------------------------------------------------------------------------------------
# The default configs at their default epochs (`make test-full`)
# --------------------------------------------------------------------------------------------


@pytest.mark.quality
def test_rnn_default_beats_persistence_by_5_percent_within_3_minutes(tmp_path):
    started = time.monotonic()
    _, metrics = train(load_config("rnn", ["trainer.verbose=0", f"output.dir={tmp_path}"]))
    assert time.monotonic() - started < 180
    assert metrics["test"]["mae"] <= 0.95 * metrics["baseline"]["mae"]


@pytest.mark.quality
def test_rnn_digits_reads_rows_to_097(tmp_path):
    config = load_config("rnn-digits", ["trainer.verbose=0", f"output.dir={tmp_path}"])
    _, metrics = train(config)
    assert metrics["test"]["accuracy"] >= 0.97
