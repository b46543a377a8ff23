"""Where a classifier errs, drawn and counted: the small digits convnet's test mistakes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from common.reporting import mistakes
from tests.classifiers import NAMES, png


def test_confusion_matrix_and_per_class_report(tmp_path, digits, trained):
    _, _, _, y_test = digits
    predicted = trained[1].argmax(axis=1)
    path = mistakes.confusion_matrix_figure(y_test, predicted, NAMES, tmp_path / "cm.png")
    pixels = png(path)
    assert pixels.shape[0] > 300 and pixels.std() > 10  # a drawing, not a blank page
    report = mistakes.per_class_report(y_test, predicted, NAMES)
    assert all(name in report for name in NAMES)
    recall_3 = np.mean(predicted[y_test == 3] == 3)
    assert report["3"]["recall"] == pytest.approx(recall_3)
    assert report["accuracy"] == pytest.approx(np.mean(predicted == y_test))
    assert sum(report[name]["support"] for name in NAMES) == len(y_test)
    json.dumps(report)


def test_worst_misclassified_are_wrong_and_most_confident_first(tmp_path, digits, trained):
    _, _, x_test, y_test = digits
    probabilities = trained[1]
    predicted = probabilities.argmax(axis=1)
    assert (predicted != y_test).sum() > 5, "the 3-epoch model should still make mistakes"
    worst = mistakes.worst_misclassified(y_test, probabilities, count=5)
    assert len(worst) == 5 and np.all(predicted[worst] != y_test[worst])
    confidence = probabilities[worst, predicted[worst]]
    assert np.all(np.diff(confidence) <= 0)
    others = np.setdiff1d(np.flatnonzero(predicted != y_test), worst)
    assert probabilities[others, predicted[others]].max() <= confidence.min()
    path = mistakes.worst_misclassified_grid(
        x_test, y_test, probabilities, NAMES, tmp_path / "wrong.png", count=5
    )
    assert png(path).std() > 10
    right = np.flatnonzero(predicted == y_test)  # no mistakes: a picture that says so
    path = mistakes.worst_misclassified_grid(
        x_test[right], y_test[right], probabilities[right], NAMES, tmp_path / "none.png"
    )
    assert mistakes.worst_misclassified(y_test[right], probabilities[right]).size == 0
    assert png(path).std() > 1
