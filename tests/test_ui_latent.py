"""Latent-space widgets: driven programmatically, as a notebook's "run all" or a learner would."""

import ipywidgets as w
import numpy as np
import pytest

from helpers.ui.latent import LatentExplorer, ReconstructionPicker, RetrainPanel


def fake_decode(z, label):
    """Image whose brightness is z[0] (clipped) plus label/10: easy to check by hand."""
    value = np.clip(z[0], 0, 1) * 0.5 + (0 if label is None else label / 20)
    return np.full((28, 28, 1), value, np.float32)


def test_latent_explorer_follows_its_sliders_and_class_picker():
    explorer = LatentExplorer(fake_decode, latent_dim=6, num_classes=10, dims=3)
    assert len(explorer.sliders) == 3 and explorer.z.shape == (6,)
    first_png = explorer.image.value
    assert explorer.current.mean() == pytest.approx(0.0)
    explorer.set(z=[1.0, -2.0], label=4)
    np.testing.assert_allclose(explorer.z, [1, -2, 0, 0, 0, 0])
    assert explorer.label == 4
    assert explorer.current.mean() == pytest.approx(0.5 + 4 / 20)
    assert explorer.image.value != first_png
    explorer.sliders[0].value = 0.2  # as if dragged
    assert explorer.current.mean() == pytest.approx(0.1 + 4 / 20)
    assert "class <b>4</b>" in explorer.caption.value


def test_latent_explorer_clips_to_slider_range_and_refuses_labels_when_unconditional():
    explorer = LatentExplorer(fake_decode, latent_dim=2, limit=3.0)
    explorer.set(z=[10.0, 0.0])
    assert explorer.z[0] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="unconditional"):
        explorer.set(label=1)
    with pytest.raises(ValueError):
        LatentExplorer(fake_decode, latent_dim=0)


def test_latent_explorer_from_a_conditional_vae_changes_with_the_class():
    from helpers.models.vae import ConditionalVAE

    model = ConditionalVAE(latent_dim=2, hidden=(8,))
    model.build()
    explorer = LatentExplorer.from_model(model, dims=2)
    assert explorer.class_picker is not None
    before = explorer.current.copy()
    explorer.set(label=7)
    assert explorer.current.shape == (28, 28, 1) and not np.allclose(before, explorer.current)


def test_reconstruction_picker_reports_error_against_the_clean_image():
    x = np.random.default_rng(0).random((5, 28, 28)).astype(np.float32)
    identity = ReconstructionPicker(x, lambda b: b, max_noise=0.5)
    assert identity.mse == pytest.approx(0.0)
    identity.show(3, noise=0.3)  # identity "reconstructs" the noise, so the error is the noise
    noisy = identity.noisy_input()
    assert identity.mse == pytest.approx(float(np.mean((noisy - x[3, ..., None]) ** 2)))
    assert identity.mse > 0.01 and "noisy input" in identity.caption.value
    zeros = ReconstructionPicker(x, lambda b: np.zeros_like(b), y=np.arange(5)).show(2)
    assert zeros.mse == pytest.approx(float(np.mean(x[2] ** 2)), rel=1e-6)
    assert "label 2" in zeros.caption.value
    assert zeros.noise_slider.disabled


def test_reconstruction_picker_walks_the_images_by_score_when_given_scores():
    x = np.random.default_rng(1).random((5, 28, 28)).astype(np.float32)
    scores = np.array([0.1, 0.5, 0.3, 0.9, 0.2])
    picker = ReconstructionPicker(x, lambda b: np.zeros_like(b), y=np.arange(5), max_noise=0.5, scores=scores)
    controls = picker.widget.children[0].children
    assert controls[:2] == (picker.index_slider, picker.noise_slider) and controls[2] is picker.order_picker
    assert picker.index == 0 and "rank 5 of 5" in picker.caption.value  # test-set order: image 0 (the lowest) first
    picker.order_picker.value = "score"
    assert picker.index_slider.value == 0 and picker.index == 3  # the highest score comes first
    assert "image 3" in picker.caption.value and "score 0.9000 (rank 1 of 5" in picker.caption.value
    assert picker.mse == pytest.approx(float(np.mean(x[3] ** 2)), rel=1e-6)  # the error of the image shown
    picker.index_slider.value = 4
    assert picker.index == 0  # the lowest score comes last
    picker.show(2, noise=0.3)  # image 2 is third by score
    assert picker.index_slider.value == 2 and picker.index == 2 and "noisy input" in picker.caption.value
    picker.order_picker.value = "given"
    assert picker.index == 2  # slider position 2 is image 2 again in test-set order
    assert ReconstructionPicker(x, lambda b: b).order_picker is None  # no scores, no order menu
    with pytest.raises(ValueError, match="one per image"):
        ReconstructionPicker(x, lambda b: b, scores=scores[:3])


def test_retrain_panel_trains_only_when_clicked_and_keeps_every_run():
    calls = []

    def train(latent_dim, noise):
        calls.append((latent_dim, noise))
        images = np.full((3, 28, 28), latent_dim / 64, np.float32)
        return {"metrics": {"mse": 1.0 / latent_dim}, "images": {"reconstructions": images}}

    panel = RetrainPanel(train, {"latent_dim": w.Dropdown(options=[2, 8, 32], value=8),
                                 "noise": w.FloatSlider(value=0.0, min=0, max=1)})
    assert calls == [] and panel.results == []  # constructing the panel trains nothing
    panel.button.click()
    result = panel.run(latent_dim=32, noise=0.5)
    assert calls == [(8, 0.0), (32, 0.5)]
    assert result["metrics"]["mse"] == pytest.approx(1 / 32)
    assert [r["settings"] for r in panel.results] == [{"latent_dim": 8, "noise": 0.0},
                                                      {"latent_dim": 32, "noise": 0.5}]
    assert len(panel.rows.children) == 2 and "run 2" in panel.status.value
    with pytest.raises(KeyError, match="beta"):
        panel.run(beta=2.0)
    with pytest.raises(ValueError):
        RetrainPanel(train, {})
