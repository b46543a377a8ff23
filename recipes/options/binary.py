from dataclasses import dataclass

from common.modeling.options import DenseStackOptions


@dataclass
class Options(DenseStackOptions):
    """The `binary` recipe's model keys: one regularised dense stack before the head."""
