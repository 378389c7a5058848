"""Tests for helpers.ui.gan: panels driven programmatically, as a learner's clicks would."""

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from helpers.models import gan  # noqa: E402
from helpers.ui import gan as ui_gan  # noqa: E402

TINY = dict(latent_dim=8, width=8)


def _data(n=32):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n)


def test_train_and_watch_does_not_train_until_asked():
    calls = []
    panel = ui_gan.TrainAndWatch(*_data(), train=lambda *a, **k: calls.append(k))
    assert calls == [] and panel.model is None and panel.frames == []
    assert "nothing trains" in panel.status.value


def test_train_and_watch_trains_with_the_controls_values():
    x, y = _data()
    seen = {}

    def train(x_train, y_train, **kwargs):
        seen.update(kwargs)
        kwargs.pop("latent_dim")
        return gan.train_gan(x_train, y_train, epochs=2, batch_size=16, run_eagerly=True, width=8,
                             latent_dim=8, **{k: v for k, v in kwargs.items() if k != "seconds"})

    panel = ui_gan.TrainAndWatch(x, y, conditional=True, n_samples=10, every=2, train=train)
    panel.label_smoothing.value = 0.1
    panel.d_lr.value = 1e-4
    summary = panel.run()
    assert seen["label_smoothing"] == pytest.approx(0.1) and seen["d_learning_rate"] == 1e-4
    assert seen["conditional"] is True and seen["learning_rate"] == panel.g_lr.value
    assert panel.steps == [0, 2, 4] and len(panel.frames) == 3
    assert summary["batches"] == 4 and 0 < summary["d_real"] < 1
    assert panel.frame_slider.max == 2 and not panel.frame_slider.disabled
    first = panel.image.value
    panel.frame_slider.value = 0
    assert panel.image.value != first and "after 0 batches" in panel.status.value
    assert "<td>1</td>" in panel.table.value and len(panel.results) == 1
    assert not panel.button.disabled


def test_latent_walk_moves_along_the_path():
    model = gan.DCGAN(**TINY)
    walk = ui_gan.LatentWalk(model, steps=5, seed=3)
    start = walk.current.copy()
    np.testing.assert_array_equal(start, gan.from_gan_range(model.generate(z=walk.z0[None]))[0])
    walk.set(t=1.0)
    np.testing.assert_array_equal(walk.current, gan.from_gan_range(model.generate(z=walk.z1[None]))[0])
    assert not np.array_equal(start, walk.current)
    old = walk.z0.copy()
    walk.new_endpoints()
    assert walk.seed == 4 and not np.allclose(old, walk.z0)
    with pytest.raises(ValueError, match="unconditional"):
        walk.set(label=3)


def test_latent_walk_and_class_picker_for_a_conditional_gan():
    model = gan.ConditionalGAN(**TINY)
    walk = ui_gan.LatentWalk(model, seed=0)
    a = walk.current.copy()
    walk.set(label=7)
    assert walk.label == 7 and not np.array_equal(a, walk.current)
    picker = ui_gan.ClassPicker(model, n=4)
    row0 = picker.current.copy()
    picker.show(5)
    assert picker.current.shape == (4, 28, 28) and not np.array_equal(row0, picker.current)
    expected = gan.from_gan_range(model.generate(4, seed=0, labels=[5] * 4))
    np.testing.assert_array_equal(picker.current, expected)
    picker.resample()
    assert picker.seed == 1 and "class <b>5</b>" in picker.caption.value
    with pytest.raises(ValueError, match="conditional GAN"):
        ui_gan.ClassPicker(gan.DCGAN(**TINY))
