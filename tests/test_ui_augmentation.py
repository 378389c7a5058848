"""helpers.ui.augmentation: the augmentation panel, driven programmatically (no browser)."""

import numpy as np
import pytest

from helpers.ui import augmentation as A


def test_augmentation_panel_grid_and_identity(data):
    x, _ = data
    panel = A.AugmentationPanel(x, n_images=3, copies=4, seed=0)
    assert panel.grid.shape == (3, 5, 28, 28)
    np.testing.assert_allclose(panel.grid[:, 0], x[:3] / 255.0, atol=1e-6)
    panel.set(**{name: 0.0 for name in panel.sliders})
    np.testing.assert_array_equal(panel.grid[:, 1:], np.repeat(panel.grid[:, :1], 4, axis=1))
    assert panel.mean_change == 0 and "identity" in panel.caption.value
    panel.set(rotation=2.0)
    assert panel.strengths["rotation"] == 2.0 and panel.mean_change > 0
    assert panel.grid.min() >= 0 and panel.grid.max() <= 1


def test_augmentation_panel_is_reproducible_and_reseeds(data):
    x, _ = data
    a = A.AugmentationPanel(x, n_images=2, copies=3, seed=4).grid
    b = A.AugmentationPanel(x, n_images=2, copies=3, seed=4)
    np.testing.assert_array_equal(a, b.grid)
    b.reseed()
    assert b.seed == 5 and not np.array_equal(a, b.grid)
    with pytest.raises(ValueError, match="unknown"):
        b.set(flip=1)


def test_seed_control_changes_the_draw_and_the_same_seed_repeats_it(data):
    x, _ = data
    panel = A.AugmentationPanel(x, n_images=2, copies=3, seed=0)
    controls = panel.widget.children[0].children
    assert controls[-1] is panel.seed_control and controls[-2] is panel.new_seed  # appended after the old controls
    assert panel.seed_control.description == "seed" and panel.seed_control.value == 0
    first = panel.grid.copy()
    panel.seed_control.value = 7  # what typing 7 into the box does
    assert panel.seed == 7 and "seed 7" in panel.caption.value
    assert not np.array_equal(first, panel.grid)  # a new seed, other augmented copies
    np.testing.assert_array_equal(panel.grid[:, 0], first[:, 0])  # ... of the same originals
    seven = panel.grid.copy()
    panel.seed_control.value = 0
    np.testing.assert_array_equal(panel.grid, first)  # back to seed 0: the same copies again
    panel.seed_control.value = 7
    np.testing.assert_array_equal(panel.grid, seven)
    np.testing.assert_array_equal(A.AugmentationPanel(x, n_images=2, copies=3, seed=7).grid, seven)
    panel.new_seed.click()  # "new random draw" moves the box along
    assert panel.seed == 8 and panel.seed_control.value == 8 and not np.array_equal(panel.grid, seven)
    panel.reseed(7)
    assert panel.seed_control.value == 7
    np.testing.assert_array_equal(panel.grid, seven)


def test_slider_change_redraws(data):
    x, _ = data
    panel = A.AugmentationPanel(x, n_images=2, copies=2, seed=0)
    png = panel.image.value
    panel.sliders["noise"].value = 2.0
    assert panel.image.value != png and "noise" in panel.caption.value
