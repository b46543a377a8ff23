from dataclasses import dataclass, field

from common.modeling.options import activation, nonnegative, widths


@dataclass
class Options:
    """The `vae` recipe's model keys: a convolutional encoder to a Gaussian latent, a mirrored
    decoder, the weight of the KL term, and the classifier that scores samples."""

    conditional: bool = False  # encoder and decoder see the one-hot class (a CVAE)
    latent_dim: int = field(default=8, metadata={"min": 1})  # 2: the latent space is a map
    filters: list[int] = widths(32, 64)  # strided Conv2D layers down, Conv2DTranspose up
    kernel_size: int = field(default=3, metadata={"min": 1})
    units: int = field(default=128, metadata={"min": 1})  # the Dense layer before the latent
    activation: str = activation()
    beta: float = nonnegative(0.5)  # loss = reconstruction + beta * KL (1: the classic VAE)
    classifier_epochs: int = field(default=15, metadata={"min": 1})  # the quality score's
    quality_samples: int = field(default=1000, metadata={"min": 1})  # samples it scores
