"""helpers.ui.browse: DigitBrowser and ClassComparison, driven programmatically (no browser)."""

import numpy as np
import pytest

from helpers.ui import browse as B


def test_digit_browser_follows_class_and_index():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (30, 28, 28), dtype=np.uint8)
    y = np.arange(30) % 3
    browser = B.DigitBrowser(x, y, class_names=["zero", "one", "two"])
    first = browser.image.value
    browser.show(2, 4)
    assert browser.current_row == 14  # fifth image of class 2: rows 2, 5, 8, 11, 14
    assert browser.index_slider.max == 9
    assert browser.image.value != first
    assert "label <b>2</b> (two)" in browser.caption.value
    browser.class_picker.value = 1  # changing class resets the index
    assert browser.index_slider.value == 0 and browser.current_row == 1


def test_digit_browser_shows_the_requested_class(data):
    x, y = data
    b = B.DigitBrowser(x, y).show(5, 2)
    assert y[b.current_row] == 5


def test_class_comparison_shows_samples_of_the_chosen_classes(data):
    x, y = data
    panel = B.ClassComparison(x, y, n=6, seed=1)
    panel.compare(3, 8)
    assert panel.left == 3 and panel.right == 8
    assert np.all(y[panel.rows_left] == 3) and np.all(y[panel.rows_right] == 8)
    assert len(panel.rows_left) == 6
    expected = x[y == 3].mean(0) / 255.0 - x[y == 8].mean(0) / 255.0
    np.testing.assert_allclose(panel.difference, expected, atol=1e-5)
    assert panel.samples_left.value[:4] == b"\x89PNG"
    assert "3 vs 8" in panel.caption.value
    before = panel.rows_left.copy()
    panel.resample()
    assert not np.array_equal(before, panel.rows_left)


def test_class_comparison_overlap_is_one_for_the_same_class(data):
    x, y = data
    panel = B.ClassComparison(x, y).compare(4, 4)
    assert panel.overlap == pytest.approx(1.0)
    assert np.abs(panel.difference).max() == 0
