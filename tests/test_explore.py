"""helpers.explore widgets, driven programmatically (no browser)."""

import numpy as np
import pytest

from helpers import explore as E


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 12)
    x = np.zeros((120, 28, 28), np.uint8)
    for i, c in enumerate(y):
        x[i, 4 + c:10 + c, 5:20] = 255  # class c: a bar at height 4 + c
        x[i] = np.maximum(x[i], rng.integers(0, 30, size=(28, 28)).astype(np.uint8))
    return x, y


def test_class_comparison_shows_samples_of_the_chosen_classes(data):
    x, y = data
    panel = E.ClassComparison(x, y, n=6, seed=1)
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
    panel = E.ClassComparison(x, y).compare(4, 4)
    assert panel.overlap == pytest.approx(1.0)
    assert np.abs(panel.difference).max() == 0


def test_digit_browser_is_available_from_explore(data):
    x, y = data
    b = E.DigitBrowser(x, y).show(5, 2)
    assert y[b.current_row] == 5


def test_augmentation_panel_grid_and_identity(data):
    x, _ = data
    panel = E.AugmentationPanel(x, n_images=3, copies=4, seed=0)
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
    a = E.AugmentationPanel(x, n_images=2, copies=3, seed=4).grid
    b = E.AugmentationPanel(x, n_images=2, copies=3, seed=4)
    np.testing.assert_array_equal(a, b.grid)
    b.reseed()
    assert b.seed == 5 and not np.array_equal(a, b.grid)
    with pytest.raises(ValueError, match="unknown"):
        b.set(flip=1)


def test_slider_change_redraws(data):
    x, _ = data
    panel = E.AugmentationPanel(x, n_images=2, copies=2, seed=0)
    png = panel.image.value
    panel.sliders["noise"].value = 2.0
    assert panel.image.value != png and "noise" in panel.caption.value


def test_train_panel_trains_only_when_clicked():
    import ipywidgets as w

    calls = []

    def train(epochs, augment):
        calls.append((epochs, augment))
        return {"test accuracy": 0.5 + epochs / 100, "augment": augment}

    panel = E.TrainPanel(train, {"epochs": w.IntSlider(value=3), "augment": w.Checkbox(value=True)})
    assert calls == [] and "Not trained" in panel.status.value
    panel.controls["epochs"].value = 7
    panel.button.click()
    assert calls == [(7, True)]
    assert panel.results[-1]["test accuracy"] == pytest.approx(0.57)
    assert "run 1" in panel.status.value and not panel.button.disabled


def test_train_panel_reports_errors_and_stays_usable():
    def boom():
        raise RuntimeError("no data")

    panel = E.TrainPanel(boom, {})
    with pytest.raises(RuntimeError):
        panel.train()
    assert "no data" in panel.status.value and not panel.button.disabled
