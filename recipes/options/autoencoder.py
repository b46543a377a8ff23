from dataclasses import dataclass, field

from common.modeling.options import activation, nonnegative, widths


@dataclass
class Options:
    """The `autoencoder` recipe's model keys: encoder -> latent vector -> mirrored decoder."""

    # conv: strided Conv2D down, Conv2DTranspose up; dense: Dense layers on flattened pixels.
    architecture: str = field(default="conv", metadata={"choices": ("conv", "dense")})
    filters: list[int] = widths(16, 32)  # conv: one strided layer each, mirrored back up
    kernel_size: int = field(default=3, metadata={"min": 1})
    units: list[int] = widths(128)  # dense: hidden widths of the encoder, mirrored by the decoder
    latent_dim: int = field(default=8, metadata={"min": 1})  # the bottleneck
    activation: str = activation()
    noise_stddev: float = nonnegative(0.0)  # > 0: denoising (noisy inputs, clean targets)
