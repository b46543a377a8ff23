"""A table's column names as the model's input names: unique, and safe for every format.

    input_names(["a b", "a_b", "température °C", "a/b"])
    # {"a b": "a_b", "a_b": "a_b_2", "température °C": "temperature_C", "a/b": "a_b_3"}

Column names are the user's: spaces, slashes, accents, symbols. Inside a model each column is
an input, and an input's name travels everywhere: Keras warns about a dict key that is not its
tensor's name, TensorFlow's op names and TFLite's signature keys refuse `/` and spaces, and two
columns that clean up to the same name ("a b", "a_b") would make one model with the same layer
name twice. So each column gets a name of ASCII letters, digits and `_`, unique among the
inputs, among the layers made for each column (`<name>_impute`, ...), and among the names the
cookbook's tabular network gives its own layers (`common.modeling.dense`, `tasks.head`). The
mapping depends on the columns and their order only, so the pipeline (`common.data.pipeline`)
and the model (`common.modeling.preprocessing`) compute the same one; the model also keeps the
user's names (its `TableFeatures` layer), so predict, exports and their `columns.json` speak
the user's names. Names that are already safe are kept as they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_LENGTH = 60
# The layers preprocessing makes for each column, named `<input name><suffix>`.
DERIVED = ("_impute", "_normalize", "_lookup", "_embedding", "_flatten")
# The tabular network's own layers (common.modeling.dense: dense_1, batch_norm_1, relu_1,
# dropout_1, ...; tasks.head: probability, probabilities, prediction) and the concatenation
# of the columns (features). tests/test_user_data.py checks this against the activations.
RESERVED = re.compile(
    r"features|flatten|input_noise|probability|probabilities|prediction"
    r"|(dense|batch_norm|dropout|relu|gelu|elu|selu|silu|swish|tanh|sigmoid|softplus"
    r"|leaky_relu|relu6|mish|linear)_\d+"
)


def safe_name(column: str) -> str:
    """ASCII letters, digits and `_`: accents dropped (é -> e), every other run of characters
    one `_`; "column" when nothing is left."""
    plain = unicodedata.normalize("NFKD", str(column)).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9_]+", "_", plain).strip("_")[:MAX_LENGTH].strip("_")
    return name or "column"


def input_names(columns: Iterable[str]) -> dict[str, str]:
    """{column: input name}, in the columns' order; a clash gets `_2`, `_3`, ..."""
    taken: set[str] = set()
    names = {}
    for column in columns:
        base = safe_name(column)
        name, number = base, 2
        while _clashes(name, taken):
            name, number = f"{base}_{number}", number + 1
        names[column] = name
        taken |= {name, *(name + suffix for suffix in DERIVED)}
    return names


def _clashes(name: str, taken: set[str]) -> bool:
    return (
        name in taken
        or RESERVED.fullmatch(name) is not None
        or any(name + suffix in taken for suffix in DERIVED)
    )
