"""`tuner.tune` stopped by Ctrl-C or SIGTERM: once the sweep folder is known the stop is a
`RunStopped` that names it (the CLI's resume hint); before, it stays a bare interrupt."""

from __future__ import annotations

import pytest

from common.config import load_config
from common.errors import RunStopped, Terminated
from common.tuning import tuner


def raises(stop: BaseException):
    def stopped(*args, **kwargs):
        raise stop

    return stopped


@pytest.fixture
def config(tmp_path):
    return load_config("binary", [f"output.dir={tmp_path}"])


@pytest.mark.parametrize(
    ("stop", "terminated"), [(KeyboardInterrupt(), False), (Terminated(), True)]
)
def test_a_stop_in_a_known_sweep_folder_names_it(monkeypatch, config, tmp_path, stop, terminated):
    monkeypatch.setattr(tuner.startup, "set_up", raises(stop))
    with pytest.raises(RunStopped) as error:
        tuner.tune(config, tmp_path / "tune-x")
    assert error.value.run_dir == tmp_path / "tune-x"
    assert error.value.command == "tune" and error.value.terminated is terminated


def test_a_stop_once_a_new_sweep_folder_exists_names_it(monkeypatch, config):
    monkeypatch.setattr(tuner.startup, "set_up", lambda config: None)
    monkeypatch.setattr(tuner, "run_sweep", raises(KeyboardInterrupt()))
    with pytest.raises(RunStopped) as error:
        tuner.tune(config)
    assert error.value.run_dir.name.startswith("tune-")
    assert (error.value.run_dir / "config.yaml").is_file()


def test_a_stop_before_any_sweep_folder_stays_an_interrupt(monkeypatch, config):
    monkeypatch.setattr(tuner.startup, "set_up", raises(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        tuner.tune(config)
