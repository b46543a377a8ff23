from dataclasses import dataclass, field

from common.errors import ConfigError
from common.modeling.options import AugmentOptions, augment, dropout_rate


@dataclass
class Options:
    """The `densenet` recipe's model keys: DenseNet-BC (bottleneck layers, compression)."""

    depth: int = field(default=100, metadata={"min": 10})
    growth_rate: int = field(default=12, metadata={"min": 1})  # k: new maps per layer
    blocks: int = field(default=3, metadata={"min": 1})
    compression: float = field(default=0.5, metadata={"min": 0.0, "max": 1.0})
    dropout: float = dropout_rate(0.0)  # the book uses 0.2 when it does not augment
    augment: AugmentOptions = augment(translation=0.1, flip="horizontal")

    def __post_init__(self):
        if (self.depth - 4) % (2 * self.blocks):
            raise ConfigError(
                "model.depth",
                f"DenseNet-BC with {self.blocks} blocks has depth {2 * self.blocks}n+4 "
                f"(e.g. 40, 100); got {self.depth}.",
            )
