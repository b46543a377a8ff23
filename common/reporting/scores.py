"""Scores for generated samples, judged by a classifier trained on the real data.

A generative model has no test loss that says whether its samples look right. The measured
substitute (an analogue of the Inception Score, Salimans et al., 2016): a small convnet trained on
the real training images classifies the samples. Confident predictions mean recognisable
samples (`mean_max_probability`); predictions spread over every class mean variety
(`class_diversity`, at most the number of classes); `inception_score` combines both as
exp(E_x[KL(p(y|x) || p(y))]). With requested classes (a conditional generator),
`conditional_accuracy` is the fraction classified as asked. Score real test images the same way
for the reference. The classifier depends on the real data alone: it is kept by the data's
fingerprint, so every run on one dataset is scored by the same classifier, trained once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import keras
import numpy as np
from keras import layers
from scipy.stats import entropy

from common.data.dataset import Dataset
from common.data.fingerprint import fingerprint
from common.reporting.run_files import atomic_path


def quality_classifier(
    dataset: Dataset, path: Path, epochs: int, seed: int, kept_in: Path | None = None
) -> keras.Model:
    """A small convnet trained on the real training images, saved at `path`; reloaded when
    saved, and copied from `kept_in` when a run on the same data trained it before."""
    if path.is_file():
        return keras.saving.load_model(path, safe_mode=True)
    label = f"quality classifier {epochs} {seed} {keras.__version__}"
    kept = None
    if kept_in is not None:
        kept = kept_in / f"{fingerprint(dataset.x_train, dataset.y_train, label=label)}.keras"
        if kept.is_file():
            shutil.copyfile(kept, path)
            return keras.saving.load_model(path, safe_mode=True)
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=dataset.x_train.shape[1:], name="image")
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv_1")(inputs)
    x = layers.MaxPooling2D(name="pool_1")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv_2")(x)
    x = layers.GlobalAveragePooling2D(name="pool_2")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    outputs = layers.Dense(dataset.num_classes, activation="softmax", name="probabilities")(x)
    classifier = keras.Model(inputs, outputs, name="quality_classifier")
    classifier.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    classifier.fit(dataset.x_train, dataset.y_train, batch_size=64, epochs=epochs, verbose=0)
    classifier.save(path)
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(kept) as temporary:
            shutil.copyfile(path, temporary)
    return classifier


def classifier_scores(probabilities: np.ndarray, requested: np.ndarray | None = None) -> dict:
    """The Inception-Score analogue, its two ingredients and, given the requested classes,
    the fraction classified as requested."""
    marginal = probabilities.mean(axis=0)
    divergence = entropy(probabilities, np.broadcast_to(marginal, probabilities.shape), axis=1)
    scores = {
        "inception_score": float(np.exp(divergence.mean())),
        "mean_max_probability": float(probabilities.max(axis=1).mean()),
        "class_diversity": float(np.exp(entropy(marginal))),
    }
    if requested is not None:
        scores["conditional_accuracy"] = float(np.mean(probabilities.argmax(axis=1) == requested))
    return scores
