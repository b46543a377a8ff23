"""Typed model options shared by several recipes: the schema of a model block's keys.

A recipe's `model` section is a dataclass (`recipes/options/<recipe>.py`, named `Options`),
validated like every other section — unknown keys with a did-you-mean, types, and the bounds in
each field's metadata (applied to every item of a list). Recipes that build with a shared block
inherit its options from here, so `dropout` means the same thing, with the same bounds,
everywhere. No TensorFlow: `cookbook show` and config errors answer instantly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Keras activation names the blocks accept (`keras.activations.get` knows them all).
ACTIVATIONS = (
    "relu",
    "gelu",
    "elu",
    "selu",
    "silu",
    "swish",
    "tanh",
    "sigmoid",
    "softplus",
    "leaky_relu",
    "relu6",
    "mish",
    "linear",
)


def dropout_rate(default: float) -> float:
    return field(default=default, metadata={"min": 0.0, "below": 1.0})


def nonnegative(default: float) -> float:
    return field(default=default, metadata={"min": 0.0})


def widths(*default: int) -> list[int]:
    """A list of layer sizes (units or filters), each at least 1."""
    return field(default_factory=lambda: list(default), metadata={"min": 1})


def activation(default: str = "relu") -> str:
    return field(default=default, metadata={"choices": ACTIVATIONS})


@dataclass
class DenseStackOptions:
    """`common.modeling.dense.dense_stack`: Dense -> [BatchNorm] -> activation -> [Dropout] per
    entry of `units`, on features standardised with training-split statistics (`normalize`)."""

    units: list[int] = widths(64)
    activation: str = activation()
    dropout: float = dropout_rate(0.0)
    l1: float = nonnegative(0.0)
    l2: float = nonnegative(0.0)
    batch_norm: bool = False
    normalize: bool = True
    # Standard deviation of Gaussian noise added to the (normalised) inputs in training only:
    # augmentation for features that have no natural transformations.
    input_noise: float = nonnegative(0.0)


FLIPS = ("horizontal", "vertical", "horizontal_and_vertical")


@dataclass
class AugmentOptions:
    """Random image transformations, in training only (Keras preprocessing layers). Factors
    are fractions: `rotation` of a full turn, `zoom` and `translation` of the image size,
    `contrast` of the pixel range. `placement`: inside the model (it runs where the model runs,
    on the accelerator) or in the tf.data pipeline (on the host CPU, overlapping training);
    `auto`: the model on TensorFlow (faster on CPU: BENCHMARKS.md), the pipeline on JAX, whose
    compiled step cannot hold Keras' random affine layers."""

    flip: str | None = field(default=None, metadata={"choices": FLIPS})
    rotation: float = field(default=0.0, metadata={"min": 0.0, "max": 1.0})
    zoom: float = field(default=0.0, metadata={"min": 0.0, "below": 1.0})
    translation: float = field(default=0.0, metadata={"min": 0.0, "below": 1.0})
    contrast: float = field(default=0.0, metadata={"min": 0.0, "below": 1.0})
    placement: str = field(default="auto", metadata={"choices": ("auto", "model", "pipeline")})

    @property
    def active(self) -> bool:
        return bool(self.flip or self.rotation or self.zoom or self.translation or self.contrast)


def augment(**defaults) -> AugmentOptions:
    return field(default_factory=lambda: AugmentOptions(**defaults))
