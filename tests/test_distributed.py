"""Multi-worker training on 127.0.0.1 with real worker processes, the Keras 3 compatibility
fixes it needs, and the clear errors for strategies that cannot run here."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tensorflow as tf

from common.config import load_config
from common.distribute import compat, launch
from common.errors import ConfigError, UserError
from common.reporting import run_files
from tests.conftest import COOKBOOK, PROJECT_ROOT, tiny

# Small settings that keep a two-worker epoch short: few, large batches (each step is a
# collective over gRPC, which costs far more than the arithmetic of these tiny models).
FAST = [
    "trainer.verbose=2",
    "trainer.early_stopping.enabled=false",
    "data.batch_size=128",
    "output.plot=false",
    "data.validation_split=0.2",  # binary's default has none; these tests check val logs too
    "trainer.reference=false",  # the chief's summary would have a column the others lack
]


def summaries(output: str) -> dict[str, dict[str, float]]:
    """The test-metric table each worker printed, by worker."""
    tables: dict[str, dict[str, float]] = {}
    for worker, name, value in re.findall(
        r"\[(worker \d)\]\s+(\w+)\s+(-?[\d.]+)\s+-?[\d.]+\n", output
    ):
        tables.setdefault(worker, {})[name] = float(value)
    return tables


def start_cluster(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*COOKBOOK, "train", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_compat_is_version_guarded():
    assert compat.is_verified("3.15.1") and not compat.is_verified("3.16.0")
    assert compat.patch_keras() is True  # the pinned Keras is a verified one


@pytest.mark.slow
def test_plain_keras_fit_fails_on_two_workers_without_the_fixes():
    """The reason compat exists: Keras 3.15 `fit()` under MultiWorkerMirroredStrategy fails.
    (With the fixes, the launcher tests below train two workers in sync.) If a Keras release
    fixes this, this test fails: widen compat.VERIFIED or retire the patch."""
    script = str(Path(__file__).with_name("multi_worker_script.py"))
    ports = ",".join(map(str, launch.free_ports(2)))
    workers = [
        subprocess.Popen(
            [sys.executable, script, str(i), ports, "0"],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for i in range(2)
    ]
    results = [worker.communicate(timeout=180)[0].strip().splitlines()[-1] for worker in workers]
    assert all(line.startswith("FAILED ValueError") for line in results), results


@pytest.mark.slow
def test_two_workers_train_binary_in_sync_and_only_the_chief_writes(tmp_path):
    cluster = start_cluster(
        "binary", "--workers", "2", f"output.dir={tmp_path}", "trainer.epochs=2", *FAST
    )
    output, _ = cluster.communicate(timeout=240)
    assert cluster.returncode == 0, output[-3000:]
    tables = summaries(output)
    assert set(tables) == {"worker 0", "worker 1"}
    assert tables["worker 0"] == tables["worker 1"], "both workers report the same test metrics"

    run_dir = (tmp_path / "binary" / "latest").resolve()
    environment = json.loads((run_dir / "environment.json").read_text())
    assert environment["strategy"] == "MultiWorkerMirroredStrategy" and environment["replicas"] == 2
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] == pytest.approx(tables["worker 0"]["accuracy"], abs=1e-4)
    # The chief's folder is complete, and nothing else was written there.
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "best.keras",
        "config.yaml",
        "environment.json",
        "history.csv",
        "labels.txt",
        "last.keras",
        "logs",
        "metrics.json",
        "test_predictions.csv",
    ]
    assert sorted(p.name for p in (run_dir / "logs").iterdir()) == [
        "train",
        "validation",
        "verdict",
    ]
    assert len(run_files.read_history(run_dir / "history.csv")) == 2
    assert len(list((tmp_path / "binary").iterdir())) == 2  # the run and `latest`, nothing else


def worker_pid(run_dir: Path, index: int) -> int:
    """The pid of worker `index` of the cluster training into `run_dir` (from its TF_CONFIG)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(run_dir).encode() not in command:
            continue
        for variable in environ:
            is_config = variable.startswith(b"TF_CONFIG=")
            if is_config and json.loads(variable[len(b"TF_CONFIG=") :])["task"]["index"] == index:
                return int(entry.name)
    raise LookupError(f"no worker {index} for {run_dir}")


@pytest.mark.slow
def test_a_killed_worker_stops_the_cluster_and_resume_continues_on_every_worker(tmp_path):
    epochs = 8
    cluster = start_cluster(
        "multiclass", "--workers", "2", f"output.dir={tmp_path}", f"trainer.epochs={epochs}", *FAST
    )
    group = tmp_path / "multiclass"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        history = group / "latest" / "history.csv"
        if history.exists() and len(run_files.read_history(history)) >= 2:
            break
        time.sleep(0.1)
    run_dir = (group / "latest").resolve()
    os.kill(worker_pid(run_dir, 1), signal.SIGKILL)
    output, _ = cluster.communicate(timeout=120)
    assert cluster.returncode == 1
    assert "worker 1 was killed by SIGKILL; stopped the other processes" in output
    assert f"cookbook train --resume {run_dir} --workers 2" in output
    finished = len(run_files.read_history(run_dir / "history.csv"))
    assert 2 <= finished < epochs and not (run_dir / "metrics.json").exists()

    resumed = start_cluster("--resume", str(run_dir), "--workers", "2")
    output, _ = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, output[-3000:]
    for worker in ("worker 0", "worker 1"):
        first = int(re.search(rf"\[{worker}\] Epoch (\d+)/{epochs}", output).group(1))
        assert first > 1, f"{worker} resumed from a finished epoch, not from zero"
    assert [int(row["epoch"]) for row in run_files.read_history(run_dir / "history.csv")] == list(
        range(epochs)
    )
    tables = summaries(output)
    assert tables["worker 0"] == tables["worker 1"]
    assert tables["worker 0"]["accuracy"] > 0.5  # ten balanced classes: chance is 0.1
    assert not (run_dir / "backup").exists()


@pytest.mark.slow
def test_tpu_and_parameter_server_give_clear_errors(tmp_path):
    from common.distribute.strategies import make_strategy

    # "local" looks for TPU chips on this host only: no network address is contacted.
    with pytest.raises(UserError, match=r"distribute.tpu='local': no TPU found \(TPUs not found"):
        make_strategy(
            tiny("binary", tmp_path, "distribute.strategy=tpu", "distribute.tpu=local").distribute
        )
    with pytest.raises(ConfigError, match="set the TPU address"):
        make_strategy(tiny("binary", tmp_path, "distribute.strategy=tpu").distribute)
    with pytest.raises(ConfigError, match="parameter_server is not supported"):
        make_strategy(tiny("binary", tmp_path, "distribute.strategy=parameter_server").distribute)


def test_auto_resolves_from_the_environment(tmp_path, monkeypatch):
    from common.distribute.strategies import resolve_name

    config = load_config("binary").distribute
    assert resolve_name(config) == "default"
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["127.0.0.1:1"]}}))
    assert resolve_name(config) == "multi_worker"
    assert resolve_name(load_config("binary", ["distribute.tpu=local"]).distribute) == "tpu"


def test_tpu_gets_bfloat16_and_every_device_many_steps_per_execution_unless_set():
    from common.distribute.strategies import resolve_trainer_defaults

    on_tpu = load_config("binary").trainer
    resolve_trainer_defaults(on_tpu, "tpu")
    assert (on_tpu.precision, on_tpu.steps_per_execution) == ("mixed_bfloat16", 32)
    on_cpu = load_config("binary").trainer
    resolve_trainer_defaults(on_cpu, "default")
    assert (on_cpu.precision, on_cpu.steps_per_execution) == ("float32", 32)
    replicated = load_config("binary").trainer
    resolve_trainer_defaults(replicated, "multi_worker")
    assert replicated.steps_per_execution == 1
    chosen = load_config(
        "binary", ["trainer.precision=float32", "trainer.steps_per_execution=8"]
    ).trainer
    resolve_trainer_defaults(chosen, "tpu")
    assert (chosen.precision, chosen.steps_per_execution) == ("float32", 8)


def test_one_device_strategy(tmp_path):
    from common.training.driver import check

    summary = check(tiny("binary", tmp_path, "distribute.strategy=one_device"))
    assert summary["strategy"] == "OneDeviceStrategy" and summary["replicas"] == 1


@pytest.mark.skipif(
    bool(tf.config.list_physical_devices("GPU")), reason="resolves differently with a GPU"
)
def test_cpu_runs_resolve_xla_off_and_backups_by_time_clusters_every_epoch():
    """On this CPU (TensorFlow): `jit_compile: auto` is off, multiclass's measured `true` is
    kept on one device and dropped for replicas (XLA has no CPU all-reduce); backups every
    30 s on one device, every epoch in a cluster, as given when set."""
    from common.distribute.strategies import BACKUP_INTERVAL, resolve_trainer_defaults

    single = load_config("binary").trainer
    resolve_trainer_defaults(single, "default")
    assert (single.jit_compile, single.backup_interval) == (False, BACKUP_INTERVAL)
    wide = load_config("multiclass").trainer
    resolve_trainer_defaults(wide, "default")
    assert wide.jit_compile is True
    cluster = load_config("multiclass").trainer
    resolve_trainer_defaults(cluster, "multi_worker")
    assert (cluster.jit_compile, cluster.backup_interval) == (False, 0.0)
    chosen = load_config("binary", ["trainer.backup_interval=5"]).trainer
    resolve_trainer_defaults(chosen, "default")
    assert chosen.backup_interval == 5.0
    resolve_trainer_defaults(chosen, "multi_worker")
    assert chosen.backup_interval == 0.0
