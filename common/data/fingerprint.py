"""A digest of data: what a result that depends on the data alone (the scikit-learn reference,
the GAN's quality-score classifier) is kept under, so runs on the same data compute it once."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd


def fingerprint(*values: Any, label: str = "") -> str:
    """sha256 of `label` and each value (arrays by dtype, shape and bytes; tables by column
    names, types and values; None as itself), 32 hex digits."""
    digest = hashlib.sha256(label.encode())
    for value in values:
        if value is None:
            digest.update(b"none")
        elif isinstance(value, pd.DataFrame):
            digest.update(repr([(str(k), str(t)) for k, t in value.dtypes.items()]).encode())
            digest.update(pd.util.hash_pandas_object(value, index=False).to_numpy().tobytes())
        else:
            array = np.ascontiguousarray(value)
            digest.update(f"{array.dtype} {array.shape}".encode())
            digest.update(array.tobytes())
    return digest.hexdigest()[:32]
