"""Autoencoders, the PCA baseline, anomaly scores/ROC and the "ae" recipe."""

import keras
import numpy as np
import pytest

from helpers.models import autoencoder as A
from helpers.runtime import set_seed


def _np(t):
    return keras.ops.convert_to_numpy(t)


def tiny(**kwargs):
    kwargs.setdefault("latent_dim", 3)
    kwargs.setdefault("width", 4)
    return A.Autoencoder(**kwargs)  # no explicit build(): the model must create its weights itself


def _images(n=32, seed=0):
    return np.random.default_rng(seed).random((n, 28, 28, 1)).astype(np.float32)


@pytest.mark.parametrize("arch", ["dense", "conv"])
def test_shapes(arch):
    model = tiny(arch=arch, latent_dim=5)
    x = _images(4)
    assert model.codes(x).shape == (4, 5)
    out = model.reconstruct(x)
    assert out.shape == (4, 28, 28, 1) and out.min() >= 0 and out.max() <= 1


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="arch"):
        A.Autoencoder(arch="rnn")
    with pytest.raises(ValueError, match="latent_dim"):
        A.Autoencoder(latent_dim=0)


def test_evaluate_reports_the_reconstruction_mse_of_clean_images():
    model = tiny(arch="dense", noise_std=0.5)  # noise is for training only
    A.compile_autoencoder(model)
    x = _images(16)
    expected = float(np.mean((model.reconstruct(x) - x) ** 2))
    assert model.evaluate(x, batch_size=16, verbose=0) == pytest.approx(expected, rel=1e-5)
    assert A.reconstruction_mse(model, x) == pytest.approx(expected, rel=1e-5)
    scores = A.anomaly_scores(model, x)
    assert scores.shape == (16,) and scores.mean() == pytest.approx(expected, rel=1e-5)


def test_corrupt_adds_clipped_noise_only_when_asked():
    model = tiny(noise_std=0.1)
    x = np.full((200, 28, 28, 1), 0.5, np.float32)
    assert np.std(_np(model.corrupt(x)) - x) == pytest.approx(0.1, rel=0.02)  # 5 sigma from the clip
    noisy = _np(model.corrupt(x, noise_std=2.0))
    assert noisy.min() == 0 and noisy.max() == 1  # clipped to the image range
    np.testing.assert_array_equal(_np(model.corrupt(x, noise_std=0.0)), x)


def test_training_is_deterministic_and_lowers_the_loss():
    x = _images(128) * np.linspace(0, 1, 28)[None, None, :, None].astype(np.float32)

    def train():
        set_seed(3)
        model = tiny(arch="conv", seed=3)
        A.compile_autoencoder(model, 1e-2)
        return model, model.fit(x, batch_size=32, epochs=3, shuffle=False, verbose=0).history["loss"]

    (m1, h1), (m2, h2) = train(), train()
    assert h1[-1] < h1[0]
    np.testing.assert_array_equal(h1, h2)
    for a, b in zip(m1.get_weights(), m2.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_train_autoencoder_validates_on_x_val_and_keys_the_store_on_both_sets(tmp_path, monkeypatch):
    # chapter 03 trains on a split of the training images: another split must never reuse a stored model
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    x, x_val = (np.random.default_rng(0).integers(0, 256, (n, 28, 28), dtype=np.uint8) for n in (64, 16))

    def train(x_train, x_validation):
        return A.train_autoencoder(x_train, x_val=x_validation, latent_dim=3, arch="dense", epochs=1, batch_size=32,
                                   seed=1, store="tiny_ae")

    first = train(x, x_val)
    assert first.source == "trained now"
    assert first.history["val_loss"][0] == pytest.approx(A.reconstruction_mse(first.model, x_val), rel=1e-4)
    assert train(x, x_val).source.startswith("loaded from the store")
    assert train(x[:48], x_val).source == "trained now"  # another training set
    assert train(x, x_val[:8]).source == "trained now"  # another validation set
    assert len(list(tmp_path.rglob("meta.json"))) == 3


def test_save_and_load_round_trip_keeps_the_code_gaussian(tmp_path):
    model = tiny(arch="conv", latent_dim=4, noise_std=0.2)
    A.compile_autoencoder(model, 1e-2)
    model.fit(_images(32), batch_size=16, epochs=1, verbose=0)  # trained weights must survive the round trip
    model.fit_code_gaussian(_images(64))
    model.save(tmp_path / "ae.keras")
    loaded = keras.saving.load_model(tmp_path / "ae.keras")
    assert isinstance(loaded, A.Autoencoder)
    assert (loaded.arch, loaded.latent_dim, loaded.noise_std) == ("conv", 4, 0.2)
    np.testing.assert_allclose(_np(loaded.code_mean), _np(model.code_mean))
    np.testing.assert_allclose(loaded.sample(3, seed=1), model.sample(3, seed=1), atol=1e-6)
    np.testing.assert_allclose(loaded.reconstruct(_images(3)), model.reconstruct(_images(3)), atol=1e-6)


def test_fitted_code_gaussian_matches_the_codes():
    model = tiny(arch="dense", latent_dim=3)
    x = _images(500)
    z = model.codes(x)
    model.fit_code_gaussian(x)
    np.testing.assert_allclose(_np(model.code_mean), z.mean(axis=0), rtol=1e-4, atol=1e-5)
    chol = _np(model.code_chol)
    np.testing.assert_allclose(chol @ chol.T, np.cov(z, rowvar=False), rtol=1e-3, atol=1e-5)
    with pytest.raises(ValueError, match="source"):
        model.sample(2, source="uniform")


# ------------------------------------------------------------------- PCA
def test_pca_is_exact_on_data_in_a_two_dimensional_plane():
    rng = np.random.default_rng(0)
    basis = rng.standard_normal((2, 784))
    x = (rng.standard_normal((50, 2)) @ basis + 3.0).reshape(50, 28, 28, 1)
    pca = A.PCA().fit(x)
    assert pca.mse(x, 1) > 1e-2
    assert pca.mse(x, 2) < 1e-10  # float32 rounding of the inputs only
    assert pca.explained_variance[2] == pytest.approx(0.0, abs=1e-9)


def test_pca_error_decreases_with_components_and_matches_svd():
    x = _images(100, seed=1)
    pca = A.PCA().fit(x)
    errors = [pca.mse(x, k) for k in (1, 5, 20, 99)]
    assert errors == sorted(errors, reverse=True)
    flat = x.reshape(100, -1).astype(np.float64)
    centred = flat - flat.mean(0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    svd_rec = (u[:, :5] * s[:5]) @ vt[:5]
    assert pca.mse(x, 5) == pytest.approx(np.mean((svd_rec - centred) ** 2), rel=1e-6)


# ------------------------------------------------------------------- ROC
def test_roc_auc_by_hand():
    fpr, tpr, auc = A.roc_curve([0.1, 0.2], [0.3, 0.15])
    assert auc == pytest.approx(0.75)  # 3 of the 4 (anomaly, normal) pairs are ordered correctly
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    assert A.roc_curve([0, 1], [2, 3])[2] == pytest.approx(1.0)
    assert A.roc_curve([1, 1], [1, 1])[2] == pytest.approx(0.5)  # ties count one half
    with pytest.raises(ValueError):
        A.roc_curve([], [1.0])


def test_ae_recipe_generates_uint8_and_refuses_labels():
    model = tiny()
    x, y = A.generate_recipe_samples(model, 5, seed=0)
    assert x.shape == (5, 28, 28) and x.dtype == np.uint8 and y is None
    np.testing.assert_array_equal(x, A.generate_recipe_samples(model, 5, seed=0)[0])
    with pytest.raises(ValueError, match="unconditional"):
        A.generate_recipe_samples(model, 2, labels=[1, 2])
