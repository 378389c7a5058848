"""VAE and conditional VAE: loss terms by hand, KL = 0 at the prior, IW-NLL, save/load, labels."""

import math

import keras
import numpy as np
import pytest

from helpers.models import vae as V
from helpers.runtime import set_seed


def _np(t):
    return keras.ops.convert_to_numpy(t)


def tiny(cls=V.VAE, **kwargs):
    kwargs.setdefault("latent_dim", 2)
    kwargs.setdefault("hidden", (8,))
    return cls(**kwargs)  # no explicit build(): the model must create its weights itself


def _freeze_encoder_to(model, mu, log_var):
    """Make q(z|x) ignore x: mu and log_var come from the bias alone."""
    kernel, bias = model.to_moments.weights
    kernel.assign(np.zeros(kernel.shape, np.float32))
    bias.assign(np.concatenate([mu, log_var]).astype(np.float32))


def _freeze_decoder_to(model, logit):
    """Make p(x|z) ignore z: every pixel has the same logit."""
    kernel, bias = model.to_logits.weights
    kernel.assign(np.zeros(kernel.shape, np.float32))
    bias.assign(np.full(bias.shape, logit, np.float32))


# ------------------------------------------------------------- loss terms
def test_bernoulli_nll_matches_hand_computation():
    x = np.array([[1.0, 0.0]], np.float32)
    logits = np.array([[0.0, math.log(3.0)]], np.float32)  # p = 0.5 and 0.75
    # -log 0.5 - log(1 - 0.75) = log 2 + log 4 = log 8
    assert _np(V.bernoulli_nll(x, logits))[0] == pytest.approx(math.log(8.0), rel=1e-6)


def test_gaussian_kl_is_zero_when_q_equals_prior_and_matches_closed_form():
    zeros = np.zeros((3, 4), np.float32)
    np.testing.assert_allclose(_np(V.gaussian_kl(zeros, zeros)), 0.0, atol=1e-7)
    mu = np.array([[1.0, 0.0]], np.float32)
    log_var = np.array([[0.0, math.log(4.0)]], np.float32)
    # 1/2 [(1 + 1 - 1 - 0) + (0 + 4 - 1 - log 4)] = 1/2 (1 + 3 - log 4)
    expected = 0.5 * (1.0 + 3.0 - math.log(4.0))
    assert _np(V.gaussian_kl(mu, log_var))[0] == pytest.approx(expected, rel=1e-6)


def test_gaussian_log_density_of_standard_normal_at_zero():
    z = np.zeros((1, 3), np.float32)
    assert _np(V.gaussian_log_density(z, z, z))[0] == pytest.approx(-1.5 * math.log(2 * math.pi), rel=1e-6)


def test_binarize_is_fixed_by_seed_and_keeps_black_and_white():
    x = np.array([[0, 255, 128, 64]] * 500, np.uint8).reshape(500, 2, 2)
    a, b = V.binarize(x, seed=3), V.binarize(x, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (500, 2, 2, 1) and set(np.unique(a)) <= {0.0, 1.0}
    assert a[:, 0, 0].max() == 0 and a[:, 0, 1].min() == 1
    assert a[:, 1, 0].mean() == pytest.approx(128 / 255, abs=0.06)
    np.testing.assert_array_equal(V.binarize(a), a)  # binary images stay as they are


# ------------------------------------------------------------------ model
def test_shapes():
    model = tiny(latent_dim=3)
    x = np.random.default_rng(0).random((5, 28, 28, 1)).astype(np.float32)
    mu, log_var = model.encode(x)
    assert mu.shape == (5, 3) and log_var.shape == (5, 3)
    assert model.decode_logits(mu).shape == (5, 28, 28, 1)
    out = _np(model(x))
    assert out.shape == (5, 28, 28, 1) and out.min() >= 0 and out.max() <= 1
    assert model.sample(4, seed=1).shape == (4, 28, 28, 1)


def test_loss_terms_equal_hand_values_when_encoder_is_the_prior():
    model = tiny()
    _freeze_encoder_to(model, np.zeros(2), np.zeros(2))
    _freeze_decoder_to(model, 0.0)  # every pixel p = 1/2
    x = (np.random.default_rng(1).random((4, 28, 28, 1)) > 0.5).astype(np.float32)
    reconstruction, kl = model.loss_terms(x)
    np.testing.assert_allclose(_np(kl), 0.0, atol=1e-6)  # q(z|x) = p(z)  =>  KL = 0
    np.testing.assert_allclose(_np(reconstruction), 784 * math.log(2.0), rtol=1e-5)


def test_train_step_reports_loss_as_reconstruction_plus_beta_kl():
    model = tiny(beta=4.0)
    model.compile(optimizer=keras.optimizers.SGD(0.0))  # lr 0: weights stay put
    _freeze_encoder_to(model, np.array([1.0, -1.0]), np.zeros(2))  # KL = 1/2 (1 + 1) = 1 nat
    _freeze_decoder_to(model, 0.0)
    x = np.ones((8, 28, 28, 1), np.float32)
    logs = model.fit(x, batch_size=8, epochs=1, verbose=0).history
    assert logs["kl"][0] == pytest.approx(1.0, rel=1e-5)
    assert logs["reconstruction"][0] == pytest.approx(784 * math.log(2.0), rel=1e-5)
    assert logs["loss"][0] == pytest.approx(784 * math.log(2.0) + 4.0, rel=1e-5)
    assert logs["neg_elbo"][0] == pytest.approx(784 * math.log(2.0) + 1.0, rel=1e-5)


def test_importance_nll_is_exact_when_decoder_ignores_z():
    # p(x|z) = p(x) for every z, so log p(x) = -bernoulli_nll whatever q is (the weights average to 1).
    model = tiny()
    _freeze_decoder_to(model, 0.7)
    x = (np.random.default_rng(2).random((3, 28, 28, 1)) > 0.6).astype(np.float32)
    exact = _np(V.bernoulli_nll(x, np.full(x.shape, 0.7, np.float32))).mean()
    _freeze_encoder_to(model, np.zeros(2), np.zeros(2))
    assert model.importance_nll(x, k=5) == pytest.approx(exact, rel=1e-5)
    _freeze_encoder_to(model, np.array([0.3, -0.2]), np.array([-0.2, 0.1]))
    assert model.importance_nll(x, k=3000) == pytest.approx(exact, abs=0.05)
    # the one-sample bound pays the KL on top
    kl = 0.5 * (0.09 + 0.04 + math.exp(-0.2) + math.exp(0.1) - 2 - (-0.2 + 0.1))
    assert model.negative_elbo(x)["neg_elbo"] == pytest.approx(exact + kl, rel=1e-5)


def test_training_lowers_the_negative_elbo_deterministically():
    x = (np.random.default_rng(0).random((256, 28, 28, 1)) * np.linspace(0, 1, 28)[None, :, None, None])

    def train():
        set_seed(7)
        model = tiny(latent_dim=2, hidden=(16,), seed=7)
        V.compile_vae(model, 1e-2)
        history = model.fit(x.astype(np.float32), batch_size=64, epochs=3, verbose=0, shuffle=False)
        return model, history.history["neg_elbo"]

    (m1, h1), (m2, h2) = train(), train()
    assert h1[-1] < h1[0]
    np.testing.assert_array_equal(np.array(h1), np.array(h2))
    for a, b in zip(m1.get_weights(), m2.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_train_vae_scores_the_validation_images_and_keys_the_store_on_them(tmp_path, monkeypatch):
    # chapter 04 trains on a split of the training images: another split must never reuse a stored model
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    rng = np.random.default_rng(0)
    x, x_val = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8), rng.integers(0, 256, (16, 28, 28), dtype=np.uint8)

    def train(x_train, x_validation):
        return V.train_vae(x_train, x_val=x_validation, latent_dim=2, hidden=(8,), epochs=1, batch_size=32, seed=1,
                           store="tiny_vae")

    first = train(x, x_val)
    assert first.source == "trained now" and len(first.history["val_neg_elbo"]) == 1
    expected = first.model.negative_elbo(V.binarize(x_val, seed=1), seed=0)["neg_elbo"]
    assert first.history["val_neg_elbo"][0] == pytest.approx(expected, rel=0.05)  # one z draw each: close, not equal
    assert train(x, x_val).source.startswith("loaded from the store")
    assert train(x[:48], x_val).source == "trained now"  # another training set
    assert train(x, x_val[:8]).source == "trained now"  # another validation set
    assert len(list(tmp_path.rglob("meta.json"))) == 3


# --------------------------------------------------------- conditional VAE
def test_conditional_output_depends_on_label_and_labels_are_required():
    model = tiny(V.ConditionalVAE, latent_dim=2, hidden=(8,))
    z = np.zeros((2, 2), np.float32)
    a = model.decode_batched(z, labels=[0, 0])
    b = model.decode_batched(z, labels=[3, 3])
    assert not np.allclose(a, b)
    np.testing.assert_allclose(a[0], a[1])
    with pytest.raises(ValueError, match="labels"):
        model.decode_batched(z)
    with pytest.raises(ValueError, match="num_classes"):
        V.ConditionalVAE(num_classes=1)


@pytest.mark.parametrize("cls", [V.VAE, V.ConditionalVAE])
def test_save_and_load_round_trip(tmp_path, cls):
    model = tiny(cls, latent_dim=3, hidden=(8, 4), beta=2.5)
    assert model.built and len(model.trainable_weights) == 12  # 6 dense layers, before any call
    V.compile_vae(model, 1e-2)
    x = np.random.default_rng(0).random((32, 28, 28, 1)).astype(np.float32)
    model.fit(x, np.arange(32) % 10, batch_size=16, epochs=1, verbose=0)  # trained weights must survive
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is cls
    assert (loaded.latent_dim, loaded.hidden, loaded.beta, loaded.num_classes) == \
        (3, (8, 4), 2.5, model.num_classes)
    labels = np.arange(4) % 10 if model.num_classes else None
    np.testing.assert_allclose(loaded.sample(4, labels=labels, seed=5),
                               model.sample(4, labels=labels, seed=5), atol=1e-6)


def test_recipes_generate_uint8_with_requested_labels():
    from helpers.models import registry

    assert registry.get("cvae").conditional and not registry.get("vae").conditional
    cvae = tiny(V.ConditionalVAE)
    x, y = V.generate_recipe_samples(cvae, 6, seed=0, labels=[1, 1, 2, 2, 3, 3])
    assert x.shape == (6, 28, 28) and x.dtype == np.uint8
    np.testing.assert_array_equal(y, [1, 1, 2, 2, 3, 3])
    vae = tiny()
    x, y = V.generate_recipe_samples(vae, 3, seed=0)
    assert x.shape == (3, 28, 28) and y is None
    np.testing.assert_array_equal(x, V.generate_recipe_samples(vae, 3, seed=0)[0])  # same seed, same images
    assert not np.array_equal(x, V.generate_recipe_samples(vae, 3, seed=1)[0])


def test_the_package_reexports_every_public_name_of_its_modules():
    from helpers.models.vae import losses, model, training

    for module in (losses, model, training):
        assert set(module.__all__) <= set(V.__all__), module.__name__
        public = {n for n, v in vars(module).items()
                  if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == module.__name__}
        assert public <= set(module.__all__), f"{module.__name__}: {sorted(public - set(module.__all__))}"
        for name in module.__all__:  # the same object: the code lives in one place
            assert getattr(V, name) is getattr(module, name)
