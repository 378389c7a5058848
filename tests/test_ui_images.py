"""helpers.ui.images: the one images-to-PNG encoder, decoded back to check what it drew."""

from io import BytesIO

import numpy as np
import pytest
from PIL import Image

from helpers.ui import images


def decode(png: bytes) -> np.ndarray:
    """PNG bytes -> (H, W, channels) uint8 array; fails on anything that is not a valid PNG."""
    picture = Image.open(BytesIO(png))
    assert picture.format == "PNG"
    return np.asarray(picture.convert("RGB"))


def test_to_png_is_a_png_scaled_up():
    png = images.to_png(np.eye(4), scale=3)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (12, 12)
    with pytest.raises(ValueError, match="one 2-D image"):
        images.to_png(np.zeros((2, 4, 4)))


def test_to_png_draws_dark_ink_on_white_and_respects_the_value_range():
    image = np.zeros((2, 3), np.float32)
    image[0, 0] = 1.0
    pixels = decode(images.to_png(image, scale=2, vmin=0.0, vmax=1.0))
    assert pixels.shape == (4, 6, 3)
    assert (pixels[:2, :2] == 0).all() and (pixels[2:, :] == 255).all()  # ink is black, 2x2 per pixel
    faint = decode(images.to_png(image * 0.5, scale=1, vmin=0.0, vmax=1.0))  # half ink stays grey
    assert 100 < faint[0, 0, 0] < 155


def test_to_png_encodes_rgb_as_is():
    rgb = np.zeros((2, 2, 3), np.float32)
    rgb[0, 1] = [1.0, 0.0, 0.0]
    rgb[1, 0] = [0.0, 0.0, 2.0]  # out of range: clipped
    pixels = decode(images.to_png(rgb, scale=3))
    assert pixels.shape == (6, 6, 3)
    np.testing.assert_array_equal(pixels[0, 3], [255, 0, 0])
    np.testing.assert_array_equal(pixels[3, 0], [0, 0, 255])


def test_mosaic_png_is_a_strip_by_default_with_padding():
    x = np.ones((3, 28, 28), np.float32)
    pixels = decode(images.mosaic_png(x, scale=1))
    assert pixels.shape == (30, 3 * 29 + 1, 3)  # one row, 1-pixel padding around every image
    assert (pixels[0] == 255).all() and (pixels[1:29, 1] == 0).all()  # padding is background, images ink


def test_png_mosaic_has_the_expected_size():
    from io import BytesIO

    from PIL import Image

    png = images.mosaic_png(np.zeros((30, 28, 28), np.uint8), ncols=10, scale=2, pad=0, vmax=255)
    assert Image.open(BytesIO(png)).size == (10 * 28 * 2, 3 * 28 * 2)
