from dataclasses import dataclass, field

from common.modeling.options import dropout_rate


@dataclass
class Options:
    """The `segmentation` recipe's model keys: a U-Net and its per-pixel softmax head."""

    depth: int = field(default=3, metadata={"min": 1, "max": 6})  # halvings; 2**depth | size
    filters: int = field(default=8, metadata={"min": 1})  # first level; doubled per level
    # transpose: strided Conv2DTranspose (learned); bilinear: UpSampling2D, then convolutions
    upsampling: str = field(default="transpose", metadata={"choices": ("transpose", "bilinear")})
    batch_norm: bool = True
    dropout: float = dropout_rate(0.0)  # before the bottleneck
    pictures: int = field(default=6, metadata={"min": 0})  # test images drawn in the run
