"""What every named source returns: a `Dataset` of train and test examples, and the two ways
of cutting one (rows by position, a seeded holdout).

Kept apart from the sources so that the splits, the recipes and the reports can name the type
without importing any loader, and so that every source module can build one without importing
the catalogue that lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from common.config.schema import DataConfig
from common.errors import UserError


@dataclass
class Dataset:
    """Train and test examples; validation is carved out of train by `common.data.splits`,
    unless the source gives it (`x_val`, `y_val`: an image folder's validation/ sub-folder).
    `x_*` are arrays, a DataFrame (a table) or a FileSet (files that stream)."""

    x_train: Any
    y_train: np.ndarray
    x_test: Any
    y_test: np.ndarray
    class_names: list[str] | None = None
    x_val: Any = None
    y_val: np.ndarray | None = None
    # A table's identifier columns for its test rows (a DataFrame of text, row for row): what
    # test_predictions.csv leads with, so each prediction names its row.
    test_ids: Any = None

    @property
    def num_classes(self) -> int | None:
        return len(self.class_names) if self.class_names else None

    @property
    def test_names(self) -> Any:
        """What names each test example, as a DataFrame of text (test_predictions.csv's first
        columns): a table's id columns, a folder's file paths; None for arrays."""
        if self.test_ids is not None:
            return self.test_ids
        if hasattr(self.x_test, "paths"):  # a FileSet
            import pandas as pd  # lazy: config checks import this module without pandas

            return pd.DataFrame({"file": [str(path) for path in self.x_test.paths]})
        return None


# A source's loader: (the dataset's name, the data section, the split seed, whether to keep
# class proportions in the test split) -> its Dataset.
Loader = Callable[[str, DataConfig, int, bool], Dataset]


def take(x: Any, index: np.ndarray) -> Any:
    """Rows `index` of arrays, a DataFrame or a FileSet."""
    if hasattr(x, "iloc"):
        return x.iloc[index].reset_index(drop=True)
    return x[index]


def joinable(x: Any) -> bool:
    """Whether `joined` takes examples of this kind (a stream's parts are not in memory)."""
    return isinstance(x, np.ndarray) or hasattr(x, "iloc") or hasattr(x, "joined")


def joined(first: Any, second: Any) -> Any:
    """`first`'s examples followed by `second`'s, of arrays, DataFrames or file-backed parts
    (FileSet, MaskFiles, TextPairs, a series' adjacent WindowSets): training and validation
    as one part, for a refit."""
    if hasattr(first, "iloc"):
        import pandas as pd  # lazy: config checks import this module without pandas

        return pd.concat([first, second], ignore_index=True)
    if hasattr(first, "joined"):
        return first.joined(second)
    if not isinstance(first, np.ndarray):
        raise TypeError(f"cannot join parts of {type(first).__name__}")
    return np.concatenate([first, second])


def holdout_split(x: Any, y: np.ndarray, fraction: float, seed: int, stratify: bool):
    """(x_kept, x_held, y_kept, y_held): a seeded, optionally stratified cut of `fraction`."""
    from sklearn.model_selection import train_test_split  # lazy: config checks stay instant

    if len(x) != len(y):
        raise UserError(
            f"the inputs hold {len(x)} examples but the targets {len(y)}; give one target per "
            "example."
        )
    try:
        kept, held = train_test_split(
            np.arange(len(y)),
            test_size=fraction,
            random_state=seed,
            stratify=y if stratify else None,
        )
    except ValueError as error:  # too few examples (per class) for the fraction asked
        reason = " ".join(str(error).split())  # scikit-learn's messages may span lines
        raise UserError(
            f"{len(y)} examples are too few to hold out {fraction:.0%} of them"
            f"{' with every class on both sides' if stratify else ''} ({reason}). "
            "Bring more data, or change data.test_split / data.validation_split."
        ) from None
    return take(x, kept), take(x, held), y[kept], y[held]
