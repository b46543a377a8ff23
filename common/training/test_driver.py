"""`driver.train` stopped by Ctrl-C or SIGTERM: once the run folder is known the stop is a
`RunStopped` that names it (the CLI's resume hint); before, it stays a bare interrupt."""

from __future__ import annotations

import pytest

from common.config import load_config
from common.errors import RunStopped, Terminated
from common.training import driver


def raises(stop: BaseException):
    def stopped(*args, **kwargs):
        raise stop

    return stopped


@pytest.fixture
def config(tmp_path):
    return load_config("binary", [f"output.dir={tmp_path}", "trainer.epochs=1"])


def test_a_stop_in_training_names_the_new_run_folder(config, tmp_path, monkeypatch):
    monkeypatch.setattr(driver, "train_and_score", raises(KeyboardInterrupt()))
    with pytest.raises(RunStopped) as stop:
        driver.train(config)
    assert stop.value.command == "train" and not stop.value.terminated
    assert stop.value.run_dir == (tmp_path / "binary" / "latest").resolve()
    assert (stop.value.run_dir / "config.yaml").is_file()  # kept: it resumes


def test_a_resumed_run_is_named_from_the_start(config, tmp_path, monkeypatch):
    monkeypatch.setattr(driver, "set_up", raises(Terminated()))
    with pytest.raises(RunStopped) as stop:
        driver.train(config, tmp_path / "run")
    assert stop.value.run_dir == tmp_path / "run" and stop.value.terminated


def test_a_stop_before_there_is_a_run_folder_stays_an_interrupt(config, monkeypatch):
    monkeypatch.setattr(driver, "set_up", raises(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        driver.train(config)
