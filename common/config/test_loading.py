"""Config loading: defaults, extends, overrides, and one clear error per kind of mistake in the
config itself. (Fast unit tests; the CLI's answers and the data room's checks live in tests/.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from common.config import PROJECT_ROOT, config_names, load_config, recipe_names, to_yaml
from common.errors import ConfigError, UserError


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
    path.write_text(to_yaml(config))
    again = load_config(str(path))
    assert again == config


def test_every_shipped_config_validates():
    for name in config_names():
        config = load_config(name)
        assert config.recipe in recipe_names()


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
        (["recipe=binari"], "recipe", "Did you mean 'binary'?"),
        (["distribute.strategy=mirroed"], "distribute.strategy", "Did you mean 'mirrored'?"),
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


def test_project_root_holds_the_briefs_layout():
    root = Path(PROJECT_ROOT)
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
