"""`cookbook tune binary --workers 2`: a KerasTuner chief and N workers on this machine.

Each is a `cookbook tune --resume <sweep> --chief|--worker i` process, so they share one sweep
folder and one config; they talk over gRPC on 127.0.0.1 and a free port. Workers exit when the
oracle has no trials left; the chief then writes the leaderboard and best.yaml. The process
group (output streaming, stopping all when one fails) is `common.distribute.launch.run_group`.
"""

from __future__ import annotations

from pathlib import Path

from common.distribute.launch import COOKBOOK, HOST, free_ports, run_group


def launch(sweep_dir: Path, workers: int, port: int | None = None) -> int:
    """Run the chief and `workers` workers of the sweep in `sweep_dir`: 0 when all finish,
    1 when one fails (the others are stopped), 130 on Ctrl-C."""
    port = port or free_ports(1)[0]
    command = [*COOKBOOK, "tune", "--resume", str(sweep_dir), "--oracle-ip", HOST, f"--port={port}"]
    commands = {"chief": ([*command, "--chief"], {})}
    commands.update(
        {f"worker {i}": ([*command, "--worker", str(i)], {}) for i in range(1, workers + 1)}
    )
    print(
        f"Sweep folder: {sweep_dir}\nOracle: {HOST}:{port}; starting the chief and "
        f"{workers} worker(s).",
        flush=True,
    )
    return run_group(commands, f"cookbook tune --resume {sweep_dir} --workers {workers}")
