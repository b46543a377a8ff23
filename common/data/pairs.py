"""Text pairs for sequence-to-sequence models: an input text and the text to turn it into.

    dates       human-readable dates -> ISO dates, generated offline (`common.data.dates`)
    spa_eng     the Anki English-Spanish sentence pairs of keras.io's "English-to-Spanish
                translation with a sequence-to-sequence Transformer": spa.txt, one pair a
                line, tab-separated (English, Spanish[, attribution]); `data.path` (the
                file, its folder or spa-eng.zip), else downloaded by keras.utils.get_file
    pairs_csv   your own pairs: a CSV with a `source` and a `target` column (or the columns
                `data.features: [english]` and `data.target: spanish` name)

Each returns a `Dataset` whose x are `TextPairs` (the source texts, encoded later against the
training corpus, `common.data.tokens`) and whose y are the target texts. The test split holds
whole groups: every pair of a test date, or of a test source sentence (one English sentence
has several Spanish translations in spa.txt), is held out together, so the test scores are on
inputs never seen in training.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from common.config.schema import DataConfig
from common.data import dates, tables
from common.data.dataset import Dataset
from common.data.paths import user_path
from common.data.tokens import TextPairs
from common.errors import ConfigError, UserError

SPA_ENG_ORIGIN = "http://storage.googleapis.com/download.tensorflow.org/data/spa-eng.zip"
MIN_PAIRS = 5  # fewer cannot be split into train, validation and test


def grouped_split(
    sources: np.ndarray,
    targets: np.ndarray,
    groups: np.ndarray,
    fraction: float,
    seed: int,
    sentences: bool = True,
) -> Dataset:
    """About `fraction` of the pairs held out for testing, whole groups at a time (seeded)."""
    from sklearn.model_selection import GroupShuffleSplit  # lazy: config checks stay instant

    if len(sources) < MIN_PAIRS or len(set(groups)) < 2:
        raise UserError(
            f"{len(sources)} pairs are too few to hold out a test split; bring at least "
            f"{MIN_PAIRS}, with more than one distinct input."
        )
    splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    train, test = next(splitter.split(sources, targets, groups))
    x_train, x_test = TextPairs.split(sources[train], targets[train], sources[test], sentences)
    return Dataset(x_train, targets[train], x_test, targets[test])


def load_dates(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """`dates.EXAMPLES` generated pairs, drawn with the split seed; test dates never appear in
    training, in any form."""
    sources, targets, _ = dates.date_pairs(dates.EXAMPLES, seed)
    return grouped_split(sources, targets, targets, data.test_split, seed, sentences=False)


def spa_eng_text(data: DataConfig) -> tuple[Path, str]:
    """(where, the text of spa.txt): `data.path` (the file, a folder holding it, or
    spa-eng.zip, read without extracting), else Keras' download of keras.io's spa-eng.zip."""
    if data.path:
        path = user_path(data.path)
    else:
        import keras  # lazy: config checks import this module without TensorFlow

        path = Path(keras.utils.get_file("spa-eng.zip", origin=SPA_ENG_ORIGIN, extract=True))
    if path.is_dir():
        found = sorted(path.rglob("spa.txt"))
        if not found:
            raise ConfigError("data.path", f"{path} holds no spa.txt; give the file itself.")
        path = found[0]
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.endswith("spa.txt")]
                if not names:
                    raise ConfigError("data.path", f"{path} holds no spa.txt.")
                return path, archive.read(names[0]).decode("utf-8")
        return path, path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError("data.path", f"{path}: spa.txt is not UTF-8 text.") from None


def read_tab_pairs(path: Path, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(sources, targets) of a tab-separated pairs file, one pair a line (further columns,
    such as Tatoeba's attribution, ignored); a line without a tab is named."""
    sources, targets = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) < 2 or not cells[0].strip() or not cells[1].strip():
            raise ConfigError(
                "data.path",
                f"{path} line {number} is not a pair: expected `English<TAB>Spanish`, got "
                f"{line[:80]!r}.",
            )
        sources.append(cells[0].strip())
        targets.append(cells[1].strip())
    return np.asarray(sources, dtype=object), np.asarray(targets, dtype=object)


def load_spa_eng(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """keras.io's English -> Spanish pairs, test sentences never seen in training."""
    sources, targets = read_tab_pairs(*spa_eng_text(data))
    return grouped_split(sources, targets, sources, data.test_split, seed)


def pair_columns(data: DataConfig) -> tuple[str, str]:
    """The source and target column names of a pairs CSV."""
    if data.features is not None and len(data.features) != 1:
        raise ConfigError(
            "data.features",
            f"a pairs CSV has one source column; got {data.features}. E.g. "
            "data.features=[english].",
        )
    return (data.features[0] if data.features else "source"), (data.target or "target")


def load_pairs_csv(name: str, data: DataConfig, seed: int, stratify: bool) -> Dataset:
    """Your own pairs from a CSV; rows with an empty source or target are refused by line."""
    if not data.path:
        raise ConfigError("data.path", "pairs_csv reads a file: set data.path to your CSV.")
    path = user_path(data.path)
    source, target = pair_columns(data)
    table = tables.read_csv(path)
    for column, key in ((source, "data.features"), (target, "data.target")):
        if column not in table.columns:
            raise ConfigError(
                key,
                f"{path} has no column {column!r} (its columns: {', '.join(table.columns)}); "
                f"name the {'source' if column == source else 'target'} column with {key}.",
            )
    empty = table[(table[source] == "") | (table[target] == "")]
    if len(empty):
        raise ConfigError(
            "data.path",
            f"{path} line {empty.index[0] + 2} has an empty {source!r} or {target!r}; every "
            "row needs both texts.",
        )
    sources = table[source].to_numpy(dtype=object)
    return grouped_split(
        sources, table[target].to_numpy(dtype=object), sources, data.test_split, seed
    )
