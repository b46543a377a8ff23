"""
Title: Image classification with a small convnet, or with a pretrained one
Why: convolutions learn local patterns that are the same wherever they appear, and pooling
makes the next layer see a wider window — so a few stacked Conv2D/MaxPooling2D blocks, filters
doubling as the maps shrink, beat a dense network on images with far fewer parameters. Dropout
before the softmax head keeps the dense end from memorising. With little data, start from a
network trained on more: freeze its convolutional base, train a new head, then fine-tune the
top of the base at a low learning rate.

Where the ideas come from: keras.io "Simple MNIST convnet" (fchollet; 0.9922 test accuracy on
MNIST), "Deep Learning with Python", ch. 8 (cats vs dogs from scratch 78.6%, with augmentation
83.9%, from a pretrained base more), keras.io "Transfer learning & fine-tuning".

Default data: scikit-learn's 8x8 digits as (8, 8, 1) images (offline). Variants:
convnet-mnist.yaml, convnet-fashion_mnist.yaml, convnet-cifar10.yaml, and any folder of images
with one sub-folder per class (`data.dataset=image_folder data.path=...`).
Transfer learning: `model.backbone` (a keras.applications name, or a finished run's best.keras)
with `trainer.fine_tune` (common/training/fitting.py runs both phases in one run).
"""

import keras
from keras import layers

from common.data.splits import Split
from common.modeling import conv, tasks, transfer, vision
from common.reporting import hooks
from recipes.options.convnet import Options

TASK = "multiclass"


def build_model(split: Split, options: Options) -> keras.Model:
    inputs, x = vision.image_input(split, options)
    if options.backbone:
        base, scaling = transfer.backbone(
            options.backbone, tuple(x.shape[1:]), options.backbone_weights
        )
        if scaling is not None:
            x = scaling(x)
        x = base(x, training=False)  # BatchNorm in inference mode, even when fine-tuned
        x = layers.GlobalAveragePooling2D(name="pool")(x)
    else:
        for block, filters in enumerate(options.filters, start=1):
            x = conv.conv_stack(  # Conv2D [-> BatchNorm] -> ReLU, `convolutions` times
                x,
                [filters] * options.convolutions,
                options.kernel_size,
                name=f"conv_{block}",
                numbered=options.convolutions > 1,
                strides=1,
                use_bias=not options.batch_norm,
                after=lambda _, name: [
                    *([layers.BatchNormalization(name=f"{name}_bn")] if options.batch_norm else []),
                    layers.Activation("relu", name=f"{name}_relu"),
                ],
            )
            x = layers.MaxPooling2D(name=f"pool_{block}")(x)
        x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(options.dropout, name="dropout")(x)
    outputs = tasks.head(x, TASK, split.num_classes, targets=split.y_train)
    return keras.Model(inputs, outputs, name="convnet")


make_dataset = vision.make_dataset
report = hooks.classifier_report
