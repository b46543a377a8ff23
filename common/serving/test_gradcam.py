"""`cookbook gradcam` on image files: what reaches the model (pixels in [0, 1] or 0..255, as
its first layer expects), one picture per file, and a missing file refused."""

from __future__ import annotations

import keras
import pytest
from keras import layers

from common.errors import UserError
from common.reporting import gradcam as drawing
from common.serving import gradcam
from tests import classifiers
from tests.classifiers import NAMES, png, rescaled
from tests.user_files import digit_images


@pytest.fixture(scope="module")
def trained():
    return classifiers.trained_convnet(classifiers.digits())


def test_gradcam_files(tmp_path, trained, monkeypatch):
    folder = digit_images(tmp_path / "digits", per_class=1)
    images = sorted(folder.rglob("*.png"))[:2]
    seen = []  # what reached the model: [0, 1] for array-trained, 0..255 for a Rescaling model
    heatmap = drawing.gradcam_heatmap

    def spy(model, image, *args):
        seen.append(image)
        return heatmap(model, image, *args)

    monkeypatch.setattr(gradcam, "gradcam_heatmap", spy)
    written = gradcam.gradcam_files(trained[0], images, tmp_path / "out", NAMES)
    assert written == [tmp_path / "out" / f"{p.stem}.gradcam.png" for p in images]
    assert all(png(path).std() > 5 for path in written)
    assert seen[0].shape == (8, 8, 1) and 0.9 < seen[0].max() <= 1.0
    gradcam.gradcam_files(rescaled(trained[0]), images[:1], tmp_path / "out")
    assert seen[-1].max() > 200
    inputs = keras.Input((8, 8, 1))  # a Rescaling(255) first takes [0, 1] (a backbone's)
    scaled = layers.Rescaling(1 / 255)(layers.Rescaling(255.0)(inputs))
    gradcam.gradcam_files(keras.Model(inputs, trained[0](scaled)), images[:1], tmp_path / "out")
    assert seen[-1].max() <= 1.0
    with pytest.raises(UserError, match="not found"):
        gradcam.gradcam_files(trained[0], [tmp_path / "missing.png"], tmp_path / "out")
