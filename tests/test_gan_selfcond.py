"""The self-conditioned GAN of chapter 05 §7: k-means by hand, cluster shares, sampling, saving, fitting (tests)."""

import numpy as np
import pytest

from helpers.models import gan
from helpers.models.gan import selfcond


def _two_kinds(n=40):
    """n images: the first half black with a bright top-left pixel block, the second half a bright bottom-right block."""
    x = np.zeros((n, 28, 28), np.uint8)
    x[: n // 2, :4, :4] = 255
    x[n // 2:, -4:, -4:] = 255
    return x


def test_kmeans_separates_two_obvious_groups_and_centroids_are_their_means():
    x = _two_kinds()
    centroids, ids = selfcond.kmeans(x, 2, seed=0)
    assert ids.shape == (40,) and ids.dtype == np.int32
    assert len(set(ids[:20])) == 1 and len(set(ids[20:])) == 1 and ids[0] != ids[20]
    first = centroids[ids[0]].reshape(28, 28)
    assert first[:4, :4].min() == pytest.approx(1.0) and first[4:, 4:].max() == pytest.approx(0.0)


def test_kmeans_is_deterministic_per_seed_and_assigns_to_the_nearest_centroid():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (200, 28, 28)).astype(np.uint8)
    c1, a1 = selfcond.kmeans(x, 5, seed=3)
    c2, a2 = selfcond.kmeans(x, 5, seed=3)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_allclose(c1, c2)
    f = x.reshape(200, -1) / 255.0
    brute = ((f[:, None, :] - c1[None]) ** 2).sum(-1).argmin(1)  # by hand: every distance
    np.testing.assert_array_equal(selfcond.nearest_centroid(x, c1), brute)
    with pytest.raises(ValueError, match="k must be"):
        selfcond.kmeans(x, 0)


def test_untrained_model_refuses_to_sample_and_says_what_to_do():
    model = gan.build_gan("scgan", latent_dim=4, width=4, num_clusters=3)
    with pytest.raises(RuntimeError, match="fit it"):
        model.generate(2)


def test_samples_follow_the_cluster_shares_and_given_labels_are_obeyed():
    model = gan.build_gan("scgan", latent_dim=4, width=4, num_clusters=3)
    model.cluster_share.assign(np.array([0.0, 1.0, 0.0], "float32"))  # every sample must come from cluster 1
    z = np.random.default_rng(0).standard_normal((6, 4)).astype("float32")
    drawn = model.generate(z=z)
    cgan_way = gan.ConditionalGAN.generate(model, z=z, labels=np.ones(6, "int32"))
    np.testing.assert_allclose(drawn, cgan_way, atol=1e-6)
    other = model.generate(z=z, labels=np.zeros(6, "int32"))
    assert not np.allclose(drawn, other)


def test_fit_clusters_the_images_trains_and_the_shares_survive_saving(tmp_path):
    import keras

    x = _two_kinds(64)
    model = gan.build_gan("scgan", latent_dim=4, width=4, num_clusters=2, run_eagerly=True)
    result = gan.fit_gan(model, x, steps=2, batch_size=16)
    share = keras.ops.convert_to_numpy(model.cluster_share)
    np.testing.assert_allclose(share, [0.5, 0.5])
    assert result.batches == 2 and not model.conditional
    path = tmp_path / "scgan.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again.cluster_share), share)
    assert again.num_clusters == 2 and again.generate(3, seed=0).shape == (3, 28, 28, 1)


def test_registry_and_benchmark_list_it_with_the_dcgan_goals():
    from helpers.bench.run import COURSE_MODELS
    from helpers.bench.targets import TARGETS, targets_for
    from helpers.models import registry

    recipe = registry.get("scgan")
    assert not recipe.conditional and "no labels" in recipe.description
    assert "scgan" in COURSE_MODELS and "wgan_gp" in COURSE_MODELS
    assert targets_for("scgan") == TARGETS["dcgan"]
