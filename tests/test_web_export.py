"""`cookbook export RUN --format web`: real runs converted, the page opened from file:// in
headless Chromium, and the browser's `cookbookPredict` on sample_inputs.json held to best.keras's
own predictions on the same inputs (max abs difference <= 1e-3).

The fast suite exports the shared binary run (numbers in) and a one-epoch convnet on the 8x8
digits, and checks the refusals. The slow one trains a tiny convnet on an image folder (its
sample inputs, and a file through the page's picker against `cookbook predict`), tables from
CSVs with gaps, multiclass and regression runs, and sees a model with text lookups refused
through the CLI in one line.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

from common.config import load_config
from common.errors import UserError
from common.serving import web_runtime
from common.serving.inference import open_finished
from common.serving.inputs import model_kind
from common.serving.instances import Reader
from common.serving.web_export import browser_kind, export
from common.training.driver import train
from tests.conftest import cookbook, tiny
from tests.user_files import digit_images, messy_breast_cancer

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
TOLERANCE = 1e-3


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium with its console log kept; a missing browser or runtime is a failure,
    not a skip (CI installs both: apt-get, and `make web-runtime`)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: `apt-get install chromium chromium-driver`")
    from selenium import webdriver  # lazy: only once the browser's files are there
    from selenium.webdriver.chrome.service import Service  # lazy: as webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(120)
    yield driver
    driver.quit()


def export_web(run_dir: Path) -> Path:
    try:
        web_runtime.find()
    except UserError as error:
        pytest.fail(f"{error} (CI runs `make web-runtime`)", pytrace=False)
    return export(str(run_dir))


def opened(driver, folder: Path) -> dict:
    """The page loaded from file://, its self-check finished: no console errors, nothing it
    asked the network for, the check's result."""
    driver.get((folder / "index.html").resolve().as_uri())
    check = driver.execute_async_script(
        "window.cookbookReady.then(() => arguments[0](window.cookbookCheck))"
    )
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == [], severe
    fetched = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(u => !u.startsWith('file:') && !u.startsWith('blob:') && !u.startsWith('data:'))"
    )
    assert fetched == []
    return check


def browser_predictions(driver, instances: list) -> np.ndarray:
    answer = driver.execute_async_script(
        "cookbookPredict(arguments[0]).then(arguments[1], e => arguments[1]({error: String(e)}))",
        instances,
    )
    assert not isinstance(answer, dict), answer
    return np.asarray(answer, dtype="float64")


def keras_predictions(run_dir: Path, instances: list) -> np.ndarray:
    """best.keras on the same instances, read the way `cookbook serve` reads them."""
    _, config, _, model = open_finished(str(run_dir))
    kind = model_kind(model, config)
    x = np.asarray(instances, "float32") if kind == "image" else Reader(model, kind).read(instances)
    return np.asarray(model.predict_on_batch(x), dtype="float64")


def max_difference(driver, run_dir: Path) -> float:
    """The issue's check: cookbookPredict on sample_inputs.json against best.keras."""
    folder = run_dir / "export" / "web"
    check = opened(driver, folder)
    assert check["count"] == len(json.loads((folder / "sample_inputs.json").read_text()))
    instances = json.loads((folder / "sample_inputs.json").read_text(encoding="utf-8"))
    in_browser = browser_predictions(driver, instances)
    kept = keras_predictions(run_dir, instances)
    assert in_browser.shape == kept.shape
    assert check["maxAbsDiff"] <= TOLERANCE, check
    return float(np.max(np.abs(in_browser - kept)))


# --------------------------------------------------------------------------------------------
# Fast: the shared binary run, and the refusals
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rows_run(binary_run, tmp_path_factory) -> Path:
    """A copy of the shared binary run (breast cancer as 30 numbers), exported for the web."""
    run_dir = tmp_path_factory.mktemp("web-rows") / binary_run[0].name
    shutil.copytree(binary_run[0], run_dir)
    export_web(run_dir)
    return run_dir


def test_a_number_rows_model_predicts_in_the_browser_as_best_keras_does(rows_run, browser):
    assert max_difference(browser, rows_run) <= TOLERANCE
    folder = rows_run / "export" / "web"
    names = {p.name for p in folder.iterdir()}
    assert {"index.html", "model.onnx", "ort.wasm.min.js", "sample_inputs.json"} <= names
    instances = json.loads((folder / "sample_inputs.json").read_text(encoding="utf-8"))
    assert len(instances) >= 2 and all(len(row) == 30 for row in instances)
    # Fields filled from the first sample, and a prediction shown with both classes.
    assert browser.find_element("id", "fields").is_displayed()
    assert "%" in browser.find_element("id", "output").text
    # Scored like every export: the ONNX model on the whole test split, beside best.keras.
    formats = json.loads((rows_run / "export" / "metrics.json").read_text())["formats"]
    assert formats["web"]["file"] == "export/web/model.onnx"
    assert formats["web"]["test"]["accuracy"] == pytest.approx(
        formats["keras"]["test"]["accuracy"], abs=1e-6
    )


@pytest.fixture(scope="module")
def image_run(tmp_path_factory) -> Path:
    """A tiny convnet on the 8x8 digits (one epoch, one convolution per block), exported."""
    overrides = ("trainer.epochs=1", "model.convolutions=1", "trainer.reference=false")
    run_dir, _ = train(tiny("convnet", tmp_path_factory.mktemp("web-image"), *overrides))
    export_web(run_dir)
    return run_dir


@pytest.mark.slow
def test_a_convnet_predicts_in_the_browser_as_best_keras_does(image_run, browser):
    assert max_difference(browser, image_run) <= TOLERANCE
    instances = json.loads((image_run / "export" / "web" / "sample_inputs.json").read_text())
    assert np.asarray(instances).shape[1:] == (8, 8, 1)  # pixel arrays, as the model takes them
    assert browser.find_element("id", "picker").is_displayed()
    shown = browser.find_elements("css selector", "#output tr")
    assert len(shown) == 10  # a probability per class


def test_cookbook_predict_names_a_bad_instance(rows_run, browser):
    opened(browser, rows_run / "export" / "web")
    answer = browser.execute_async_script(
        "cookbookPredict([[1, 2, 3]]).then(arguments[0], e => arguments[0]({error: String(e)}))"
    )
    assert "instance 0 holds 3 numbers; the model takes 30" in answer["error"]
    answer = browser.execute_async_script(  # "NA" is a gap, as `cookbook predict` reads it,
        "cookbookPredict([['NA'].concat(Array(29).fill(1))])"  # which an array model refuses
        ".then(() => arguments[0]({}), e => arguments[0]({error: String(e)}))"
    )
    assert "instance 0, value 0 is empty" in answer["error"]
    answer = browser.execute_async_script(
        "cookbookPredict([['big'].concat(Array(29).fill(1))])"
        ".then(() => arguments[0]({}), e => arguments[0]({error: String(e)}))"
    )
    assert '"big", not a number' in answer["error"]


def test_string_lookups_are_refused_in_one_line_pointing_to_serve(tmp_path):
    clinic = keras.Input(shape=(1,), name="clinic", dtype="string")
    size = keras.Input(shape=(1,), name="size")
    lookup = keras.layers.StringLookup(vocabulary=["North", "South"], output_mode="one_hot")
    joined = keras.layers.Concatenate()([lookup(clinic), size])
    model = keras.Model({"clinic": clinic, "size": size}, keras.layers.Dense(1)(joined))
    with pytest.raises(UserError) as refused:
        browser_kind(model, load_config("binary"), "binary", tmp_path)
    message = str(refused.value)
    assert "\n" not in message and "StringLookup" in message and "cookbook serve" in message


def test_a_missing_runtime_says_how_to_get_it(tmp_path):
    with pytest.raises(UserError) as missing:
        web_runtime.find(str(tmp_path))
    message = str(missing.value)
    assert "\n" not in message and "make web-runtime" in message and "--runtime" in message


def test_runtime_without_web_is_refused_before_tensorflow_starts(rows_run):
    result = cookbook("export", str(rows_run), "--runtime", "somewhere")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: --runtime needs --format web: cookbook export RUN --format web --runtime DIR."
    )


# --------------------------------------------------------------------------------------------
# Slow: images, tables from CSVs, other tasks, the CLI
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_image_folder_convnet_predicts_in_the_browser_and_through_the_picker(tmp_path, browser):
    """16x16 PNGs trained at 12x12: the picker's decoding and resizing (in JavaScript) must
    land where `cookbook predict`'s (TensorFlow's) does."""
    folder = digit_images(tmp_path / "digits", per_class=12, size=16)
    overrides = (
        "data.dataset=image_folder",
        f"data.path={folder}",
        "data.color_mode=grayscale",
        "data.image_size=[12,12]",
        "trainer.epochs=1",
        "trainer.reference=false",
    )
    run_dir, _ = train(tiny("convnet", tmp_path / "runs", *overrides))
    result = cookbook("export", str(run_dir), "--format", "web")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "index.html" in result.stdout.splitlines()[-1]
    assert max_difference(browser, run_dir) <= TOLERANCE
    instances = json.loads((run_dir / "export" / "web" / "sample_inputs.json").read_text())
    assert np.asarray(instances).shape[1:] == (12, 12, 1)

    image = sorted(folder.glob("3/*.png"))[0]
    predicted = cookbook("predict", str(run_dir), str(image))
    (row,) = csv.DictReader(io.StringIO(predicted.stdout))
    browser.execute_script("document.getElementById('output').textContent = ''")
    browser.find_element("id", "picker").send_keys(str(image.resolve()))
    browser.execute_async_script(
        "const done = arguments[0]; const wait = () => document.getElementById('output')"
        ".textContent.includes('%') ? done() : setTimeout(wait, 50); setTimeout(wait, 50);"
    )
    cells = browser.execute_script(
        "return [...document.querySelectorAll('#output tr')].map(r => "
        "[...r.querySelectorAll('td')].slice(0, 2).map(c => c.textContent))"
    )
    shown = {label: float(p) for label, p in cells}
    assert sorted(shown) == [str(k) for k in range(10)]
    for label in shown:
        assert shown[label] == pytest.approx(float(row[label]), abs=2e-3)


@pytest.mark.slow
@pytest.mark.parametrize(
    "recipe, overrides",
    [
        ("multiclass", ()),
        ("regression", ()),
        ("binary", ("data.dataset=csv", "data.target=diagnosis")),  # numbers with gaps
    ],
)
def test_table_models_predict_in_the_browser(recipe, overrides, tmp_path, browser):
    if "data.dataset=csv" in overrides:
        table = messy_breast_cancer(tmp_path / "tumours.csv")
        numeric = tmp_path / "numeric.csv"
        numeric.write_text(
            "\n".join(",".join(row[:3] + row[4:]) for row in csv.reader(table.open())) + "\n"
        )
        overrides = (*overrides, f"data.path={numeric}")
    run_dir, _ = train(tiny(recipe, tmp_path / "runs", *overrides, "trainer.reference=false"))
    export_web(run_dir)
    assert max_difference(browser, run_dir) <= TOLERANCE
    if recipe == "binary":
        instances = json.loads((run_dir / "export" / "web" / "sample_inputs.json").read_text())
        assert "mean_radius" in instances[0] and "clinic" not in instances[0]


@pytest.mark.slow
def test_a_table_with_text_categories_is_refused_by_the_cli_in_one_line(tmp_path):
    table = messy_breast_cancer(tmp_path / "tumours.csv")
    overrides = ("data.dataset=csv", f"data.path={table}", "data.target=diagnosis")
    run_dir, _ = train(tiny("binary", tmp_path / "runs", *overrides, "trainer.reference=false"))
    result = cookbook("export", str(run_dir), "--format", "web")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: the browser cannot run this model's StringLookup")
    assert "'clinic'" in line and f"cookbook serve {run_dir}" in line
    assert not (run_dir / "export" / "web").exists()
