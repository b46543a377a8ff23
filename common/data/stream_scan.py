"""The one streaming pass over a CSV's shards (`common.data.stream`): column kinds, training
statistics, every row's part and target, and a seeded sample per part, in memory that grows
with the columns and the targets, never with the table.

    dataset = load_stream("csv", data, seed, stratify=True)   # parts are CsvParts
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from common.config.schema import DataConfig
from common.data import tables
from common.data.dataset import Dataset
from common.data.stream import (
    BUCKETS,
    HASH_SALT,
    PARTS,
    SAMPLE_ROWS,
    SAMPLE_SALT,
    VOCABULARY_CAP,
    CsvStream,
    NumericStats,
    buckets,
    check_streaming,
    chunks,
    parse,
    shards,
)
from common.errors import ConfigError, UserError, did_you_mean

MIN_ROWS = 5  # as `common.data.user_files`: fewer cannot be cut into three parts


class _Sample:
    """The `SAMPLE_ROWS` lines of a part with the smallest sample hash (a bottom-k sketch: a
    uniform, seeded sample in one pass), kept with their positions to give back file order."""

    def __init__(self) -> None:
        self.keys = np.zeros(0, "int64")
        self.positions = np.zeros(0, "int64")
        self.lines = np.zeros(0, object)

    def add(self, keys: np.ndarray, positions: np.ndarray, lines: np.ndarray) -> None:
        self.keys = np.concatenate([self.keys, keys])
        self.positions = np.concatenate([self.positions, positions])
        self.lines = np.concatenate([self.lines, lines])
        if len(self.keys) > 2 * SAMPLE_ROWS:
            self._trim()

    def _trim(self) -> None:
        if len(self.keys) > SAMPLE_ROWS:
            kept = np.argpartition(self.keys, SAMPLE_ROWS)[:SAMPLE_ROWS]
            self.keys, self.positions = self.keys[kept], self.positions[kept]
            self.lines = self.lines[kept]

    def in_file_order(self) -> list[str]:
        self._trim()
        return self.lines[np.argsort(self.positions, kind="stable")].tolist()


def _columns(table, data: DataConfig, path: Path) -> list[str]:
    """The input columns named by `data.features`, else all but the target."""
    if data.target not in table.columns:
        hint = did_you_mean(data.target, table.columns)
        raise ConfigError("data.target", f"no column {data.target!r} in {path}.{hint}")
    for name in data.features or []:
        if name not in table.columns:
            hint = did_you_mean(name, table.columns)
            raise ConfigError("data.features", f"no column {name!r} in {path}.{hint}")
    return list(data.features or [c for c in table.columns if c != data.target])


def _class_order(names: list[str]) -> list[str]:
    """Sorted, numerically when every class is a number (as `tables.targets` orders them)."""
    try:
        return sorted(names, key=float)
    except ValueError:
        return sorted(names)


def _vocabulary(counts: Counter) -> tuple[list[str], bool]:
    counts.pop("", None)
    capped = len(counts) > VOCABULARY_CAP
    kept = [value for value, _ in counts.most_common(VOCABULARY_CAP)] if capped else counts
    return sorted(kept), capped


def scan(data: DataConfig, seed: int, classification: bool) -> CsvStream:
    """One pass over the shards of `data.path` (see the module docstring)."""
    check_streaming(data)
    paths = shards(data)
    test_cut = round(data.test_split * BUCKETS)
    cuts = (test_cut, test_cut + round(data.validation_split * BUCKETS))
    header: list[str] = tables.header(paths[0])
    kinds: dict[str, str] | None = None
    numeric: dict[str, NumericStats] = {}
    counts: dict[str, Counter] = {}
    targets: dict[str, list[np.ndarray]] = {part: [] for part in PARTS}
    samples = {part: _Sample() for part in PARTS}
    classes: dict[str, int] = {}  # class text -> code in order of first appearance
    skips, position, unlabelled = [], 0, 0
    for path in paths:
        lines_of = chunks(path)
        skips.append(next(lines_of))
        for first_line, lines in lines_of:
            table = parse(lines, header, path, first_line - 2, numeric=numeric)
            if kinds is None:  # typed from the first chunk, by the in-memory rules
                selected = _columns(table, data, path)
                labelled = tables.labelled_rows(table[[*selected, data.target]], data.target, path)
                declared = tables.column_kinds(labelled, data.target, data.columns, path)
                kinds = {c: k for c, k in declared.items() if k != "ignore"}
                numeric = {c: NumericStats() for c, k in kinds.items() if k == "numeric"}
                counts = {c: Counter() for c, k in kinds.items() if k == "categorical"}
            part_of = np.digitize(buckets(lines, seed, HASH_SALT), cuts)  # 0 test, 1 val, 2 train
            filled = (table[data.target] != "").to_numpy()
            unlabelled += int((~filled).sum())
            features = tables.features(table, kinds, path)  # refuses a cell that is no number
            if classification:
                codes = [classes.setdefault(v, len(classes)) for v in table[data.target]]
                y = np.asarray(codes, dtype="int32")
            else:
                y = np.zeros(len(table), "float32")
                y[filled] = tables.numbers(
                    table[data.target][filled], data.target, path, key="data.target", markers=False
                )
            keys = buckets(lines, seed, SAMPLE_SALT)
            rows = np.arange(position, position + len(lines))
            position += len(lines)
            for index, part in enumerate(("test", "validation", "train")):
                mask = (part_of == index) & filled
                targets[part].append(y[mask])
                samples[part].add(keys[mask], rows[mask], np.asarray(lines, object)[mask])
                if part == "train":
                    for column, stats in numeric.items():
                        stats.update(features[column].to_numpy()[mask])
                    for column, counter in counts.items():
                        counter.update(features[column].to_numpy()[mask].tolist())
    if kinds is None:
        raise UserError(f"{paths[0]} has a header but no rows.")
    class_names = None
    if classification:
        classes.pop("", None)
        class_names = _class_order(list(classes))
        if len(class_names) < 2:
            raise ConfigError(
                "data.target",
                f"the target {data.target!r} of {data.path} has one class only; a classifier "
                "needs at least two.",
            )
        order = {name: index for index, name in enumerate(class_names)}
        remap = np.full(len(classes) + 1, -1, "int32")
        for name, code in classes.items():
            remap[code] = order[name]
        final = {part: remap[np.concatenate(chunks_)] for part, chunks_ in targets.items()}
    else:
        final = {part: np.concatenate(chunks_) for part, chunks_ in targets.items()}
    vocabularies, capped = {}, []
    for column, counter in counts.items():
        vocabularies[column], cut = _vocabulary(counter)
        if cut:
            capped.append(column)
            print(
                f"note: column {column!r} has more than {VOCABULARY_CAP:,} values; its "
                f"vocabulary keeps the {VOCABULARY_CAP:,} most frequent (the rest are "
                "out-of-vocabulary)"
            )
    return CsvStream(
        paths=paths,
        skips=skips,
        header=header,
        kinds=kinds,
        target=data.target,
        class_names=class_names,
        seed=seed,
        cuts=cuts,
        numeric=numeric,
        vocabularies=vocabularies,
        capped=capped,
        targets=final,
        samples={part: sample.in_file_order() for part, sample in samples.items()},
        unlabelled=unlabelled,
    )


def load_stream(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """A CSV that streams, as a `Dataset` of `CsvPart`s with the validation part its own
    (`data.validation_split` of the rows, by the same hash). `stratify` means classification
    here: hashed parts keep class proportions only up to sampling noise."""
    stream = scan(data, seed, classification=stratify)
    train, validation, test = (stream.part(part) for part in PARTS)
    if len(train) + len(validation) + len(test) < MIN_ROWS or not len(train) or not len(test):
        raise ConfigError(
            "data.path",
            f"{data.path} has {len(train) + len(validation) + len(test)} rows with a target; "
            "too few to cut into train, validation and test parts. Bring more rows.",
        )
    rows = ", ".join(f"{len(p):,} {p.name}" for p in (train, validation, test))
    print(f"streaming {len(stream.paths)} CSV file(s) of {data.path}: {rows} rows")
    if max(len(train), len(test)) > SAMPLE_ROWS:
        print(
            f"note: the scikit-learn reference fits and scores on a seeded {SAMPLE_ROWS:,} "
            "rows of each part"
        )
    return Dataset(
        train,
        train.y,
        test,
        test.y,
        stream.class_names,
        x_val=validation if len(validation) else None,
        y_val=validation.y if len(validation) else None,
    )
