"""
Title: DenseNet-BC — every layer sees every earlier layer's features
Why: instead of adding a block's input to its output (ResNet), a dense block concatenates, so
each layer reads all the feature maps before it and only adds a few new ones (the growth rate,
k=12). Features are reused rather than relearned, which makes DenseNets accurate with few
parameters. Bottlenecks (a 1x1 convolution to 4k maps before each 3x3) and compressing
transitions between blocks (BN-Conv1x1-AveragePooling, halving the maps) keep the cost down:
that is the "BC".

Where the ideas come from: Huang et al. 2017; the CIFAR-10 setup of "Advanced Deep Learning
with Keras" (Atienza), ch. 2: depth 100, k=12, compression 0.5, RMSprop 1e-3, shifts and
horizontal flips; its anchor: 93.74% on CIFAR-10 (config densenet-cifar10.yaml).

Default data: scikit-learn's 8x8 digits as images (offline), a shallow DenseNet-BC (depth 40).
"""

import keras
from keras import layers

from common.data.splits import Split
from common.modeling import densenet, tasks, vision
from common.reporting import hooks
from recipes.options.densenet import Options

TASK = "multiclass"


def build_model(split: Split, options: Options) -> keras.Model:
    inputs, x = vision.image_input(split, options)
    x = densenet.densenet_bc(
        x,
        depth=options.depth,
        growth_rate=options.growth_rate,
        blocks=options.blocks,
        compression=options.compression,
        dropout=options.dropout,
    )
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = tasks.head(x, TASK, split.num_classes, targets=split.y_train)
    return keras.Model(inputs, outputs, name=f"densenet_bc{options.depth}")


make_dataset = vision.make_dataset
report = hooks.classifier_report
