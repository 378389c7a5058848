"""Chapter 05's ablation options and WGAN-GP: translation, R1, minibatch std, the gradient penalty, by hand."""

from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from keras import ops  # noqa: E402

from helpers.models import gan  # noqa: E402

TINY = dict(latent_dim=8, width=8)


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _dot(n=1, at=(10, 12)):
    x = -np.ones((n, 28, 28, 1), "float32")
    x[:, at[0], at[1], 0] = 1.0
    return x


# ----------------------------------------------------------------------------- translation (DiffAugment)
def test_translate_moves_each_image_by_its_own_shift_and_fills_with_background():
    x = np.concatenate([_dot(), _dot(), _dot(at=(1, 1))])
    out = _np(gan.translate(x, np.array([[2, -3], [0, 0], [-2, 0]])))
    assert out.shape == x.shape
    assert np.argwhere(out[0, ..., 0] > 0).tolist() == [[12, 9]]  # down 2, left 3
    np.testing.assert_allclose(out[1], x[1])  # no shift: unchanged
    assert (out[2] == -1).all()  # the dot left the frame: all background
    assert set(np.unique(out).tolist()) <= {-1.0, 1.0}  # pure moves, no blending


def test_translate_passes_gradients_to_the_pixels_that_stay_in_the_frame():
    import tensorflow as tf

    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (2, 28, 28, 1)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = gan.translate(x, np.array([[0, 0], [3, 0]]))
        total = tf.reduce_sum(y)
    g = tape.gradient(total, x).numpy()[..., 0]
    np.testing.assert_allclose(g[0], 1.0)  # every pixel kept
    np.testing.assert_allclose(g[1, :25], 1.0)  # moved down 3: the bottom 3 rows fall out
    np.testing.assert_allclose(g[1, 25:], 0.0)


def test_random_translate_draws_every_shift_up_to_three_pixels_and_no_more():
    out = _np(gan.random_translate(_dot(2000, at=(14, 14)), keras.random.SeedGenerator(0)))
    offsets = {tuple(p[1:3] - 14) for p in np.argwhere(out[..., 0] > 0)}
    assert offsets == {(dy, dx) for dy in range(-3, 4) for dx in range(-3, 4)}


# ----------------------------------------------------------------------------- R1 and the gradient penalty
def _linear_network(w):
    """f(x) = <w, x> + 0.5: its input gradient is w everywhere."""
    net = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    net.layers[-1].set_weights([w.reshape(-1, 1).astype("float32"), np.float32([0.5])])
    return net


def test_r1_is_half_gamma_times_the_squared_input_gradient_norm():
    w = np.random.default_rng(1).normal(0, 0.05, 784)
    x = np.random.default_rng(2).uniform(-1, 1, (5, 28, 28, 1)).astype("float32")
    assert float(_np(gan.r1_penalty(_linear_network(w), x, gamma=0.4))) == pytest.approx(
        0.5 * 0.4 * np.sum(w ** 2), rel=1e-5)


def test_gradient_penalty_is_the_squared_distance_of_the_gradient_norm_from_one():
    w = np.random.default_rng(3).normal(0, 0.1, 784)  # ‖w‖ ≈ 2.8: far from 1
    real, fake = (np.random.default_rng(s).uniform(-1, 1, (4, 28, 28, 1)).astype("float32") for s in (4, 5))
    eps = np.float32([0.0, 0.3, 0.7, 1.0]).reshape(4, 1, 1, 1)
    assert float(_np(gan.gradient_penalty(_linear_network(w), real, fake, eps))) == pytest.approx(
        (np.linalg.norm(w) - 1) ** 2, rel=1e-4)
    # f(x) = ½‖x‖²: the gradient at x̂ is x̂ itself, so the penalty checks the interpolation formula.
    half_square = keras.Sequential([keras.Input((28, 28, 1)),
                                    keras.layers.Lambda(lambda t: 0.5 * ops.sum(t ** 2, axis=(1, 2, 3))[:, None])])
    x_hat = eps * real + (1 - eps) * fake
    expected = np.mean((np.linalg.norm(x_hat.reshape(4, -1), axis=1) - 1) ** 2)
    assert float(_np(gan.gradient_penalty(half_square, real, fake, eps))) == pytest.approx(expected, rel=1e-4)


def test_interpolation_weights_are_uniform_on_zero_one_one_per_image():
    eps = _np(gan.interpolation_weights(20000, keras.random.SeedGenerator(0)))
    assert eps.shape == (20000, 1, 1, 1) and eps.min() >= 0 and eps.max() <= 1
    counts = np.histogram(eps, bins=10, range=(0, 1))[0]
    assert counts.min() > 1800 and counts.max() < 2200  # flat, not bell-shaped


# ----------------------------------------------------------------------------- minibatch standard deviation
def test_minibatch_std_appends_the_batch_average_feature_spread():
    h = np.random.default_rng(6).normal(0, 1, (8, 7, 7, 3)).astype("float32")
    out = _np(gan.MinibatchStdDev()(h))
    assert out.shape == (8, 7, 7, 4)
    np.testing.assert_allclose(out[..., :3], h)
    np.testing.assert_allclose(out[..., 3], np.mean(np.sqrt(h.var(axis=0) + 1e-8)), rtol=1e-5)
    same = _np(gan.MinibatchStdDev()(np.repeat(h[:1], 8, axis=0)))  # a collapsed batch: no spread at all
    np.testing.assert_allclose(same[..., 3], 1e-4, rtol=1e-3)
    d = gan.build_discriminator(8, minibatch_std=True)
    assert d.get_layer("minibatch_std").output.shape[-1] == 2 * 8 + 1


# ----------------------------------------------------------------------------- the DCGAN with the options on
def _batch(n=16):
    return gan.to_gan_range(np.random.default_rng(0).integers(0, 256, (n, 28, 28), dtype=np.uint8))


@pytest.mark.parametrize("eager", [True, False])
def test_a_dcgan_with_every_option_trains_and_reports_r1(eager):
    keras.utils.set_random_seed(0)
    model = gan.DCGAN(**TINY, translate=True, minibatch_std=True, r1_gamma=0.1, r1_every=4)
    model.compile(learning_rate=1e-3, run_eagerly=eager)
    g0, d0 = [w.copy() for w in model.generator.get_weights()], [w.copy() for w in model.discriminator.get_weights()]
    logs = model.train_on_batch(_batch(), return_dict=True)
    assert set(logs) >= {"d_loss", "g_loss", "d_real", "d_fake", "r1"} and logs["r1"] > 0  # step 0 is due
    assert any(not np.allclose(a, b) for a, b in zip(g0, model.generator.get_weights(), strict=True))
    assert any(not np.allclose(a, b) for a, b in zip(d0, model.discriminator.get_weights(), strict=True))


def test_lazy_r1_is_r1_every_times_r1_on_due_steps_and_zero_between():
    keras.utils.set_random_seed(0)
    model = gan.DCGAN(**TINY, r1_gamma=0.5, r1_every=3)
    model.compile(learning_rate=1e-3, run_eagerly=True)
    x = _batch()
    expected = 3 * float(_np(gan.r1_penalty(model.discriminator, x, 0.5)))  # before D moves
    assert model.train_on_batch(x, return_dict=True)["r1"] == pytest.approx(expected, rel=1e-4)
    model.d_optimizer.iterations.assign(4)  # 4 % 3 != 0: not due
    model.reset_metrics()
    assert model.train_on_batch(x, return_dict=True)["r1"] == 0.0


def test_dcgan_options_are_validated_and_survive_a_save(tmp_path):
    with pytest.raises(ValueError, match="r1_gamma"):
        gan.DCGAN(**TINY, r1_gamma=-1.0)
    with pytest.raises(ValueError, match="r1_every"):
        gan.DCGAN(**TINY, r1_gamma=1.0, r1_every=0)
    model = gan.DCGAN(**TINY, translate=True, minibatch_std=True, r1_gamma=0.2, r1_every=8)
    model.compile(learning_rate=3e-4)
    model.save(tmp_path / "d.keras")
    loaded = keras.saving.load_model(tmp_path / "d.keras")
    assert (loaded.translate, loaded.minibatch_std, loaded.r1_gamma, loaded.r1_every) == (True, True, 0.2, 8)
    np.testing.assert_allclose(loaded.discriminator(_batch(4)), model.discriminator(_batch(4)), rtol=1e-5)


# ----------------------------------------------------------------------------- WGAN-GP
def test_wasserstein_losses_by_hand():
    real, fake = np.float32([2.0, -1.0, 0.5]), np.float32([-3.0, 1.0, 0.0])
    assert float(_np(gan.wasserstein_critic_loss(real, fake))) == pytest.approx(fake.mean() - real.mean())
    assert float(_np(gan.wasserstein_generator_loss(fake))) == pytest.approx(-fake.mean())


def test_wgan_gp_takes_n_critic_critic_steps_per_generator_step():
    keras.utils.set_random_seed(0)
    model = gan.WGANGP(**TINY, n_critic=3)
    model.compile(learning_rate=1e-4, run_eagerly=True)
    logs = model.train_on_batch(_batch(), return_dict=True)
    assert int(model.d_optimizer.iterations) == 3 and int(model.g_optimizer.iterations) == 1
    assert set(logs) == {"critic_loss", "gp", "g_loss", "w_distance"} and logs["gp"] >= 0
    assert logs["critic_loss"] == pytest.approx(-logs["w_distance"] + 10 * logs["gp"], rel=1e-4, abs=1e-5)


def test_wgan_gp_uses_its_own_optimiser_and_loss_and_round_trips(tmp_path):
    model = gan.build_gan("wgan_gp", learning_rate=1e-4, **TINY)
    assert (float(model.d_optimizer.beta_1), float(model.d_optimizer.beta_2)) == (0.0, 0.9)
    assert model.loss_name == "wasserstein" and model.critic is model.discriminator
    with pytest.raises(ValueError, match="wasserstein"):
        gan.WGANGP(**TINY).compile(loss="non_saturating")
    with pytest.raises(ValueError, match="non_saturating"):
        gan.DCGAN(**TINY).compile(loss="wasserstein")
    with pytest.raises(ValueError, match="n_critic"):
        gan.WGANGP(**TINY, n_critic=0)
    model.save(tmp_path / "w.keras")
    loaded = keras.saving.load_model(tmp_path / "w.keras")
    assert type(loaded) is gan.WGANGP and loaded.n_critic == 5 and loaded.gp_weight == 10.0
    assert float(loaded.g_optimizer.beta_1) == 0.0 and loaded.loss_name == "wasserstein"
    np.testing.assert_allclose(loaded.generate(4, seed=1), model.generate(4, seed=1), atol=1e-6)


# ----------------------------------------------------------------------------- the ablation's variants and table
def test_each_variant_changes_exactly_one_setting_of_the_recipe():
    from helpers.bench import ablation

    def settings(model):
        config = {**model.get_config(), **model.get_compile_config()}
        config.pop("name")  # Keras numbers each new model: dcgan_1, dcgan_2, ...
        return config

    base = settings(ablation.build_variant("baseline"))
    assert base == settings(gan.training.build_recipe_model("dcgan"))
    for name in ablation.VARIANTS:
        if name == "baseline":
            continue
        changed = {k for k, v in settings(ablation.build_variant(name)).items() if base.get(k) != v}
        assert len(changed) == 1, (name, changed)
    recipes = ablation.variant_recipes(["translate", "wgan_gp"])
    assert list(recipes) == ["dcgan_translate", "wgan_gp"]
    assert recipes["dcgan_translate"].build(seed=0).translate and type(recipes["wgan_gp"].build(seed=0)) is gan.WGANGP
    with pytest.raises(KeyError, match="unknown variant"):
        ablation.variant_recipes(["dropout"])


def _run(seed, fd, recall, batches):
    rows = [{"model": "dcgan_baseline", "status": "ok", "train": {"batches": batches},
             "metrics": {"fd_ratio": fd, "precision": 0.5, "recall": recall, "memorisation_ratio": 1.0}},
            {"model": "dcgan_r1", "status": "error"}]
    return {"settings": {"seed": seed, "seconds": 300.0}, "results": rows}


def test_summary_gives_mean_min_and_max_over_seeds_and_skips_failed_rows(tmp_path):
    from helpers.bench import ablation

    summary = ablation.summarise([_run(0, 40.0, 0.6, 3000), _run(1, 50.0, 0.7, 3200)])
    assert list(summary) == ["dcgan_baseline"]
    assert summary["dcgan_baseline"]["fd_ratio"] == {"mean": 45.0, "min": 40.0, "max": 50.0, "n": 2}
    assert summary["dcgan_baseline"]["batches"]["mean"] == 3100
    table = ablation.markdown_table(summary)
    assert "| `dcgan_baseline` | 2 | 3,100 (3,000–3,200) | 45.0 (40.0–50.0) |" in table

    import importlib.util
    import json

    tool_path = Path(__file__).resolve().parent.parent / "tools" / "gan_ablation.py"
    spec = importlib.util.spec_from_file_location("gan_ablation", tool_path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    for seed, fd in ((0, 40.0), (1, 50.0)):
        (tmp_path / f"seed{seed}").mkdir()
        (tmp_path / f"seed{seed}" / "latest.json").write_text(json.dumps(_run(seed, fd, 0.6, 3000)))
    assert "45.0 (40.0–50.0)" in tool.write_summary(tmp_path)
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["seeds"] == [0, 1] and saved["summary"]["dcgan_baseline"]["fd_ratio"]["max"] == 50.0
    assert "seeds [0, 1]" in (tmp_path / "SUMMARY.md").read_text()
