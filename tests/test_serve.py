"""`cookbook serve`: a real uvicorn process on 127.0.0.1 answering TensorFlow Serving's REST
requests with the same numbers as `cookbook predict`, batching concurrent requests, refusing
bad payloads without falling over, and draining on SIGTERM."""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from common.training.driver import train
from tests.conftest import COOKBOOK, PROJECT_ROOT, cookbook, tiny
from tests.user_files import digit_images, messy_breast_cancer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def server(run_dir: Path, *args: str):
    """`cookbook serve RUN` in its own process, yielded with its base URL once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [*COOKBOOK, "serve", str(run_dir), "--port", str(port), *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise AssertionError(process.stderr.read()[-3000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/", timeout=1).status_code < 500:
                    break
            time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    """A binary run on a messy CSV (gaps, a text column, labels as text)."""
    root = tmp_path_factory.mktemp("serve-table")
    data = messy_breast_cancer(root / "tumours.csv")
    overrides = ("data.dataset=csv", f"data.path={data}", "data.target=diagnosis")
    run_dir, _ = train(tiny("binary", root / "runs", *overrides, "trainer.reference=false"))
    return run_dir, data


def csv_rows(path: Path, count: int) -> list[dict]:
    """The first `count` rows as a client would send them: numbers as numbers, gaps as null."""
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))[:count]
    instances = []
    for row in rows:
        row.pop("diagnosis")
        instance = {}
        for column, value in row.items():
            if column == "clinic":
                instance[column] = value or None
            else:
                instance[column] = float(value) if value else None
        instances.append(instance)
    return instances


@pytest.mark.slow
def test_a_table_run_answers_as_predict_does(table_run, tmp_path):
    run_dir, data = table_run
    instances = csv_rows(data, 8)
    (tmp_path / "eight.csv").write_text("".join(data.read_text().splitlines(True)[:9]))
    predicted = cookbook("predict", str(run_dir), str(tmp_path / "eight.csv"))
    assert predicted.returncode == 0, predicted.stderr
    expected = list(csv.DictReader(io.StringIO(predicted.stdout)))
    name = run_dir.parent.name
    # Requests wait up to 300 ms for company: the SIGTERM below lands while they are queued.
    with server(run_dir, "--max-wait-ms", "300") as (base, process):
        status = httpx.get(f"{base}/v1/models/{name}").json()
        assert status["model_version_status"][0]["state"] == "AVAILABLE"
        answer = httpx.post(f"{base}/v1/models/{name}:predict", json={"instances": instances})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["labels"] == [row["label"] for row in expected]
        for output, row in zip(body["predictions"], expected, strict=True):
            assert output[0] == pytest.approx(float(row["malignant"]), abs=1e-5)

        # Bad payloads: a 400 naming the problem, and the server goes on serving.
        url = f"{base}/v1/models/{name}:predict"
        bad = httpx.post(url, content=b"{not json")
        assert bad.status_code == 400 and "not JSON" in bad.json()["error"]
        missing = dict(instances[0])
        missing.pop("clinic")
        answer = httpx.post(url, json={"instances": [instances[0], missing]})
        assert answer.status_code == 400 and "instance 1 lacks the columns 'clinic'" in answer.text
        unknown = {**instances[0], "patient_id": 7}
        answer = httpx.post(url, json={"instances": [unknown]})
        assert "columns the model does not take: 'patient_id'" in answer.json()["error"]
        answer = httpx.post(
            url, json={"instances": [{**instances[0], "clinic": None, "mean_radius": "big"}]}
        )
        assert answer.status_code == 400 and "'mean_radius' is 'big', not a number" in answer.text
        marked = {**instances[0], "mean_radius": "NA"}  # a gap, as `cookbook predict` reads it
        assert httpx.post(url, json={"instances": [marked]}).status_code == 200
        assert httpx.post(url, json={"rows": []}).status_code == 400
        huge = httpx.post(url, content=b" " * (17 * 2**20))
        assert huge.status_code == 413
        assert httpx.post(url, json={"instances": instances[:1]}).status_code == 200

        # Concurrent clients share model calls: 32 one-row requests, fewer calls than requests.
        before = httpx.get(f"{base}/v1/models/{name}/metadata").json()["stats"]["model_calls"]
        with ThreadPoolExecutor(16) as pool:
            answers = list(
                pool.map(
                    lambda i: httpx.post(url, json={"instances": [instances[i % 8]]}), range(32)
                )
            )
        assert all(a.status_code == 200 for a in answers)
        assert [a.json()["labels"][0] for a in answers[:8]] == body["labels"]
        calls = (
            httpx.get(f"{base}/v1/models/{name}/metadata").json()["stats"]["model_calls"] - before
        )
        assert calls < 32

        # SIGTERM with requests in flight: each is answered, then a clean exit.
        with ThreadPoolExecutor(8) as pool:
            pending = [
                pool.submit(httpx.post, url, json={"instances": instances}) for _ in range(8)
            ]
            time.sleep(0.2)  # connected and queued in the batcher
            process.send_signal(signal.SIGTERM)
            answered = [future.result() for future in pending]
        assert all(a.status_code == 200 for a in answered)
        assert process.wait(timeout=30) == 0


@pytest.mark.slow
def test_an_image_run_takes_base64_files(tmp_path):
    folder = digit_images(tmp_path / "digits", per_class=12, size=16)
    overrides = ("data.dataset=image_folder", f"data.path={folder}", "data.color_mode=grayscale")
    run_dir, _ = train(tiny("convnet", tmp_path / "runs", *overrides, "trainer.reference=false"))
    images = sorted(folder.glob("3/*.png"))[:3]
    predicted = cookbook("predict", str(run_dir), *map(str, images))
    expected = [row["label"] for row in csv.DictReader(io.StringIO(predicted.stdout))]
    instances = [{"b64": base64.b64encode(p.read_bytes()).decode()} for p in images]
    with server(run_dir) as (base, _):
        url = f"{base}/v1/models/convnet:predict"
        answer = httpx.post(url, json={"instances": instances})
        assert answer.status_code == 200, answer.text
        assert answer.json()["labels"] == expected
        assert answer.json()["class_names"] == [str(k) for k in range(10)]
        broken = httpx.post(
            url, json={"instances": [{"b64": base64.b64encode(b"GIF89a..").decode()}]}
        )
        assert broken.status_code == 400 and "instance 0: not an image" in broken.text
        assert httpx.post(url, json={"instances": ["a string"]}).status_code == 400


def test_another_host_needs_a_token(binary_run, monkeypatch):
    run_dir, _ = binary_run
    refused = cookbook("serve", str(run_dir), "--host", "0.0.0.0")
    assert refused.returncode == 2 and "give a token (--token or COOKBOOK_TOKEN)" in refused.stderr
    with server(run_dir, "--host", "0.0.0.0", "--token", "s3cret") as (base, _):
        url = f"{base}/v1/models/binary"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer s3cret"}).status_code == 200
