"""Config loading: defaults, extends, overrides, and one clear error per kind of mistake."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from common import config as config_module
from common.config import load_config
from common.errors import ConfigError, UserError
from tests.conftest import cookbook


def test_defaults_then_yaml_then_overrides():
    config = load_config(
        "binary", ["trainer.epochs=3", "model.units=[64,64]", "optimizer.learning_rate=3e-4"]
    )
    assert config.recipe == "binary" and config.name == "binary"
    assert config.trainer.epochs == 3
    assert config.model.units == [64, 64]
    assert config.optimizer.learning_rate == pytest.approx(3e-4)
    assert config.data.dataset == "breast_cancer"  # from the YAML
    assert config.trainer.reduce_on_plateau.factor == 0.5  # schema default


def test_extends_merges_sections_and_keeps_the_variant_name():
    config = load_config("binary-imdb")
    assert config.name == "binary-imdb"
    assert config.data.dataset == "imdb" and config.model.units == [16, 16]
    assert config.model.activation == "relu"  # inherited from binary.yaml
    assert config.optimizer.name == "adam"


def test_resolved_config_round_trips(tmp_path):
    config = load_config("regression", ["trainer.epochs=7"])
    path = tmp_path / "config.yaml"
    path.write_text(config_module.to_yaml(config))
    again = load_config(str(path))
    assert again == config


def test_every_shipped_config_validates():
    for name in config_module.config_names():
        config = load_config(name)
        assert config.recipe in config_module.recipe_names()


@pytest.mark.parametrize(
    ("overrides", "key", "fragment"),
    [
        (["trainer.epochz=3"], "trainer.epochz", "Did you mean 'epochs'?"),
        (["model.unitz=[8]"], "model.unitz", "Did you mean 'units'?"),
        (["trainer.epochs=abc"], "trainer.epochs", "expected int, got 'abc'"),
        (["model.units=8"], "model.units", "expected a list"),
        (["trainer.epochs=-1"], "trainer.epochs", "at least 1"),
        (["model.dropout=1.0"], "model.dropout", "below 1.0"),
        (["data.test_split=1.5"], "data.test_split", "below 1.0"),
        (
            ["optimizer.name=adamm"],
            "optimizer.name",
            "Did you mean 'adam'? Valid: sgd, rmsprop, adam, adamw",
        ),
        (["trainer.loss=hubr"], "trainer.loss", "Did you mean 'huber'?"),
        (["data.dataset=digitz"], "data.dataset", "Did you mean 'digits'?"),
        (["recipe=binari"], "recipe", "Did you mean 'binary'?"),
        (["distribute.strategy=mirroed"], "distribute.strategy", "Did you mean 'mirrored'?"),
        (["data.dataset=csv"], "data.path", "needs a file"),
        (["optimizer.weight_decay=0.01"], "optimizer.weight_decay", "adamw only"),
        (
            ["trainer.reduce_on_plateau.enabled=true", "optimizer.schedule.name=cosine"],
            "trainer.reduce_on_plateau.enabled",
            "schedule",
        ),
    ],
)
def test_config_mistakes_name_the_key_and_the_fix(overrides, key, fragment):
    with pytest.raises(ConfigError) as error:
        load_config("binary", overrides)
    assert error.value.key == key
    assert fragment in str(error.value)


def test_missing_csv_and_missing_target_column(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(
            "binary", ["data.dataset=csv", f"data.path={tmp_path / 'nope.csv'}", "data.target=y"]
        )
    table = tmp_path / "table.csv"
    table.write_text("a,b,label\n1,2,0\n3,4,1\n")
    with pytest.raises(ConfigError) as error:
        load_config("binary", ["data.dataset=csv", f"data.path={table}", "data.target=labl"])
    assert error.value.key == "data.target"
    assert "Did you mean 'label'?" in str(error.value)


def test_malformed_yaml_reports_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("recipe: binary\ntrainer:\n  epochs: 3\n bad: [1, 2\n")
    with pytest.raises(UserError, match=r"broken\.yaml:4:\d+: malformed YAML"):
        load_config(str(path))


def test_extends_cycle_and_unknown_config(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nrecipe: binary\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(UserError, match="cycle"):
        load_config(str(tmp_path / "a.yaml"))
    with pytest.raises(UserError, match="Did you mean 'binary'"):
        load_config("binry")
    with pytest.raises(UserError, match="config file not found"):
        load_config(str(tmp_path / "missing.yaml"))


def test_bad_override_syntax():
    with pytest.raises(UserError, match="section.key=value"):
        load_config("binary", ["trainer.epochs"])
    with pytest.raises(ConfigError, match="is a value, not a section"):
        load_config("binary", ["seed.value=3"])


def test_yaml_is_loaded_safely(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("recipe: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(UserError, match="malformed YAML"):
        load_config(str(path))


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


def test_project_root_holds_the_briefs_layout():
    root = Path(config_module.PROJECT_ROOT)
    for entry in (
        "pyproject.toml",
        "Makefile",
        "README.md",
        "recipes",
        "configs",
        "common",
        "tests",
    ):
        assert (root / entry).exists(), entry
