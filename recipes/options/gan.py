from dataclasses import dataclass, field

from common.modeling.options import dropout_rate, widths


@dataclass
class Options:
    """The `gan` recipe's model keys: a DCGAN generator and discriminator, and the classifier
    that scores their samples."""

    conditional: bool = False  # both networks see the one-hot class
    latent_dim: int = field(default=32, metadata={"min": 1})  # size of the noise vector
    generator_filters: list[int] = widths(64, 32)  # Conv2DTranspose layers, each doubling
    discriminator_filters: list[int] = widths(32, 64)  # strided Conv2D layers, each halving
    kernel_size: int = field(default=3, metadata={"min": 1})
    dropout: float = dropout_rate(0.3)  # discriminator dropout
    minibatch_std: bool = True  # a batch-diversity channel for the discriminator
    label_smoothing: float = field(default=0.1, metadata={"min": 0.0, "below": 1.0})
    classifier_epochs: int = field(default=15, metadata={"min": 1})  # the quality score's
    quality_samples: int = field(default=1000, metadata={"min": 1})  # generated samples scored
