"""Image grids: helpers.plots.tile and image_grid."""

import numpy as np
import pytest

from helpers import plots


def test_tile_layout_and_padding():
    images = np.stack([np.full((2, 3), i, dtype=np.float32) for i in range(1, 6)])
    mosaic = plots.tile(images, ncols=2, pad=1, pad_value=0)
    assert mosaic.shape == (3 * 3 + 1, 2 * 4 + 1)
    assert mosaic[1, 1] == 1 and mosaic[1, 5] == 2 and mosaic[4, 1] == 3 and mosaic[7, 1] == 5
    assert mosaic[7, 5] == 0  # the empty sixth slot stays padding


def test_tile_rejects_wrong_shapes():
    with pytest.raises(ValueError, match=r"expected images of shape \(N, H, W\)"):
        plots.tile(np.zeros((28, 28)))


def test_image_grid_returns_figure():
    import matplotlib

    matplotlib.use("Agg")
    fig = plots.image_grid(np.random.rand(6, 28, 28, 1), ncols=3, titles=list("abcdef"))
    assert len([a for a in fig.axes if a.get_title()]) == 6
