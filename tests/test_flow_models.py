"""Chapter 07's models: the flow-matching train_step, label dropout, guidance, samplers, saving, the recipes."""

import keras
import numpy as np
import pytest

from helpers.models import flow
from helpers.models.flow import process


def _latent(num_classes=10, ema=0.0, **kw):
    model = flow.LatentFlow(latent_dim=4, ae_width=8, width=32, blocks=1, num_classes=num_classes, ema=ema, seed=0,
                            **kw)
    return flow.compile_flow(model, 1e-3, jit_compile=False)


def test_train_step_learns_the_velocity_and_leaves_the_autoencoder_alone():
    model = _latent()
    ae_before = [w.copy() for w in model.autoencoder.get_weights()]
    rng = np.random.default_rng(0)
    points = (rng.standard_normal((512, 4)) * 0.1 + 2.0).astype("float32")  # data far from the noise
    labels = rng.integers(0, 10, 512)
    result = flow.fit_flow(model, points, labels, epochs=6, batch_size=64, decay=False)
    losses = result.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.7 * losses[0]
    for before, after in zip(ae_before, model.autoencoder.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_label_dropout_sends_labels_to_the_null_class_at_the_asked_rate():
    labels = keras.ops.convert_to_tensor(np.zeros((4000, 1), "int32"))
    none = keras.ops.convert_to_numpy(_latent(label_dropout=0.0)._drop_labels(labels))
    assert np.all(none == 0)
    some = keras.ops.convert_to_numpy(_latent(label_dropout=0.25)._drop_labels(labels))
    assert set(np.unique(some)) == {0, 10} and abs((some == 10).mean() - 0.25) < 0.03
    with pytest.raises(ValueError, match="label_dropout"):
        flow.LatentFlow(latent_dim=4, label_dropout=1.0)


def test_guided_velocity_mixes_the_conditional_and_the_null_prediction():
    model = _latent()
    x = np.random.default_rng(1).standard_normal((6, 4)).astype("float32")
    labels = np.arange(6) % 10
    cond = model.velocity(x, 0.4, labels, guidance=1.0)
    uncond = model.velocity(x, 0.4, np.full(6, 10), guidance=1.0)
    np.testing.assert_allclose(model.velocity(x, 0.4, labels, guidance=3.0), process.guided(cond, uncond, 3.0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.velocity(x, 0.4, None), uncond, rtol=1e-6)  # no labels: the null label


def test_samplers_shapes_ddim_equals_euler_and_bad_names_fail():
    model = _latent(num_classes=None)
    euler = model.sample_points(5, steps=4, sampler="euler", seed=3)
    np.testing.assert_allclose(model.sample_points(5, steps=4, sampler="ddim", seed=3), euler, rtol=1e-5, atol=1e-6)
    points, path = model.sample_points(5, steps=4, sampler="ancestral", seed=3, trajectory=True)
    assert points.shape == (5, 4) and path.shape == (5, 5, 4)
    images = model.sample(5, steps=2, sampler="heun")
    assert images.shape == (5, 28, 28, 1) and images.min() >= 0 and images.max() <= 1
    with pytest.raises(ValueError, match="sampler must be one of"):
        model.sample_points(2, sampler="rk4")


def test_code_statistics_standardise_and_invert():
    model = _latent(num_classes=None)
    x = np.random.default_rng(4).integers(0, 256, (64, 28, 28), dtype=np.uint8)
    points = model.fit_code_statistics(x)
    np.testing.assert_allclose(points.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(points.std(axis=0), 1, atol=1e-3)
    np.testing.assert_allclose(model.to_space(x), points, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(model.from_space(points), model.reconstruct(x), atol=1e-5)


def test_saved_weights_rebuild_the_same_sampler(tmp_path):
    model = _latent()
    model.fit_code_statistics(np.random.default_rng(5).integers(0, 256, (32, 28, 28), dtype=np.uint8))
    model.save_weights(tmp_path / "m.weights.h5")
    again = _latent()
    again.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_allclose(again.sample(4, labels=[1, 2, 3, 4], steps=3, guidance=2.0),
                               model.sample(4, labels=[1, 2, 3, 4], steps=3, guidance=2.0), atol=1e-6)


def test_pixel_flow_maps_images_to_minus_one_one_and_back():
    model = flow.compile_flow(flow.PixelFlow(width=8, num_classes=None), jit_compile=False)
    x = np.array([[[0, 255]]], np.uint8).repeat(28, 1).repeat(14, 2)
    points = model.to_space(x)
    assert points.shape == (1, 28, 28, 1) and points.min() == -1 and points.max() == 1
    np.testing.assert_allclose(model.from_space(points)[..., 0], x / 255.0, atol=1e-6)
    assert model.sample(2, steps=1).shape == (2, 28, 28, 1)


def test_recipe_samples_are_uint8_with_labels_in_turn():
    model = _latent()
    x, y = flow.generate_recipe_samples(model, 12, seed=0, steps=2)
    assert x.dtype == np.uint8 and x.shape[:3] == (12, 28, 28) and list(y) == list(np.arange(12) % 10)
    with pytest.raises(ValueError, match="unconditional"):
        flow.generate_recipe_samples(_latent(num_classes=None), 4, labels=[1, 2, 3, 4])


def test_the_weight_average_warms_up_and_sampling_uses_it():
    model = _latent(ema=0.999)
    start = [w.copy() for w in model.network.get_weights()]
    points = np.random.default_rng(6).standard_normal((64, 4)).astype("float32") + 2.0
    flow.fit_flow(model, points, np.zeros(64, int), epochs=1, batch_size=64, decay=False)  # one step
    # After step t = 1 the decay is min(0.999, 2/11): the average is 2/11 of the start and 9/11 of the new weights.
    for w0, w1, we in zip(start, model.network.get_weights(), model.ema_network.get_weights(), strict=True):
        np.testing.assert_allclose(we, 2 / 11 * w0 + 9 / 11 * w1, rtol=1e-4, atol=1e-6)
    assert model.sampling_network is model.ema_network and _latent(ema=0.0).sampling_network is not None
    with pytest.raises(ValueError, match="ema must be in"):
        flow.LatentFlow(latent_dim=4, ema=1.0)
