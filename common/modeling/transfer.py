"""Backbones for transfer learning ("Deep Learning with Python", ch. 8; keras.io "Transfer
learning & fine-tuning"): a `keras.applications` network or a model this project trained.

    model.backbone: MobileNetV2          # keras.applications, weights: model.backbone_weights
    model.backbone: runs/convnet/latest/best.keras   # a finished run's model, its conv base

The backbone is one layer named `backbone`, called with `training=False` so that its
BatchNormalization layers stay in inference mode even when fine-tuning unfreezes them (the
driver's `trainer.fine_tune` phase). It starts frozen: phase 1 trains the new head only.
"""

from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

from common.errors import ConfigError

# keras.applications names and how each expects its input, from our [0, 1] pixels:
# "tf" -> [-1, 1]; "pixels" -> 0..255 (the network preprocesses inside); "torch" -> ImageNet
# mean/std.
APPLICATIONS = {
    "MobileNetV2": "tf",
    "MobileNet": "tf",
    "Xception": "tf",
    "InceptionV3": "tf",
    "MobileNetV3Small": "pixels",
    "MobileNetV3Large": "pixels",
    "EfficientNetB0": "pixels",
    "EfficientNetB1": "pixels",
    "EfficientNetB2": "pixels",
    "EfficientNetV2B0": "pixels",
    "ConvNeXtTiny": "pixels",
    "DenseNet121": "torch",
}
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_VARIANCE = [0.229**2, 0.224**2, 0.225**2]


def _scaling(kind: str) -> layers.Layer:
    if kind == "tf":
        return layers.Rescaling(2.0, offset=-1.0, name="backbone_scaling")
    if kind == "pixels":
        return layers.Rescaling(255.0, name="backbone_scaling")
    return layers.Normalization(
        mean=IMAGENET_MEAN, variance=IMAGENET_VARIANCE, name="backbone_scaling"
    )


def from_run(path: Path, input_shape: tuple[int, ...]) -> keras.Model:
    """A trained model's convolutional base: its input up to the last 4-D output (loaded in
    safe mode). Its own preprocessing (rescaling) is skipped: features arrive in [0, 1]."""
    trained = keras.saving.load_model(path, safe_mode=True)
    convolutional = [layer for layer in trained.layers if len(layer.output.shape) == 4]
    if not convolutional:
        raise ConfigError("model.backbone", f"{path} has no convolutional layers to reuse.")
    first = next(
        (layer for layer in convolutional if isinstance(layer, layers.Conv2D)), convolutional[0]
    )
    base = keras.Model(first.input, convolutional[-1].output, name="backbone")
    if tuple(base.input.shape[1:]) != tuple(input_shape):
        raise ConfigError(
            "model.backbone",
            f"{path} takes images of {tuple(base.input.shape[1:])}; this data is "
            f"{tuple(input_shape)}. Set data.image_size (and data.color_mode) to match.",
        )
    return base


def backbone(
    name: str, input_shape: tuple[int, ...], weights: str | None
) -> tuple[keras.Model, layers.Layer | None]:
    """(the frozen backbone, the scaling its inputs need or None)."""
    path = Path(name).expanduser()
    if name.endswith(".keras") or path.is_file():
        if not path.is_file():
            raise ConfigError("model.backbone", f"file not found: {path}")
        base, scaling = from_run(path, input_shape), None
    elif name in APPLICATIONS:
        application = getattr(keras.applications, name)
        try:
            base = application(include_top=False, weights=weights, input_shape=input_shape)
        except ValueError as error:
            first = str(error).splitlines()[0]
            raise ConfigError("model.backbone", f"{name} on {input_shape}: {first}") from None
        base.name = "backbone"
        scaling = _scaling(APPLICATIONS[name])
    else:
        raise ConfigError(
            "model.backbone",
            f"expected a .keras file or one of {', '.join(APPLICATIONS)}; got {name!r}.",
        )
    base.trainable = False
    return base, scaling
