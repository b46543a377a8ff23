"""CSVs larger than memory: one streaming pass for the statistics, then tf.data reads the rows.

    data:
      dataset: csv
      path: sales/            # a file, a glob (sales/part-*.csv) or a folder of CSV shards
      target: churned
      stream: true            # None (the default): shards, or files past STREAM_BYTES, stream

One pass over the shards, `CHUNK_ROWS` lines at a time (pandas parses each chunk), gathers
what training needs without keeping the table: the column kinds (from the first chunk, by
`common.data.tables`' rules), per numeric column its count, mean, variance and gaps, per
categorical column a vocabulary (capped at `VOCABULARY_CAP` values, said so), the target of
every row (4 bytes a row: the baselines, class weights and scores need them), and a seeded
sample of `SAMPLE_ROWS` rows per part for the scikit-learn reference. Statistics come from the
training rows only.

Each row's part (train, validation, test) is a seeded hash of its line's text, computed with
TensorFlow's `to_hash_bucket_strong` in the pass and again in the pipeline
(`common.data.stream_batches`): the same line always lands in the same part, so identical rows
never sit on both sides, and the parts never need to be written out. A `CsvPart` stands in for
a part's table wherever the driver takes one, as a `WindowSet` does for a series.
"""

from __future__ import annotations

import glob
import io
import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from common.config.schema import DataConfig
from common.data import tables
from common.data.paths import user_path
from common.errors import ConfigError, UserError

STREAM_BYTES = 1 << 30  # CSV files past this (in all) stream when `data.stream` is None
CHUNK_ROWS = 100_000  # lines parsed at a time in the pass
BUCKETS = 1_000_000  # hash buckets: parts are cut at test_split and validation_split of them
SAMPLE_ROWS = 100_000  # rows per part kept for the scikit-learn reference (its FIT_ROWS)
VOCABULARY_CAP = 100_000  # categorical values kept per column (the most frequent)
PARTS = ("train", "validation", "test")
HASH_SALT = 0x5EED  # the second half of the hash key; the first is the split seed
SAMPLE_SALT = 0x5A3B  # the sample's key, independent of the parts'


def shards(data: DataConfig) -> list[Path]:
    """The CSV files of `data.path`: one file, a folder's *.csv, or a glob's matches, sorted."""
    path = user_path(data.path)
    if any(sign in data.path for sign in "*?["):
        found = sorted(Path(name) for name in glob.glob(str(path)) if Path(name).is_file())
        what = f"no file matches {data.path}"
    elif path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
        what = f"the folder {path} holds no .csv file"
    else:
        found = [path] if path.is_file() else []
        what = f"file not found: {path}"
    if not found:
        raise ConfigError("data.path", f"{what}; give a CSV file, a folder or a glob of them.")
    return found


def streams(data: DataConfig) -> bool:
    """Whether `data` streams: `data.stream`, or (None) several shards or more than
    `STREAM_BYTES` of them."""
    files = shards(data)
    if data.stream is False and len(files) > 1:
        raise ConfigError(
            "data.stream",
            f"{data.path} names {len(files)} CSV files; they are read as one dataset by "
            "streaming only: drop data.stream=false.",
        )
    if data.stream is not None:
        return data.stream
    return len(files) > 1 or sum(f.stat().st_size for f in files) > STREAM_BYTES


def check_streaming(data: DataConfig) -> None:
    """What a stream cannot do, refused before anything is read."""
    if data.split != "holdout":
        raise ConfigError(
            "data.split",
            f"{data.split} cuts folds from rows in memory, and {data.path} streams from disk; "
            "use data.split=holdout (or data.stream=false for a file that fits in memory).",
        )
    headers = {tuple(tables.header(path)): path for path in shards(data)}
    if len(headers) > 1:
        (first, one), (second, other) = list(headers.items())[:2]
        raise ConfigError(
            "data.path",
            f"{one} and {other} have different headers ({', '.join(first)} / "
            f"{', '.join(second)}); every shard needs the same columns in the same order.",
        )


@dataclass
class NumericStats:
    """A numeric column over the training rows: filled cells, their mean and (population)
    variance, and the gaps."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0  # sum of squared deviations (Chan et al.'s parallel update)
    gaps: int = 0

    @property
    def variance(self) -> float:
        return self.m2 / self.count if self.count else 0.0

    def update(self, values: np.ndarray) -> None:
        filled = values[~np.isnan(values)].astype("float64")
        self.gaps += len(values) - len(filled)
        if not len(filled):
            return
        count, mean = len(filled), float(filled.mean())
        m2 = float(((filled - mean) ** 2).sum())
        total = self.count + count
        delta = mean - self.mean
        self.mean += delta * count / total
        self.m2 += m2 + delta**2 * self.count * count / total
        self.count = total


@dataclass(eq=False)
class CsvStream:
    """What the pass learnt about the shards; every part reads the files again."""

    paths: list[Path]
    skips: list[int]  # lines before each file's rows (its header, and blank lines above it)
    header: list[str]
    kinds: dict[str, str]  # the input columns (no ignored ones), in the model's order
    target: str
    class_names: list[str] | None
    seed: int
    cuts: tuple[int, int]  # buckets below cuts[0]: test; below cuts[1]: validation
    numeric: dict[str, NumericStats]
    vocabularies: dict[str, list[str]]
    capped: list[str]  # columns whose vocabulary was cut to VOCABULARY_CAP
    targets: dict[str, np.ndarray]  # per part, in file order
    samples: dict[str, list[str]]  # per part: up to SAMPLE_ROWS lines, in file order
    unlabelled: int = 0  # rows without a target, left out

    def part(self, name: str) -> CsvPart:
        return CsvPart(self, name)

    def bucket_range(self, name: str) -> tuple[int, int]:
        test, validation = self.cuts
        return {
            "test": (0, test),
            "validation": (test, validation),
            "train": (validation, BUCKETS),
        }[name]

    def frame(self, lines: list[str]):
        """`lines` as the typed table `common.data.tables.features` makes, and the targets."""
        table = parse(lines, self.header, self.paths[0], start=0, numeric=self.numeric)
        labelled = table[table[self.target] != ""]
        return tables.features(labelled, self.kinds, self.paths[0]), self.encode(labelled)

    def encode(self, table) -> np.ndarray:
        column = table[self.target]
        if self.class_names is None:
            return tables.numbers(
                column, self.target, self.paths[0], key="data.target", markers=False
            )
        lookup = {name: index for index, name in enumerate(self.class_names)}
        return column.map(lookup).to_numpy(dtype="int32")


@dataclass(eq=False)
class CsvPart:
    """One part of a `CsvStream`: what `len`, slices and the driver see instead of a table.
    `limit`: the first rows only (`part[:n]`, the verdict's training pass)."""

    stream: CsvStream
    name: str
    limit: int | None = None
    _sample: tuple = field(default=(), repr=False)

    def __len__(self) -> int:
        count = len(self.stream.targets[self.name])
        return count if self.limit is None else min(count, self.limit)

    def __getitem__(self, index: slice) -> CsvPart:
        if not isinstance(index, slice) or index.start or index.step not in (None, 1):
            raise TypeError("a CsvPart takes leading slices only ([:n])")
        stop = len(self) if index.stop is None else min(index.stop, len(self))
        return replace(self, limit=stop, _sample=())

    @property
    def y(self) -> np.ndarray:
        return self.stream.targets[self.name][: len(self)]

    @property
    def columns(self) -> list[str]:
        return list(self.stream.kinds)

    def sample(self) -> tuple[object, np.ndarray]:
        """(table, targets) of a seeded sample of up to `SAMPLE_ROWS` rows of this part, in
        file order (the whole part when it is smaller): what the reference fits and scores."""
        if not self._sample:
            lines = self.stream.samples[self.name]
            self._sample = self.stream.frame(lines[: len(self)] if self.limit else lines)
        return self._sample

    def stamps(self) -> np.ndarray:
        """What this part depends on, for fingerprints: each file's path, size and time, and
        how rows are cut into parts."""
        files = [f"{p} {p.stat().st_size} {p.stat().st_mtime_ns}" for p in self.stream.paths]
        settings = f"{self.name} {self.limit} {self.stream.seed} {self.stream.cuts}"
        return np.asarray([settings, *files])

    def __array__(self, *args, **kwargs):
        raise UserError(
            f"{self.stream.paths[0]} streams (data.stream): this step needs the table in "
            "memory; set data.stream=false for a file that fits."
        )


def parse(lines: list[str], header: list[str], path: Path, start: int, numeric=()):
    """A chunk of lines as stripped text cells ("" for a gap), indexed so that messages name
    each row's line (`start`: the first line's number less 2, as `tables.numbers` counts).

    The `numeric` columns, once the first chunk has typed them, are parsed by pandas' C reader
    as float64 (NaN for a gap), four times faster than text then `pd.to_numeric`; a chunk with
    a cell that is no number is read again as text, so that `tables.numbers` names it."""
    import pandas as pd  # lazy: config checks import this module without pandas

    if numeric:
        try:
            table = _read(lines, header, {name: "float64" for name in numeric}, numeric)
        except ValueError:  # a cell that is no number: the text path below names it
            pass
        else:
            return _checked(table, lines, path, start)
    try:
        table = _read(lines, header, {}, ())
    except (pd.errors.ParserError, ValueError) as error:
        first = " ".join(str(error).split())[:200]
        raise UserError(f"{path} near line {start + 2} is not well-formed CSV: {first}") from None
    return _checked(table, lines, path, start)


def _read(lines: list[str], header: list[str], dtypes: dict[str, str], numeric):
    import pandas as pd  # lazy: config checks import this module without pandas

    return pd.read_csv(
        io.StringIO("\n".join(lines)),
        header=None,
        names=header,
        dtype={name: dtypes.get(name, str) for name in header},
        keep_default_na=False,
        na_values={name: tables.GAP_CELLS for name in numeric},
        skipinitialspace=True,
    )


def _checked(table, lines: list[str], path: Path, start: int):
    """The parsed chunk, refused when its rows are not the lines; text cells stripped."""
    import pandas as pd  # lazy: config checks import this module without pandas

    text = [name for name in table.columns if not pd.api.types.is_float_dtype(table[name])]
    if len(table) != len(lines) or table[text].isna().to_numpy().any():
        raise UserError(
            f"{path} near line {start + 2}: a row spans several lines (a quoted line break) or "
            "has too few cells; streaming reads one row per line with one cell per column."
        )
    table.index = pd.RangeIndex(start, start + len(table))
    for name in text:
        table[name] = table[name].str.strip()
    return table


def buckets(lines: list[str], seed: int, salt: int) -> np.ndarray:
    """The hash bucket of each line's text: the same function the pipeline filters by."""
    import tensorflow as tf  # lazy: the hash must be TensorFlow's, as the pipeline's is

    return tf.strings.to_hash_bucket_strong(
        np.asarray(lines, dtype=object), BUCKETS, key=[seed, salt]
    ).numpy()


def chunks(path: Path):
    """(lines before the rows, then (first line number, non-blank lines) per chunk); line
    terminators dropped as TextLineDataset drops them."""
    try:
        with open(path, newline="", encoding=tables.ENCODING) as file:
            numbered = enumerate(file, start=1)
            # the header: the first non-blank line (`tables.header`); its number is the skip
            yield next((number for number, line in numbered if line.strip()), 0)
            while block := list(itertools.islice(numbered, CHUNK_ROWS)):
                kept = [(n, _unterminated(t)) for n, t in block if t.strip()]
                if kept:
                    yield kept[0][0], [text for _, text in kept]
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; save it as UTF-8 CSV.") from None
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or error}.") from None


def _unterminated(line: str) -> str:
    line = line[:-1] if line.endswith("\n") else line
    return line[:-1] if line.endswith("\r") else line
