from dataclasses import dataclass

from common.modeling.options import DenseStackOptions


@dataclass
class Options(DenseStackOptions):
    """The `multiclass` recipe's model keys: one regularised dense stack before the head."""
