"""The series reference: an autoregression of changes that follows a trend and a season."""

from __future__ import annotations

import numpy as np

from common.config import load_config
from common.data.splits import holdout
from common.data.windows import mean_absolute_errors, persistence
from common.reporting import series_reference
from common.training.recipe import load_recipe


def test_an_autoregression_of_log_ratios_beats_the_seasonal_naive_forecast(tmp_path):
    months = np.arange(180)
    rng = np.random.default_rng(0)
    values = (100 + 2.5 * months) * (1 + 0.2 * np.sin(2 * np.pi * months / 12))
    values = values + rng.normal(0, 3, len(months))
    dates = np.datetime64("2000-01") + months
    path = tmp_path / "monthly.csv"
    rows = [f"{d}-01,{v:.2f}" for d, v in zip(dates, values, strict=True)]
    path.write_text("month,value\n" + "\n".join(rows) + "\n")
    overrides = ["data.dataset=timeseries_csv", f"data.path={path}", "data.target=value"]
    config = load_config("rnn", overrides)
    rnn = load_recipe("rnn")
    data = rnn.dataset(config)
    split = holdout(data, config.data, config.seed, rnn.stratify)
    result = series_reference.fit_reference(split, data.x_test)
    naive = mean_absolute_errors(persistence(data.x_test), data.x_test.y)
    assert result["reference"]["mae"] < 0.8 * min(naive.values())
    assert result["reference"]["loss"] > 0
    # The fingerprint names the data and the windows: another horizon is another reference.
    again = load_config("rnn", [*overrides, "data.horizon=2"])
    other = rnn.dataset(again)
    assert series_reference.fingerprint(split, data.x_test) != series_reference.fingerprint(
        holdout(other, again.data, again.seed, rnn.stratify), other.x_test
    )
