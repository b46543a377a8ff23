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

import contextlib
import csv
import json
import os
import secrets
import shutil
import time
from pathlib import Path

from common import config as config_module
from common.config.schema import Config
from common.errors import UserError
from common.reporting.run_files import atomic_path, read_history, write_json, write_text


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
    return run_dir


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
    write_text(run_dir / "config.yaml", config_module.to_yaml(config))


PROGRESS = ("backup", "history.csv", "logs", "folds", "best.keras", "last.keras", "failed.json")


def clear_progress(run_dir: Path) -> None:
    """Forget what a run has trained (`--restart`): its config and folder stay."""
    for name in PROGRESS:
        path = run_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def mark_failed(run_dir: Path, reason: str) -> None:
    """Leave the reason in the run folder (`cookbook runs` shows it; --resume clears it)."""
    write_json(
        run_dir / "failed.json",
        {"reason": reason, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
    )


def remove_unstarted(run_dir: Path, previous_latest: str | None) -> None:
    """A run that failed before its first epoch holds nothing worth keeping: remove it and
    point `latest` back where it was."""
    shutil.rmtree(run_dir, ignore_errors=True)
    link = run_dir.parent / "latest"
    if link.is_symlink() and os.readlink(link) == run_dir.name:
        if previous_latest and (run_dir.parent / previous_latest).is_dir():
            point_latest(run_dir.parent / previous_latest)
        else:
            link.unlink()
    with contextlib.suppress(OSError):  # the config's group folder, if this was its only run
        run_dir.parent.rmdir()


def latest_target(group: Path, name: str = "latest") -> str | None:
    link = group / name
    return os.readlink(link) if link.is_symlink() else None


def open_run(run_dir: str | Path) -> tuple[Path, Config]:
    """An existing run folder and its resolved config, for --resume, evaluate and export."""
    run_dir = Path(run_dir)
    if run_dir.is_symlink():
        run_dir = run_dir.resolve()
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise UserError(f"{run_dir} is not a run folder (no config.yaml in it).")
    raw = config_module.read_yaml(config_path)
    return run_dir, config_module.from_dict(raw, name=raw.get("name", ""))


def backup_epoch(backup_dir: Path, run_dir: Path | None = None) -> int:
    """Epochs BackupAndRestore has finished and saved (0 when there is no backup). Keras writes
    the backup in place, keeping the previous one as `.bkp` copies; a kill in the middle of a
    write leaves the pair to fall back on, which is then put back in place. `run_dir`: the run
    the error for a backup past repair names (None: the backup folder)."""
    metadata = backup_dir / "training_metadata.json"
    if not metadata.is_file():
        return 0
    try:
        return read_epoch(metadata)
    except (ValueError, KeyError, TypeError) as error:
        previous = backup_dir / "training_metadata.json.bkp"
        weights = backup_dir / "latest.weights.h5.bkp"
        try:
            epoch = read_epoch(previous)
        except (OSError, ValueError, KeyError, TypeError):
            raise damaged_backup(run_dir, backup_dir, error) from None
        if weights.is_file():
            shutil.copyfile(weights, backup_dir / "latest.weights.h5")
        shutil.copyfile(previous, metadata)
        return epoch


def read_epoch(metadata: Path) -> int:
    return int(json.loads(metadata.read_text(encoding="utf-8"))["epoch"])


def damaged_backup(run_dir: Path | None, backup_dir: Path, error: BaseException) -> UserError:
    """The error for a backup that cannot be read, offering to train `run_dir` (None: the
    backup folder) again from its first epoch."""
    return UserError(
        f"the backup in {backup_dir} cannot be read ({type(error).__name__}); "
        f"`cookbook train --resume {run_dir or backup_dir} --restart` trains this run again "
        "from epoch 1."
    )


def trim_history(path: Path, epochs: int) -> None:
    """Keep the rows of the epochs the backup holds, rewritten atomically: a kill between
    CSVLogger's write and the backup's leaves a row the resumed run writes again, and a kill
    inside CSVLogger's write leaves a row cut short."""
    if not path.is_file():
        return
    rows = read_history(path)
    kept = [row for row in rows if int(row["epoch"]) < epochs]
    with open(path, newline="", encoding="utf-8") as file:
        written = max(0, sum(1 for _ in csv.reader(file)) - 1)
    if len(kept) == written:
        return
    header = list(rows[0]) if rows else []
    with atomic_path(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as file:
        if header:
            writer = csv.DictWriter(file, fieldnames=header)
            writer.writeheader()
            writer.writerows(kept)
