"""The files of a class-per-folder tree, listed the way Keras lists them, links included.

    listed = class_files(Path("photos"), (".jpg", ".png"))
    listed.paths, listed.labels, listed.class_names, listed.notes

Classes are the sub-folders in sorted order (hidden ones skipped) and each class's files are
sorted by folder, then name: the order of `keras.utils.image_dataset_from_directory`, so the
seeded splits draw the same files as they did when Keras indexed the folder. Keras' own
indexing is not used because of links: without `follow_links` it lists a linked file but skips
a linked folder without a word, and with it, `os.walk` follows a link to a parent folder round
and round (each file listed again at every turn, until the path is too long). Here a link to a
file and a link to a folder are both followed, each real folder is walked once (a loop ends
where it closes), a file reached twice is kept once, and what lies outside the folder is said:
the notes name links that lead out of it and files reached twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Listed:
    """The files found under a tree: paths, integer labels (classes in sorted order), the
    class names, and a note per thing the user should hear about (links, duplicates)."""

    paths: list[str]
    labels: list[int]
    class_names: list[str]
    notes: list[str] = field(default_factory=list)


def class_folders(root: Path) -> list[str]:
    """The class sub-folders of `root` (links to folders included), sorted; hidden ones
    (`.git`, `.ipynb_checkpoints`) are not classes."""
    return sorted(
        entry.name
        for entry in os.scandir(root)
        if entry.is_dir() and not entry.name.startswith(".")
    )


def _walk(folder: Path, suffixes: tuple[str, ...], walked: dict[str, str], again: list) -> list:
    """Files with one of `suffixes` below `folder`, links followed; each real folder once
    (`walked`: real folder -> where it was listed; `again` collects folders met again)."""
    found = []
    for here, subfolders, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(here)
        if here != str(folder) and real in walked:
            subfolders[:] = []  # a loop, or a folder linked twice: walked already
            again.append((here, walked[real]))
            continue
        walked[real] = here
        found.append((here, sorted(n for n in names if n.lower().endswith(suffixes))))
    return [os.path.join(here, name) for here, names in sorted(found) for name in names]


def class_files(root: Path, suffixes: tuple[str, ...]) -> Listed:
    """Every file of `root`'s class folders with one of `suffixes` (lower case)."""
    class_names = class_folders(root)
    top = os.path.realpath(root)
    listed = Listed([], [], class_names)
    # The folder and its class folders are walked from the top only: a link back up to them
    # (a loop, or into another class) is not a way to file a class's images under another.
    walked = {os.path.realpath(p): str(p) for p in (root, *(root / n for n in class_names))}
    seen: dict[str, str] = {}
    outside, twice = [], []
    for label, name in enumerate(class_names):
        for path in _walk(root / name, suffixes, walked, twice):
            real = os.path.realpath(path)
            if real in seen:
                twice.append((path, seen[real]))
                continue
            seen[real] = path
            if os.path.commonpath([top, real]) != top:
                outside.append((path, real))
            listed.paths.append(path)
            listed.labels.append(label)
    if outside:
        path, real = outside[0]
        count = f"{len(outside)} file" + ("s" if len(outside) > 1 else "")
        listed.notes.append(
            f"{count} under {root} lead outside it through links (e.g. {path} -> {real}); "
            "they are read as part of the folder"
        )
    if twice:
        path, first = twice[0]
        count = f"{len(twice)} file" + ("s" if len(twice) > 1 else "")
        listed.notes.append(
            f"{count} or folders under {root} are reached twice through links (e.g. {path} "
            f"is {first}); each is used once"
        )
    return listed


def files_below(folder: Path, suffixes: tuple[str, ...]) -> list[str]:
    """The files with one of `suffixes` anywhere below `folder` (no classes: what `cookbook
    predict` reads from a folder), links followed as for training, each real file once."""
    walked = {os.path.realpath(folder): str(folder)}
    seen: dict[str, str] = {}
    for path in _walk(folder, suffixes, walked, []):
        seen.setdefault(os.path.realpath(path), path)
    return list(seen.values())
