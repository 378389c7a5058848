"""Tests for helpers.ui.flow: the sampler panel and the trajectory scrubber, driven as a learner would."""

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from helpers.models import flow  # noqa: E402
from helpers.ui import flow as ui_flow  # noqa: E402


def _model(num_classes=10):
    return flow.LatentFlow(latent_dim=4, ae_width=8, width=16, blocks=1, num_classes=num_classes, ema=0.0, seed=0)


def test_sampler_renders_on_start_and_follows_its_controls():
    scored = []
    panel = ui_flow.FlowSampler(_model(), n=10, steps=3, score=lambda x, y: scored.append((x, y)) or {"fidelity": 0.5})
    assert panel.current.shape == (10, 28, 28, 1) and panel.image.value[:4] == b"\x89PNG"
    assert list(scored[-1][1]) == list(range(10)) and "fidelity 0.5" in panel.caption.value
    panel.set(label=7)
    assert list(panel.labels()) == [7] * 10 and list(scored[-1][1]) == [7] * 10
    panel.set(steps=2, sampler="heun", guidance=3.0)
    assert "2 steps of heun (4 network calls)" in panel.caption.value and "w = 3" in panel.caption.value


def test_every_render_uses_the_same_noise_and_steps_and_guidance_change_the_samples():
    model = _model()
    # The untrained network's last layer starts at zero (zero velocity); give it weights so its output
    # depends on the point, the time and the label.
    last = model.network.layers[-1]
    last.kernel.assign(np.random.default_rng(0).normal(0, 0.5, last.kernel.shape).astype("float32"))
    panel = ui_flow.FlowSampler(model, n=4, steps=1, guidance=1.0)
    one_step = panel.current.copy()
    panel.render()
    np.testing.assert_array_equal(panel.current, one_step)  # the same seed: the same starting noise
    panel.set(steps=8)
    assert np.abs(panel.current - one_step).max() > 1e-4
    eight_steps = panel.current.copy()
    panel.set(guidance=3.0)
    assert np.abs(panel.current - eight_steps).max() > 1e-4


def test_an_unconditional_flow_has_no_guidance_or_class_controls():
    panel = ui_flow.FlowSampler(_model(num_classes=None), n=4, steps=1)
    assert panel.guidance is None and panel.class_picker is None and panel.labels() is None
    with pytest.raises(ValueError, match="unconditional"):
        panel.set(guidance=2.0)


def test_scrubber_shows_noise_first_and_the_end_last_with_predictions():
    model = _model()
    scrub = ui_flow.TrajectoryScrubber(model, n=5, steps=4, seed=1)
    assert scrub.frames.shape == (5, 5, 28, 28, 1) and scrub.predicted.shape == scrub.frames.shape
    np.testing.assert_allclose(scrub.frames[-1], model.sample(5, labels=np.arange(5), steps=4, seed=1), atol=1e-5)
    np.testing.assert_allclose(scrub.predicted[-1], scrub.frames[-1], atol=1e-6)  # at t = 1 the prediction is x
    scrub.show(2)
    assert "t = 0.50" in scrub.caption.value and scrub.image.value[:4] == b"\x89PNG"
