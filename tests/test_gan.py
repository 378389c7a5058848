"""Tests for helpers.models.gan: losses by hand, training steps, conditioning, saving, determinism."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from helpers.models import gan  # noqa: E402

TINY = dict(latent_dim=8, width=8)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def _np(x):
    return float(keras.ops.convert_to_numpy(x))


REAL = np.array([2.0, -1.0, 0.0, 0.5], dtype="float32")
FAKE = np.array([-3.0, 1.0, 0.0, -0.5], dtype="float32")


def test_discriminator_loss_is_binary_cross_entropy_real_1_fake_0():
    expected = -np.mean(np.log(_sigmoid(REAL))) - np.mean(np.log(1 - _sigmoid(FAKE)))
    assert _np(gan.discriminator_loss(REAL, FAKE)) == pytest.approx(expected, rel=1e-5)


def test_label_smoothing_softens_only_the_real_target():
    t = 0.9
    p = _sigmoid(REAL)
    expected = (-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)) - np.mean(np.log(1 - _sigmoid(FAKE))))
    assert _np(gan.discriminator_loss(REAL, FAKE, label_smoothing=0.1)) == pytest.approx(expected, rel=1e-5)
    # D(x) = 0.9 is now optimal for a real image: the real term's derivative vanishes at logit(0.9).
    logit = np.log(0.9 / 0.1)
    eps = 1e-3
    lo = _np(gan.discriminator_loss(np.float32([logit - eps]), np.float32([-20.0]), 0.1))
    hi = _np(gan.discriminator_loss(np.float32([logit + eps]), np.float32([-20.0]), 0.1))
    assert abs(hi - lo) < 1e-5


def test_generator_losses_by_hand():
    assert _np(gan.generator_loss(FAKE)) == pytest.approx(-np.mean(np.log(_sigmoid(FAKE))), rel=1e-5)
    assert _np(gan.minimax_generator_loss(FAKE)) == pytest.approx(np.mean(np.log(1 - _sigmoid(FAKE))),
                                                                   rel=1e-5)
    assert _np(gan.hinge_discriminator_loss(REAL, FAKE)) == pytest.approx(
        np.mean(np.maximum(0, 1 - REAL)) + np.mean(np.maximum(0, 1 + FAKE)), rel=1e-6)
    assert _np(gan.hinge_generator_loss(FAKE)) == pytest.approx(-np.mean(FAKE), rel=1e-6)


def test_losses_are_stable_for_extreme_logits():
    big = np.float32([80.0, -80.0])
    assert np.isfinite(_np(gan.discriminator_loss(big, big)))
    assert _np(gan.generator_loss(np.float32([-80.0]))) == pytest.approx(80.0, rel=1e-4)


def test_minimax_generator_loss_saturates_when_d_rejects_fakes():
    import tensorflow as tf

    logits = tf.Variable([-6.0])  # D(G(z)) ≈ 0.0025: the discriminator is sure the sample is fake
    with tf.GradientTape(persistent=True) as tape:
        minimax = gan.minimax_generator_loss(logits)
        non_saturating = gan.generator_loss(logits)
    g_minimax = abs(float(tape.gradient(minimax, logits)[0]))
    g_ns = abs(float(tape.gradient(non_saturating, logits)[0]))
    assert g_minimax == pytest.approx(_sigmoid(-6.0), rel=1e-4)
    assert g_ns > 100 * g_minimax


def test_unknown_loss_is_rejected():
    with pytest.raises(ValueError, match="not one of"):
        gan.DCGAN(**TINY).compile(loss="wasserstein")


def test_shapes_and_range():
    model = gan.DCGAN(**TINY)
    x = model.generate(5, seed=0)
    assert x.shape == (5, 28, 28, 1) and x.min() >= -1 and x.max() <= 1
    assert model.discriminator(x).shape == (5, 1)
    assert gan.from_gan_range(x).dtype == np.uint8
    u8 = np.array([[[0, 255]]], dtype=np.uint8)
    np.testing.assert_allclose(gan.to_gan_range(u8)[..., 0], [[[-1.0, 1.0]]])


def _weights(net):
    return [w.copy() for w in net.get_weights()]


def _changed(before, net):
    return any(not np.allclose(a, b) for a, b in zip(before, net.get_weights(), strict=True))


@pytest.mark.parametrize("conditional", [False, True])
def test_one_training_step_updates_both_networks_and_the_ema(conditional):
    keras.utils.set_random_seed(0)
    model = gan.ConditionalGAN(**TINY) if conditional else gan.DCGAN(**TINY)
    model.compile(learning_rate=1e-3, run_eagerly=True)  # eager: no tracing, fast for tiny models
    g0, d0, e0 = _weights(model.generator), _weights(model.discriminator), _weights(model.generator_ema)
    x = gan.to_gan_range(np.random.default_rng(0).integers(0, 256, (16, 28, 28), dtype=np.uint8))
    y = np.arange(16, dtype="int32") % 10
    logs = model.train_on_batch(x, y, return_dict=True)
    assert _changed(g0, model.generator) and _changed(d0, model.discriminator) and _changed(e0, model.generator_ema)
    assert set(logs) >= {"d_loss", "g_loss", "d_real", "d_fake"}
    assert 0 < logs["d_real"] < 1 and 0 < logs["d_fake"] < 1


def test_ema_is_the_moving_average_of_generator_weights():
    model = gan.DCGAN(**TINY, ema=0.9)
    model.compile(learning_rate=1e-2, run_eagerly=True)
    before_ema = _weights(model.generator_ema)
    x = np.zeros((8, 28, 28, 1), "float32")
    model.train_on_batch(x)
    decay = min(0.9, (1 + 1) / (10 + 1))  # warm-up after the first generator step
    for e0, e1, g1 in zip(before_ema, model.generator_ema.get_weights(), model.generator.get_weights(), strict=True):
        np.testing.assert_allclose(e1, decay * e0 + (1 - decay) * g1, rtol=1e-5, atol=1e-6)
    model.g_optimizer.iterations.assign(31)  # pretend 31 generator steps were taken
    before_ema = _weights(model.generator_ema)
    model.train_on_batch(x)  # generator step 32: decay (1 + 32) / (10 + 32)
    decay = min(0.9, (1 + 32) / (10 + 32))
    for e0, e1, g1 in zip(before_ema, model.generator_ema.get_weights(), model.generator.get_weights(), strict=True):
        np.testing.assert_allclose(e1, decay * e0 + (1 - decay) * g1, rtol=1e-4, atol=1e-5)


def test_conditional_outputs_depend_on_the_label():
    model = gan.ConditionalGAN(**TINY)
    z = np.random.default_rng(0).standard_normal((2, 8)).astype("float32")
    z = np.repeat(z[:1], 2, axis=0)
    a, b = model.generate(z=z, labels=[3, 7])
    assert not np.allclose(a, b)
    c, d = model.generate(z=z, labels=[3, 3])
    np.testing.assert_allclose(c, d)


def test_conditional_gan_needs_labels_to_train():
    model = gan.ConditionalGAN(**TINY)
    model.compile(run_eagerly=True)
    with pytest.raises(ValueError, match="labels"):
        model.train_on_batch(np.zeros((4, 28, 28, 1), "float32"))


@pytest.mark.parametrize("conditional", [False, True])
def test_save_and_load_round_trip(tmp_path, conditional):
    model = (gan.ConditionalGAN if conditional else gan.DCGAN)(**TINY, ema=0.5)
    model.compile(learning_rate=3e-4, label_smoothing=0.1)
    # Make the EMA generator differ from the generator, so both must be restored.
    model.generator_ema.set_weights([w * 0.5 for w in model.generator.get_weights()])
    path = tmp_path / "gan.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_config()["latent_dim"] == 8 and loaded.ema == 0.5
    labels = np.arange(6) % 10 if conditional else None  # an unconditional GAN refuses labels
    np.testing.assert_allclose(loaded.generate(6, seed=3, labels=labels), model.generate(6, seed=3, labels=labels),
                               atol=1e-6)
    np.testing.assert_allclose(loaded.generate(6, seed=3, labels=labels, use_ema=False),
                               model.generate(6, seed=3, labels=labels, use_ema=False), atol=1e-6)
    assert loaded.label_smoothing == pytest.approx(0.1)


def _tiny_data(n=64):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n)


def test_training_is_deterministic_for_a_seed():
    x, y = _tiny_data()
    a = gan.train_gan(x, y, conditional=True, epochs=1, batch_size=16, seed=5, run_eagerly=True, **TINY)
    keras.random.normal((3,))  # the learner's session draws random numbers in between
    b = gan.train_gan(x, y, conditional=True, epochs=1, batch_size=16, seed=5, run_eagerly=True, **TINY)
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert a.images == 64 and len(a.batch_history["d_loss"]) == 4
    assert set(a.batch_history) == {"d_loss", "g_loss", "d_class_loss", "g_class_loss", "d_real", "d_fake"}


def test_sample_grid_records_frames_and_animates():
    x, y = _tiny_data(32)
    grid = gan.SampleGrid(n=10, every=1)
    gan.train_gan(x, epochs=2, batch_size=16, callbacks=[grid], run_eagerly=True, **TINY)
    # start + one frame per batch (4 batches); epoch ends coincide with batch frames
    assert grid.steps == [0, 1, 2, 3, 4]
    assert all(f.shape == (10, 28, 28) and f.dtype == np.uint8 for f in grid.frames)
    assert not np.array_equal(grid.frames[0], grid.frames[-1])
    html = gan.animate(grid.frames, grid.steps).data
    assert "<script" in html and "animation" in html.lower()


def test_top_k_keeps_the_fakes_d_finds_most_realistic():
    logits = np.array([[3.0], [-1.0], [2.0], [0.0]], "float32")
    assert sorted(keras.ops.convert_to_numpy(gan.top_k_logits(logits, 0.5)).tolist()) == [2.0, 3.0]
    assert keras.ops.convert_to_numpy(gan.top_k_logits(logits, 0.1)).tolist() == [3.0]  # at least one
    assert len(keras.ops.convert_to_numpy(gan.top_k_logits(logits, 1.0))) == 4
    # the generator's loss then only counts those: -log sigmoid over the best half
    expected = -np.mean(np.log(_sigmoid([3.0, 2.0])))
    assert _np(gan.generator_loss(gan.top_k_logits(logits, 0.5))) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="top_k"):
        gan.DCGAN(top_k=0.0, **TINY)


def test_cached_training_restores_the_model_history_and_sample_frames(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x, y = _tiny_data(32)
    grid = gan.SampleGrid(n=10, every=1)
    a = gan.train_gan(x, y, conditional=True, epochs=1, batch_size=16, seed=3, callbacks=[grid],
                      run_eagerly=True, store="tiny_cgan", **TINY)
    assert a.source == "trained now" and grid.steps == [0, 1, 2]
    grid2 = gan.SampleGrid(n=10, every=1)
    b = gan.train_gan(x, y, conditional=True, epochs=1, batch_size=16, seed=3, callbacks=[grid2],
                      run_eagerly=True, store="tiny_cgan", **TINY)
    assert b.source.startswith("loaded from the store")
    assert b.batch_history["d_loss"] == pytest.approx(a.batch_history["d_loss"])
    assert grid2.steps == grid.steps and np.array_equal(grid2.frames[-1], grid.frames[-1])
    labels = np.arange(10)
    np.testing.assert_array_equal(a.model.generate(10, seed=1, labels=labels),
                                  b.model.generate(10, seed=1, labels=labels))
    c = gan.train_gan(x, y, conditional=True, epochs=1, batch_size=16, seed=3, callbacks=[gan.SampleGrid(n=10)],
                      run_eagerly=True, store="tiny_cgan", label_smoothing=0.1, **TINY)
    assert c.source == "trained now"  # a setting chapter 05's cache names used to leave out


def test_recipes_generate_course_format():
    from helpers.models.registry import get

    for name, conditional in (("dcgan", False), ("cgan", True)):
        recipe = get(name)
        assert recipe.conditional is conditional
        model = (gan.ConditionalGAN if conditional else gan.DCGAN)(**TINY)
        x, y = recipe.generate(model, 12, seed=0, labels=[1] * 12 if conditional else None)
        assert x.shape == (12, 28, 28) and x.dtype == np.uint8
        assert (y is None) if not conditional else list(y) == [1] * 12


def test_slerp_keeps_endpoints_and_norm():
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal((2, 64))
    path = gan.slerp(z0, z1, np.linspace(0, 1, 5))
    np.testing.assert_allclose(path[0], z0, rtol=1e-5)
    np.testing.assert_allclose(path[-1], z1, rtol=1e-5)
    # equal-norm endpoints: the whole path keeps that norm (a straight line would dip)
    z1 = z1 / np.linalg.norm(z1) * np.linalg.norm(z0)
    norms = np.linalg.norm(gan.slerp(z0, z1, np.linspace(0, 1, 7)), axis=1)
    np.testing.assert_allclose(norms, np.linalg.norm(z0), rtol=1e-5)


def test_class_mixtures_and_soft_labels():
    mix = gan.class_mixtures(2, 7, steps=5)
    assert mix.shape == (5, 10)
    np.testing.assert_allclose(mix.sum(axis=1), 1.0)
    assert mix[0, 2] == 1 and mix[-1, 7] == 1 and mix[2, 2] == pytest.approx(0.5)
    model = gan.ConditionalGAN(**TINY)
    z = np.zeros((5, 8), "float32")
    soft = model.generate(z=z, labels=mix)
    np.testing.assert_allclose(soft[0], model.generate(z=z[:1], labels=[2])[0], atol=1e-6)
    np.testing.assert_allclose(soft[-1], model.generate(z=z[:1], labels=[7])[0], atol=1e-6)


def test_class_coverage_tells_collapse_from_variety():
    import os

    if not os.environ.get("COURSE_DATA_DIR"):
        pytest.skip("COURSE_DATA_DIR not set: needs genuine MNIST test images")
    from helpers.datasets import load_mnist

    _, (x_test, y_test) = load_mnist()
    varied = gan.class_coverage(x_test[:500])
    assert varied["classes_covered"] == 10 and varied["entropy_bits"] > 3.2
    collapsed = gan.class_coverage(np.repeat(x_test[:1], 200, axis=0))
    assert collapsed["entropy_bits"] == pytest.approx(0.0) and collapsed["max_share"] == 1.0
    assert collapsed["classes_covered"] == 1


def test_quick_scores_class_share_agrees_with_its_entropy_and_largest_share():
    import os

    if not os.environ.get("COURSE_DATA_DIR"):
        pytest.skip("COURSE_DATA_DIR not set: needs genuine MNIST images for the evaluator's baselines")
    model = gan.DCGAN(**TINY)
    scores = gan.quick_scores(model, n=60, use_ema=False)
    share = np.asarray(scores["share"])
    assert share.shape == (10,) and share.sum() == pytest.approx(1.0)
    nz = share[share > 0]
    assert scores["entropy_bits"] == pytest.approx(float(-(nz * np.log2(nz)).sum()))
    assert scores["max_share"] == pytest.approx(share.max())
    assert scores["frechet_ratio"] == pytest.approx(scores["frechet"] / scores["frechet_real"])


def test_infogan_codes_change_the_images_and_the_model_round_trips():
    x, _ = _tiny_data(64)
    result = gan.train_gan(x, epochs=3, batch_size=16, seed=2, run_eagerly=True, info_codes=4, **TINY)
    model = result.model
    assert {"d_code_loss", "g_code_loss"} <= set(result.batch_history)  # the code terms are tracked
    assert isinstance(model, gan.InfoGAN) and not model.conditional
    assert model.discriminator.output_shape[1] == (None, 4)  # the code head
    codes = np.array([0, 1, 2, 3])
    a = model.generate(4, seed=1, labels=codes)
    assert a.shape == (4, 28, 28, 1) and not np.allclose(a[0], a[1])  # the code changes the image
    np.testing.assert_array_equal(model.generate(6, seed=3), model.generate(6, seed=3))  # random codes, seeded
    # the code loss is a cross-entropy over 4 codes: ln 4 when D's head knows nothing
    logits = np.zeros((3, 4), "float32")
    assert _np(gan.classification_loss(np.array([0, 1, 2]), logits)) == pytest.approx(np.log(4), rel=1e-5)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    assert restored.num_codes == 4 and restored.info_weight == 1.0
    grid = gan.SampleGrid(n=8)
    grid.set_model(model)
    assert grid._labels().tolist() == [0, 1, 2, 3, 0, 1, 2, 3]  # one code per column


def test_gan_pipeline_keeps_uint8_yet_gives_the_same_batches_as_float_images():
    """The memory-light pipeline must not change training: same values, same order, same shapes."""
    import tensorflow as tf

    from helpers.datasets import make_dataset
    from helpers.models.gan.data import make_gan_dataset, to_gan_range

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (300, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 300)
    light = make_gan_dataset(x, y, batch_size=64, seed=3)
    heavy = make_dataset(to_gan_range(x), np.asarray(y, "int32"), batch_size=64, shuffle=True, seed=3,
                         drop_remainder=True)
    for _ in range(2):  # two epochs: reshuffled the same way
        pairs = list(zip(light, heavy, strict=True))
        assert len(pairs) == 4
        for (xa, ya), (xb, yb) in pairs:
            assert xa.shape == (64, 28, 28, 1) and xa.dtype == tf.float32
            np.testing.assert_array_equal(xa.numpy(), xb.numpy())
            np.testing.assert_array_equal(ya.numpy(), yb.numpy())
    assert light.element_spec[0].shape.as_list() == [64, 28, 28, 1]
