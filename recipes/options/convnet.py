from dataclasses import dataclass, field

from common.modeling.options import AugmentOptions, augment, dropout_rate, widths


@dataclass
class Options:
    """The `convnet` recipe's model keys: Conv2D/MaxPooling blocks, filters doubling, dropout
    before the head; or a pretrained backbone with a new head (transfer learning)."""

    filters: list[int] = widths(32, 64)  # one Conv2D + MaxPooling2D block each
    kernel_size: int = field(default=3, metadata={"min": 1})
    convolutions: int = field(default=1, metadata={"min": 1})  # per block (VGG: 2)
    batch_norm: bool = False  # Conv2D -> BatchNormalization -> ReLU
    dropout: float = dropout_rate(0.5)  # before the head, as keras.io's MNIST convnet
    augment: AugmentOptions = augment()
    # Transfer learning: a keras.applications name (MobileNetV2, EfficientNetB0, ...) or the
    # path of a .keras model (a finished run's best.keras). Replaces the conv blocks.
    backbone: str | None = None
    backbone_weights: str | None = field(default=None, metadata={"choices": ("imagenet",)})
