"""Run folders: one per run, never shared, and enough inside to resume, reload and compare.

    runs/<config name>/<UTC time>-<short id>/
        config.yaml        the resolved config; `cookbook train that/config.yaml` trains it again
        environment.json   versions, devices, strategy, replicas, seed
        logs/              TensorBoard: train/ and validation/ scalars, the model graph
        best.keras         best epoch by `trainer.monitor`;  last.keras: as training ended
        backup/            BackupAndRestore state while a run is unfinished (for --resume)
        history.csv        one row per finished epoch
        metrics.json       test metrics beside the baseline's (and per-fold scores for K-fold)
        learning_curve.png
    runs/<config name>/latest -> the newest run

KerasTuner sweeps (`common.tuning.tuner`) live beside the runs, in
`runs/<config name>/tune-<time>-<id>/`; `runs/<config name>/latest-tune` points at the newest.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from common import config as config_module
from common.config.schema import Config
from common.errors import UserError

ACTIVE: Path | None = None  # the folder this process trains or sweeps into (for resume hints)


def new_run_dir(config: Config, prefix: str = "") -> Path:
    """Create a fresh folder; the random suffix keeps runs started in the same second apart.

    `prefix` names another kind of folder in the same group: sweeps are `tune-<time>-<id>`, and
    `latest-tune` points at the newest one, so `latest` stays a training run."""
    group = Path(config.output.dir) / config.name
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    while True:
        run_dir = group / f"{prefix}{stamp}-{secrets.token_hex(3)}"
        try:
            run_dir.mkdir(parents=True, exist_ok=False)
            break
        except FileExistsError:
            continue
    point_latest(run_dir, f"latest-{prefix.strip('-')}" if prefix else "latest")
    global ACTIVE
    ACTIVE = run_dir
    return run_dir


def is_sweep(folder: Path) -> bool:
    """A KerasTuner sweep folder (`tune-<time>-<id>`), as opposed to a training run."""
    return folder.name.startswith("tune-") or (folder / "keras_tuner").is_dir()


def point_latest(run_dir: Path, name: str = "latest") -> None:
    """Atomically repoint `<group>/<name>` at `run_dir` (a relative symlink). Anything called
    `name` there that is not a symlink is the user's, and is left alone."""
    link = run_dir.parent / name
    if link.exists() and not link.is_symlink():
        return
    temporary = run_dir.parent / f".latest-{secrets.token_hex(4)}"
    temporary.symlink_to(run_dir.name)
    os.replace(temporary, link)


def write_config(run_dir: Path, config: Config) -> None:
    (run_dir / "config.yaml").write_text(config_module.to_yaml(config), encoding="utf-8")


def open_run(run_dir: str | Path) -> tuple[Path, Config]:
    """An existing run folder and its resolved config, for --resume, evaluate and export."""
    run_dir = Path(run_dir)
    if run_dir.is_symlink():
        run_dir = run_dir.resolve()
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise UserError(f"{run_dir} is not a run folder (no config.yaml in it).")
    raw = config_module.read_yaml(config_path)
    global ACTIVE
    ACTIVE = run_dir
    return run_dir, config_module.from_dict(raw, name=raw.get("name", ""))


def write_text(path: Path, text: str) -> None:
    """Atomically: a temporary file, then a rename, so a kill never leaves half a file."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_labels(run_dir: Path) -> list[str] | None:
    """The class names a run was trained with, in label order (None: not a classifier)."""
    path = run_dir / "labels.txt"
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8").splitlines()


def read_history(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def backup_epoch(backup_dir: Path) -> int:
    """Epochs BackupAndRestore has finished and saved (0 when there is no backup)."""
    metadata = backup_dir / "training_metadata.json"
    if not metadata.is_file():
        return 0
    return int(json.loads(metadata.read_text(encoding="utf-8"))["epoch"])


def trim_history(path: Path, epochs: int) -> None:
    """Drop history rows past the backup: a kill between CSVLogger's write and the backup's
    leaves one row that the resumed run will write again."""
    rows = read_history(path)
    kept = [row for row in rows if int(row["epoch"]) < epochs]
    if len(kept) == len(rows):
        return
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
