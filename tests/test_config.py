"""Configs as `cookbook` loads them: the data room's checks beside the config's own, and the
command line's answers — fast, exit code 2, no traceback. (The loader's own unit tests sit
beside it: common/config/test_*.py.)"""

from __future__ import annotations

import time

import pytest
import yaml

from common.cli.configs import load
from common.config import load_config
from common.errors import ConfigError
from tests.conftest import cookbook


@pytest.mark.parametrize(
    ("overrides", "key", "fragment"),
    [
        (["data.dataset=digitz"], "data.dataset", "Did you mean 'digits'?"),
        (["data.dataset=csv"], "data.path", "needs a file"),
        (
            ["tune.space={data.dataset: {choice: [digits, digitz]}}"],
            "tune.space.data.dataset",
            "the value digitz does not fit: data.dataset: unknown dataset 'digitz'",
        ),
    ],
)
def test_data_mistakes_name_the_key_and_the_fix(overrides, key, fragment):
    load_config("binary", overrides)  # the config's own checks pass: these are the data's
    with pytest.raises(ConfigError) as error:
        load("binary", overrides)
    assert error.value.key == key
    assert fragment in str(error.value)


def test_missing_csv_and_missing_target_column(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load("binary", ["data.dataset=csv", f"data.path={tmp_path / 'nope.csv'}", "data.target=y"])
    table = tmp_path / "table.csv"
    table.write_text("a,b,label\n1,2,0\n3,4,1\n")
    with pytest.raises(ConfigError) as error:
        load("binary", ["data.dataset=csv", f"data.path={table}", "data.target=labl"])
    assert error.value.key == "data.target"
    assert "Did you mean 'label'?" in str(error.value)


# ---- the command line, as a user meets it: fast answers, exit code 2, no traceback ----------


def test_help_is_instant():
    started = time.perf_counter()
    result = cookbook("--help")
    elapsed = time.perf_counter() - started
    assert result.returncode == 0 and "train" in result.stdout
    assert elapsed < 1.0, f"cookbook --help took {elapsed:.2f}s"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["show", "binary", "trainer.epochz=3"],
            "trainer.epochz: unknown key. Did you mean 'epochs'?",
        ),
        (["show", "binary", "data.dataset=digitz"], "Did you mean 'digits'?"),
        (["train", "binry"], "Did you mean 'binary'?"),
        (["check", "binary", "optimizer.name=adamm"], "Valid: sgd, rmsprop, adam, adamw."),
        (["train", "--resume", "/nonexistent/run"], "is not a run folder"),
    ],
)
def test_cli_errors_exit_2_quickly_without_traceback(args, fragment):
    started = time.perf_counter()
    result = cookbook(*args)
    elapsed = time.perf_counter() - started
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert elapsed < 1.0, f"{args} took {elapsed:.2f}s"


def test_list_and_show(tmp_path):
    listed = cookbook("list")
    assert listed.returncode == 0
    for name in ("binary", "multiclass", "regression", "binary-imdb", "regression-boston"):
        assert name in listed.stdout
    shown = cookbook("show", "binary", "trainer.epochs=3")
    assert shown.returncode == 0
    resolved = yaml.safe_load(shown.stdout)
    assert resolved["trainer"]["epochs"] == 3 and resolved["recipe"] == "binary"
    # What `show` prints is itself a config that trains as it stands.
    path = tmp_path / "shown.yaml"
    path.write_text(shown.stdout)
    assert load_config(str(path)).trainer.epochs == 3
