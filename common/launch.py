"""Start a multi-worker cluster on this machine: N worker processes on 127.0.0.1, each with a
generated TF_CONFIG, all training into one run folder, their logs merged into one stream.

It is the way to use several local devices with MultiWorkerMirroredStrategy, or to try a
multi-worker config before a real cluster (where Kubernetes or Slurm sets TF_CONFIG instead).
If any worker dies, the others would wait forever in their next collective, so the launcher
stops them, says which worker died and how to resume.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

GRACE_SECONDS = 10


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def tf_config(cluster: dict[str, list[str]], index: int) -> str:
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


def _stream(name: str, process: subprocess.Popen) -> None:
    for line in process.stdout:
        sys.stdout.write(f"[{name}] {line}")
        sys.stdout.flush()


def _describe_exit(code: int) -> str:
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + GRACE_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def launch(run_dir: Path, workers: int) -> int:
    """Train the run folder's config.yaml on `workers` local workers; 0 when all finish."""
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(workers)]}
    command = [sys.executable, "-m", "common.cli", "train", "--run-dir", str(run_dir)]
    processes, threads = [], []
    print(f"Launching {workers} workers on 127.0.0.1 into {run_dir}", flush=True)
    for index in range(workers):
        environment = {**os.environ, "TF_CONFIG": tf_config(cluster, index), "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        processes.append(process)
        thread = threading.Thread(target=_stream, args=(f"worker {index}", process), daemon=True)
        thread.start()
        threads.append(thread)
    try:
        while True:
            codes = [process.poll() for process in processes]
            failed = [(i, code) for i, code in enumerate(codes) if code not in (None, 0)]
            if failed:
                index, code = failed[0]
                stop(processes)
                for thread in threads:
                    thread.join(timeout=5)
                print(
                    f"\nworker {index} {_describe_exit(code)}; stopped the other workers.\n"
                    f"Continue from the last finished epoch with:\n"
                    f"  cookbook train --resume {run_dir} --workers {workers}",
                    file=sys.stderr,
                )
                return 1
            if all(code == 0 for code in codes):
                for thread in threads:
                    thread.join(timeout=5)
                return 0
            time.sleep(0.2)
    except KeyboardInterrupt:
        stop(processes)
        raise
