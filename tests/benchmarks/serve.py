"""`make bench ARGS="--only serve"`: `cookbook serve` under 1, 4 and 16 concurrent clients.

A binary run on a messy breast-cancer CSV (gaps, a text column) is served on 127.0.0.1; each
client thread posts one-row requests in a loop for `--seconds` (30) per level. Measured:
requests/s, rows/s, p50/p99 latency, errors (must be 0) and the server's peak RSS (VmHWM);
beside it, the same rows through the loaded model in this process (`model.predict` at the
server's batch size, and one row per `predict_on_batch`), the ceiling the HTTP layer is
measured against. BENCHMARKS.md gets the table between its serve markers.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from tests.benchmarks.against_plain import machine_line
from tests.test_serve import csv_rows, server
from tests.user_files import messy_breast_cancer

MARKERS = ("<!-- serve:start -->", "<!-- serve:end -->")
LEVELS = (1, 4, 16)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(url: str, instances: list[dict], clients: int, seconds: float) -> dict[str, float]:
    """`clients` threads posting one-row requests for `seconds`."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(offset: int) -> None:
        with httpx.Client(timeout=30) as session:
            index = offset
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    ok = session.post(url, json={"instances": [instances[index % len(instances)]]})
                    good = ok.status_code == 200
                except httpx.HTTPError:
                    good = False
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed) if good else None
                    errors[0] += not good
                index += clients

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "clients": clients,
        "requests_s": len(ordered) / wall,
        "rows_s": len(ordered) / wall,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "errors": errors[0],
    }


def in_process(run_dir: Path, instances: list[dict], seconds: float) -> dict[str, float]:
    """The same rows through the model in this process: batched, and one row a call."""
    from common.modeling import predicting
    from common.serving import server as serving

    served = serving.served_run(str(run_dir))
    rows = served.reader.read(instances)
    batch = {k: np.concatenate([v] * 8) for k, v in rows.items()}  # 64 rows
    predicting.predict_batch(served.model, batch, 64)
    count, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds / 3:
        predicting.predict_batch(served.model, batch, 64)
        count += 64
    batched = count / (time.perf_counter() - began)
    one = {k: v[:1] for k, v in rows.items()}
    served.model.predict_on_batch(one)
    count, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds / 3:
        served.model.predict_on_batch(one)
        count += 1
    return {"batched_rows_s": batched, "single_rows_s": count / (time.perf_counter() - began)}


def markdown(results: list[dict], local: dict[str, float], rss: float, seconds: float) -> str:
    lines = [
        MARKERS[0],
        "",
        f'`make bench ARGS="--only serve"` ({seconds:g} s per level; '
        f"{machine_line(seconds * len(LEVELS) / 60)}): a binary",
        "run on a messy CSV (30 numeric columns with gaps, one text column) served by",
        "`cookbook serve`; each client posts one-row requests in a loop.",
        "",
        "| clients | requests/s | rows/s | p50 ms | p99 ms | errors |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['clients']} | {r['requests_s']:,.0f} | {r['rows_s']:,.0f} | "
            f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} |"
        )
    lines += [
        "",
        f"Server peak RSS {rss:,.0f} MiB. In-process, the same rows: "
        f"{local['batched_rows_s']:,.0f} rows/s through `predict_on_batch` at 64 rows, "
        f"{local['single_rows_s']:,.0f} rows/s one row a call.",
        "",
        MARKERS[1],
    ]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> None:
    from common.training.driver import train
    from tests.conftest import tiny

    scratch = Path(tempfile.mkdtemp(prefix="cookbook-bench-serve-"))
    data = messy_breast_cancer(scratch / "tumours.csv")
    overrides = ("data.dataset=csv", f"data.path={data}", "data.target=diagnosis")
    run_dir, _ = train(tiny("binary", scratch / "runs", *overrides, "trainer.reference=false"))
    instances = csv_rows(data, 64)
    seconds = args.seconds
    results = []
    with server(run_dir) as (base, process):
        url = f"{base}/v1/models/binary:predict"
        for clients in LEVELS:
            results.append(load(url, instances, clients, seconds))
            print(results[-1], flush=True)
        rss = peak_rss_mib(process.pid)
    local = in_process(run_dir, instances, seconds)
    block = markdown(results, local, rss, seconds)
    print(block)
    output: Path = args.output
    text = output.read_text(encoding="utf-8") if output.is_file() else ""
    if MARKERS[0] in text:
        before, rest = text.split(MARKERS[0], 1)
        text = before + block + rest.split(MARKERS[1], 1)[1]
    else:
        text = text.rstrip() + "\n\n## Serving\n\n" + block + "\n"
    output.write_text(text, encoding="utf-8")
