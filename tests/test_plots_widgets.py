"""Image grids and the digit browser widget."""

import numpy as np
import pytest

from helpers import plots, widgets


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


def test_to_png_is_a_png_scaled_up():
    png = widgets.to_png(np.eye(4), scale=3)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (12, 12)
    with pytest.raises(ValueError, match="one 2-D image"):
        widgets.to_png(np.zeros((2, 4, 4)))


def test_digit_browser_follows_class_and_index():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (30, 28, 28), dtype=np.uint8)
    y = np.arange(30) % 3
    browser = widgets.DigitBrowser(x, y, class_names=["zero", "one", "two"])
    first = browser.image.value
    browser.show(2, 4)
    assert browser.current_row == 14  # fifth image of class 2: rows 2, 5, 8, 11, 14
    assert browser.index_slider.max == 9
    assert browser.image.value != first
    assert "label <b>2</b> (two)" in browser.caption.value
    browser.class_picker.value = 1  # changing class resets the index
    assert browser.index_slider.value == 0 and browser.current_row == 1
