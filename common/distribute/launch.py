"""Run a group of local processes as one job: a multi-worker training cluster
(`cookbook train --workers N`) or a distributed KerasTuner sweep (`cookbook tune --workers N`).

Each process's output is streamed with its role in front of every line. If one process dies,
the others would wait forever (in their next collective, or for the oracle), so the group is
stopped, and the message says which process died and the command that continues the job.
No TensorFlow here: this only starts and watches processes.
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

HOST = "127.0.0.1"
GRACE_SECONDS = 10
COOKBOOK = [sys.executable, "-m", "common.cli"]


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for probe in sockets:
            probe.bind((HOST, 0))
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def _stream(role: str, process: subprocess.Popen) -> None:
    for line in process.stdout:
        sys.stdout.write(f"[{role}] {line}")
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


def run_group(commands: dict[str, tuple[list[str], dict[str, str]]], resume: str) -> int:
    """Start `{role: (argv, extra environment)}` and watch them: 0 when all finish, 1 when one
    fails (the rest are stopped), 130 on Ctrl-C. `resume` is the command that continues."""
    processes: dict[str, subprocess.Popen] = {}
    for role, (argv, environment) in commands.items():
        processes[role] = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **environment, "PYTHONUNBUFFERED": "1"},
        )
    streams = [
        threading.Thread(target=_stream, args=item, daemon=True) for item in processes.items()
    ]
    for thread in streams:
        thread.start()
    try:
        while True:
            failed = [
                (role, p.poll()) for role, p in processes.items() if p.poll() not in (None, 0)
            ]
            if failed:
                role, code = failed[0]
                stop(list(processes.values()))
                for thread in streams:
                    thread.join(timeout=5)
                print(
                    f"\n{role} {_describe_exit(code)}; stopped the other processes.\n"
                    f"Continue from where it stopped with:\n  {resume}",
                    file=sys.stderr,
                )
                return 1
            if all(p.poll() == 0 for p in processes.values()):
                for thread in streams:
                    thread.join(timeout=5)
                return 0
            time.sleep(0.2)
    except KeyboardInterrupt:
        stop(list(processes.values()))
        print(f"\ninterrupted; continue with:\n  {resume}", file=sys.stderr)
        return 130


def tf_config(cluster: dict[str, list[str]], index: int) -> str:
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


def launch_training(run_dir: Path, workers: int) -> int:
    """Train the run folder's config.yaml on `workers` MultiWorkerMirroredStrategy workers on
    127.0.0.1, each with a generated TF_CONFIG."""
    cluster = {"worker": [f"{HOST}:{port}" for port in free_ports(workers)]}
    argv = [*COOKBOOK, "train", "--run-dir", str(run_dir)]
    print(f"Launching {workers} workers on {HOST} into {run_dir}", flush=True)
    commands = {f"worker {i}": (argv, {"TF_CONFIG": tf_config(cluster, i)}) for i in range(workers)}
    return run_group(commands, f"cookbook train --resume {run_dir} --workers {workers}")
