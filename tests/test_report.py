"""`cookbook report` and `cookbook runs` on real runs, checked in a real headless browser.

Each report is opened from disk in Debian's chromium (through selenium and chromedriver), as a
user would open it: the page must load with no console errors, every <img> must decode, the
screenshot must not be blank, and the sections the run calls for must be there. Runs are tiny
(2 epochs) and trained in-process one at a time; the CLI itself runs in fresh processes, which
also shows that neither command imports TensorFlow.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from common.reporting.report import write_report
from common.training.driver import train
from tests.conftest import cookbook, tiny

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


# --------------------------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Headless chromium with its console log kept. Missing browser: a failure, not a skip —
    CI installs it (`apt-get install chromium chromium-driver`)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        pytest.fail(
            f"the report tests need a headless browser; missing {', '.join(missing)}: "
            "`apt-get install chromium chromium-driver`",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1200,1600")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def open_in_browser(driver, page: Path) -> set[str]:
    """Load `page` from disk and check what any page must pass; returns its section classes."""
    import numpy as np
    from PIL import Image

    driver.get(page.resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    broken = driver.execute_script(
        "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.alt)"
    )
    assert broken == [], f"images that did not load in {page}: {broken}"
    assert driver.execute_script("return document.images.length") > 0
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == [], f"browser console errors on {page}: {severe}"
    external = driver.execute_script(
        "return [...document.querySelectorAll('[src],[href]')]"
        ".map(e => e.getAttribute('src') || e.getAttribute('href'))"
        ".filter(u => !u.startsWith('data:') && !u.startsWith('#'))"
    )
    assert external == [], f"the report is not self-contained: {external}"
    pixels = np.asarray(Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB"))
    colours = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert pixels.std() > 10 and colours > 50, f"blank screenshot of {page}"
    return set(
        driver.execute_script(
            "return [...document.querySelectorAll('section')].map(s => s.className)"
        )
    )


def figure_captions(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('figcaption')].map(c => c.textContent)"
    )


# --------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory):
    """A K-fold regression run: two folds, then the final model."""
    output = tmp_path_factory.mktemp("regression-run")
    overrides = ("data.split=kfold", "data.folds=2", "trainer.reference=false")
    run_dir, _ = train(tiny("regression", output, *overrides))
    return run_dir


@pytest.fixture(scope="module")
def binary_group(binary_run, tmp_path_factory):
    """runs/binary/ with two finished runs (the shared one, moved in, and a new one), an
    unfinished one, a failed one, a sweep folder and the `latest` link. The unfinished and
    failed runs are copies of a finished one in the state a kill or a crash leaves (no
    metrics.json), since they only have to be listed."""
    output = tmp_path_factory.mktemp("runs")
    group = output / "binary"
    first = group / binary_run[0].name
    shutil.copytree(binary_run[0], first)
    second, _ = train(tiny("binary", output, "model.units=[8]", "trainer.reference=false"))
    (second / "test_predictions.csv").unlink()  # as a run from before the file was written
    for name in ("20000101T000000Z-unfini", "20000101T000000Z-failed"):
        shutil.copytree(first, group / name)
        (group / name / "metrics.json").unlink()
    failed = {"reason": "NaN loss at epoch 2", "at": "2000-01-01T00:00:00Z"}
    (group / "20000101T000000Z-failed" / "failed.json").write_text(json.dumps(failed))
    (group / "tune-20000101T000000Z-abcdef").mkdir()
    shutil.copy(first / "config.yaml", group / "tune-20000101T000000Z-abcdef")
    return group, first, second


# --------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------


def imported_modules(result: subprocess.CompletedProcess) -> set[str]:
    """Top-level packages a process imported, from its `-X importtime` lines on stderr."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip().split(".")[0] for line in lines[1:]}


def cookbook_timed(*args: str) -> subprocess.CompletedProcess:
    """`cookbook ARGS` in a fresh process with `python -X importtime`'s report on stderr."""
    result = cookbook(*args, env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    heavy = imported_modules(result) & {"tensorflow", "keras", "tf_keras"}
    assert not heavy, f"`cookbook {args[0]}` imported {heavy}: it only reads files"
    return result


def test_binary_report_in_the_browser(binary_run, browser):
    run_dir, metrics = binary_run
    result = cookbook_timed("report", str(run_dir))
    assert "matplotlib" in imported_modules(result)  # the importtime report was read
    page = Path(result.stdout.strip())
    assert page == run_dir / "report.html"
    sections = open_in_browser(browser, page)
    expected = {"verdict", "metrics", "learning-curves", "config", "environment"}
    expected |= {"confusion-matrix", "per-class", "roc", "precision-recall"}
    assert expected <= sections, f"missing: {expected - sections}"
    assert "residuals" not in sections
    text = browser.find_element("tag name", "body").text
    # The verdict comes first, in words and colour: green (fine) or amber (beats the baseline,
    # something to act on), never red for a run that beats its baseline.
    verdict = metrics["verdict"]
    box = browser.find_element("css selector", "section.verdict .verdict-box")
    assert box.get_attribute("class").split()[-1] == (
        "good" if verdict["diagnosis"] == "fine" else "warn"
    )
    assert box.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
    assert verdict["diagnosis"] in text and verdict["next_steps"][0] in text
    first = browser.find_element("css selector", "section")
    assert first.get_attribute("class") == "verdict"
    for column in ("test", "baseline", "reference"):
        assert f"{metrics[column]['accuracy']:.4f}" in text, column
    assert f"reference ({metrics['reference_model']})" in text
    assert "malignant" in text and "benign" in text  # labels.txt names the classes
    assert "learning_curve.png" not in figure_captions(browser)  # redrawn, not repeated


def test_kfold_regression_report_shows_folds_and_residuals(regression_run, browser):
    page = write_report([str(regression_run)], None)
    assert page == regression_run / "report.html"
    sections = open_in_browser(browser, page)
    expected = {"metrics", "kfold", "learning-curves", "residuals", "config", "environment"}
    assert expected <= sections, f"missing: {expected - sections}"
    assert not {"roc", "confusion-matrix"} & sections
    rows = browser.find_elements("css selector", "section.kfold tbody tr")
    assert [row.text.split()[0] for row in rows if row.text.startswith("fold")] == [
        "fold-1",
        "fold-2",
    ]
    assert "folds/*/history.csv" in figure_captions(browser)


@pytest.mark.slow
def test_autoencoder_report_shows_the_recipe_pictures(tmp_path, browser):
    run_dir, _ = train(tiny("autoencoder", tmp_path))
    sections = open_in_browser(browser, write_report([str(run_dir)], None))
    assert {"metrics", "learning-curves", "pictures", "recipe-scores"} <= sections
    assert "predictions" not in sections  # not a classifier or regressor
    captions = figure_captions(browser)
    assert "reconstructions.png" in captions and "latent.png" in captions
    frames = [c for c in captions if c.startswith("reconstructions/")]
    assert frames == ["reconstructions/epoch_002.png (last of 2 per-epoch frames)"], captions


@pytest.mark.slow
def test_gan_report_shows_samples_and_quality_scores(tmp_path, browser):
    overrides = ("model.classifier_epochs=1", "model.quality_samples=100")
    run_dir, _ = train(tiny("gan", tmp_path, *overrides))
    sections = open_in_browser(browser, write_report([str(run_dir)], None))
    assert {"learning-curves", "pictures", "recipe-scores"} <= sections
    captions = figure_captions(browser)
    assert "samples.png" in captions
    assert [c for c in captions if c.startswith("samples/")] == [
        "samples/epoch_002.png (last of 2 per-epoch frames)"
    ]
    assert "inception_score" in browser.find_element("css selector", "section.recipe-scores").text


@pytest.mark.slow
def test_multiclass_report_names_classes_and_tables_the_exports(tmp_path, browser):
    run_dir, _ = train(tiny("multiclass", tmp_path, "trainer.reference=false"))
    exported = cookbook("export", str(run_dir), "--format", "tflite", "--quantize", "int8")
    assert exported.returncode == 0, exported.stderr[-3000:]
    sections = open_in_browser(browser, write_report([str(run_dir)], None))
    assert {"confusion-matrix", "per-class", "export"} <= sections
    assert not {"roc", "residuals"} & sections  # ROC and PR are drawn for two classes only
    classes = browser.find_elements("css selector", "section.per-class tbody tr td:first-child")
    assert [cell.text for cell in classes][:10] == [str(digit) for digit in range(10)]
    formats = browser.find_elements("css selector", "section.export tbody tr td:first-child")
    assert [cell.text for cell in formats] == ["keras", "tflite-int8"]


# --------------------------------------------------------------------------------------------
# Several runs
# --------------------------------------------------------------------------------------------


def test_group_report_compares_finished_runs(binary_group, browser, tmp_path):
    group, first, second = binary_group
    page = write_report([str(group)], str(tmp_path / "compared.html"))
    sections = open_in_browser(browser, page)
    assert "comparison" in sections
    rows = browser.find_elements("css selector", "section.comparison tbody tr")
    assert [row.text.split()[1] for row in rows] == [first.name, second.name]
    assert all("accuracy" in row.text and "finished" in row.text for row in rows)
    assert len(browser.find_elements("css selector", "div.run")) == 2  # no sweep, no unfinished
    assert "roc" in sections  # the first run's
    second_run = browser.find_element("css selector", "#run-2-predictions").text
    assert "no test predictions recorded" in second_run
    assert "validation loss of each run" in figure_captions(browser)


def test_report_of_two_runs_goes_to_the_current_folder(
    binary_run, regression_run, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert write_report([str(binary_run[0]), str(regression_run)], None) == Path("report.html")
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "2 runs compared" in text and 'class="residuals"' in text and 'class="roc"' in text


def test_failed_run_reports_its_reason(binary_group, browser):
    group, *_ = binary_group
    page = write_report([str(group / "20000101T000000Z-failed")], None)
    open_in_browser(browser, page)
    status = browser.find_element("css selector", ".status").text
    assert status == "failed: NaN loss at epoch 2"


# --------------------------------------------------------------------------------------------
# `cookbook runs`
# --------------------------------------------------------------------------------------------


def test_runs_lists_finished_unfinished_and_failed(binary_group):
    group, first, second = binary_group
    result = cookbook_timed("runs", "--root", str(group.parent))
    lines = result.stdout.splitlines()
    assert lines[0].split()[:5] == ["run", "config", "recipe", "metric", "model"]
    by_folder = {line.split()[0]: line for line in lines[1:]}
    assert set(by_folder) == {
        str(first),
        str(second),
        str(group / "20000101T000000Z-unfini"),
        str(group / "20000101T000000Z-failed"),
    }  # not `latest`, not the sweep
    metrics = json.loads((first / "metrics.json").read_text())
    assert f"accuracy  {metrics['test']['accuracy']:.4f}" in by_folder[str(first)]
    assert by_folder[str(first)].endswith("finished")
    assert by_folder[str(group / "20000101T000000Z-unfini")].endswith("unfinished")
    assert by_folder[str(group / "20000101T000000Z-failed")].endswith("failed: NaN loss at epoch 2")
    only = cookbook("runs", "binary", "--root", str(group.parent))
    assert only.stdout == result.stdout


def test_runs_with_nothing_to_list_says_how_to_train(tmp_path):
    result = cookbook("runs", "--root", str(tmp_path))
    assert result.returncode == 0
    assert result.stdout.strip() == (
        f"no runs under {tmp_path}; train one with `cookbook train binary`."
    )


# --------------------------------------------------------------------------------------------
# Mistakes: one line, exit code 2, no traceback
# --------------------------------------------------------------------------------------------


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_mistakes_are_one_line_errors(binary_group, tmp_path):
    group, *_ = binary_group
    unfinished = str(group / "20000101T000000Z-unfini")
    assert_one_line_error(cookbook("report", str(tmp_path / "nowhere")), "nowhere not found")
    assert_one_line_error(
        cookbook("report", str(tmp_path)), f"{tmp_path} is not a run folder (no config.yaml)"
    )
    assert_one_line_error(
        cookbook("report", unfinished), "unfinished", f"cookbook train --resume {unfinished}"
    )
    assert_one_line_error(
        cookbook("report", str(group / "tune-20000101T000000Z-abcdef")), "KerasTuner sweep"
    )
    empty = tmp_path / "empty-group"
    shutil.copytree(group / "20000101T000000Z-unfini", empty / "20000101T000000Z-unfini")
    assert_one_line_error(cookbook("report", str(empty)), "holds no finished runs")
    assert_one_line_error(cookbook("runs", "--root", str(tmp_path / "nowhere")), "not found")
