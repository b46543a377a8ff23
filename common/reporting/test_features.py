"""What a convnet's convolutions hold: one tile per first-layer filter, and feature maps."""

from __future__ import annotations

from common.reporting import features
from tests.classifiers import convnet, png


def test_first_layer_filters_one_tile_per_filter(tmp_path, trained):
    path = features.first_layer_filters(trained[0], tmp_path / "filters.png")
    pixels = png(path)  # 8 filters of 3x3, enlarged to 33x33, on a 3x3 grid (one empty)
    assert pixels.shape == (3 * 34 + 1, 3 * 34 + 1)
    tiles = [pixels[1 + r * 34 :, 1 + c * 34 :][:33, :33] for r in range(3) for c in range(3)]
    assert all(t.std() > 0 for t in tiles[:8]) and tiles[8].std() == 0

    colour = features.first_layer_filters(convnet(channels=3), tmp_path / "rgb.png")
    assert png(colour).shape == (3 * 34 + 1, 3 * 34 + 1, 3)


def test_intermediate_activations(tmp_path, digits, trained):
    model = trained[0]
    path = features.intermediate_activations(model, digits[2][0], tmp_path / "maps.png")
    assert png(path).std() > 10
    assert all("call" not in vars(model.get_layer(n)) for n in ("conv_1", "conv_2"))
