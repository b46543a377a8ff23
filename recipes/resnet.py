"""
Title: ResNet v1 and v2 — residual learning for image classification
Why: a deeper plain network trains worse, not better, because the gradient has to pass through
every layer. A residual block learns a correction F(x) added to its input, y = x + F(x), so an
identity path runs from the loss to the first layer and depth helps again. v2 moves batch
normalisation and ReLU before each convolution ("pre-activation") and leaves the sum
unactivated, a cleaner identity path that trains deeper networks (56 layers here, 1001 in the
paper).

Where the ideas come from: He et al. 2015 and 2016; the CIFAR-10 setup of "Advanced Deep
Learning with Keras" (Atienza), ch. 2: he_normal, L2 1e-4, Adam 1e-3 with the step schedule
(x0.1 at epoch 80, x0.01 at 120, x0.001 at 160, x0.0005 at 180) plus reduce-on-plateau,
shifts of 10% and horizontal flips. Its results are the anchors: ResNet20 v1 92.16%, ResNet56 v2
93.01% on CIFAR-10 after 200 epochs (configs resnet-cifar10.yaml, resnet-cifar10-v2.yaml).

Default data: scikit-learn's 8x8 digits as images (offline): ResNet8 v1, a schedule compressed
to the shorter run, shifts only (a mirrored digit is another digit, or none).
"""

import keras
from keras import layers

from common.data.splits import Split
from common.modeling import residual, tasks, vision
from common.reporting import hooks
from recipes.options.resnet import Options

TASK = "multiclass"


def build_model(split: Split, options: Options) -> keras.Model:
    inputs, x = vision.image_input(split, options)
    network = residual.resnet_v1 if options.version == 1 else residual.resnet_v2
    x = network(x, options.depth, options.filters, options.l2)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = tasks.head(x, TASK, split.num_classes, targets=split.y_train)
    return keras.Model(inputs, outputs, name=f"resnet{options.depth}_v{options.version}")


make_dataset = vision.make_dataset
report = hooks.classifier_report
