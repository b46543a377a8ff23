from dataclasses import dataclass, field

from common.errors import ConfigError
from common.modeling.options import AugmentOptions, augment


@dataclass
class Options:
    """The `resnet` recipe's model keys: v1 (depth 6n+2) or v2 (pre-activation, depth 9n+2)."""

    version: int = field(default=1, metadata={"choices": (1, 2)})
    depth: int = field(default=20, metadata={"min": 8})
    filters: int = field(default=16, metadata={"min": 1})  # the first stage's; doubled per stage
    l2: float = field(default=1e-4, metadata={"min": 0.0})  # weight decay of every conv
    augment: AugmentOptions = augment(translation=0.1, flip="horizontal")

    def __post_init__(self):
        step = 6 if self.version == 1 else 9
        if (self.depth - 2) % step:
            below = self.depth - (self.depth - 2) % step
            raise ConfigError(
                "model.depth",
                f"ResNet v{self.version} has depth {step}n+2 (e.g. {below} or {below + step}); "
                f"got {self.depth}.",
            )
