"""helpers.data_quality: statistics, PCA, duplicates, label issues, pipelines, the card."""

import os

import numpy as np
import pytest

from helpers import data_quality as Q


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(60, 28, 28), dtype=np.uint8)
    y = np.repeat(np.arange(3), 20)
    return x, y


def test_class_balance_counts_and_ratio():
    out = Q.class_balance(np.array([0, 0, 0, 1, 2, 2]), num_classes=4)
    np.testing.assert_array_equal(out["counts"], [3, 1, 2, 0])
    np.testing.assert_allclose(out["fractions"], [0.5, 1 / 6, 1 / 3, 0])
    assert out["imbalance_ratio"] == float("inf")
    assert Q.class_balance(np.array([0, 1, 1]), num_classes=2)["imbalance_ratio"] == 2.0
    with pytest.raises(ValueError, match="num_classes"):
        Q.class_balance(np.array([0, 5]), num_classes=3)


def test_class_mean_std_by_hand():
    x = np.zeros((4, 2, 2), np.uint8)
    x[0] = 255
    y = np.array([0, 0, 1, 1])
    means, stds = Q.class_mean_std(x, y, num_classes=2)
    np.testing.assert_allclose(means[0], 0.5)
    np.testing.assert_allclose(stds[0], 0.5)
    np.testing.assert_allclose(means[1], 0.0)


def test_pixel_stats_by_hand():
    x = np.array([[[0, 255], [0, 0]], [[255, 255], [0, 0]]], np.uint8)
    s = Q.pixel_stats(x)
    assert s["mean"] == pytest.approx(3 / 8)
    assert s["fraction_zero"] == pytest.approx(5 / 8)
    assert s["fraction_full"] == pytest.approx(3 / 8)
    assert s["never_used_pixels"] == 2
    assert s["ink_mean"] == pytest.approx(3 / 8) and s["ink_std"] == pytest.approx(0.125)


def test_data_quality_uses_the_one_pca_and_neighbour_search():
    from helpers.metrics import geometry

    assert Q.PCA is geometry.PCA and Q.pca is geometry.pca and Q.nearest_neighbours is geometry.nearest_neighbours


def test_pca_recovers_the_main_direction():
    rng = np.random.default_rng(1)
    t = rng.normal(size=(500, 1))
    direction = np.zeros((1, 16))
    direction[0, 3] = 0.6
    direction[0, 7] = 0.8
    x = (t @ direction * 3 + 0.01 * rng.normal(size=(500, 16))).astype(np.float32)
    p = Q.pca(x, n_components=2)
    assert abs(p.components[0] @ direction[0]) == pytest.approx(1.0, abs=1e-3)
    assert p.explained_variance_ratio[0] > 0.99
    np.testing.assert_allclose(p.components @ p.components.T, np.eye(2), atol=1e-5)
    z = p.transform(x)
    assert z.shape == (500, 2)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-4)


def test_find_duplicates_finds_planted_exact_and_near_copies(toy):
    x = toy[0][:, :10, :10]  # 100 pixels keep the test fast; the method does not care about size
    train = x[:40]
    test = x[40:].copy()
    test[0] = train[5]  # exact copy
    test[1] = np.clip(train[9].astype(int) + 3, 0, 255).astype(np.uint8)  # near copy: +3 grey levels
    rep = Q.find_duplicates(train, test, threshold=0.05, n_components=16)
    assert rep.exact_pairs == [(0, 5)] and rep.n_exact == 1
    assert rep.nn_index[1] == 9
    assert list(rep.near()) == [0, 1]
    assert rep.nn_distance[0] == 0
    assert rep.nn_distance[2:].min() > 0.2  # unrelated noise images are far apart


def test_label_issues_ranks_the_contradicted_label_first():
    probs = np.array([[0.9, 0.1], [0.02, 0.98], [0.55, 0.45], [0.2, 0.8]])
    y = np.array([0, 0, 0, 1])
    out = Q.label_issues(probs, y, top=2)
    assert list(out["suspicious"]) == [1, 2]
    assert out["ambiguous"][0] == 2
    assert out["n_disagree_confident"] == 1
    np.testing.assert_allclose(out["self_confidence"], [0.9, 0.02, 0.55, 0.8])
    with pytest.raises(ValueError):
        Q.label_issues(probs[:3], y)


def test_outlier_scores_flag_the_odd_one_out():
    rng = np.random.default_rng(2)
    base = np.zeros((28, 28), np.float32)
    base[8:20, 12:16] = 1
    x = np.stack([base + 0.02 * rng.normal(size=base.shape) for _ in range(50)])
    x[17] = np.roll(base, 9, axis=1)  # same stroke, far away
    x = np.clip(x, 0, 1)
    inliers = np.delete(x, 17, axis=0)
    scores = Q.outlier_scores(x, n_components=3, fit_on=inliers)
    assert scores.argmax() == 17
    assert scores[17] > 10 * np.median(scores)


def test_knn_predict_copies_the_label_of_the_closest_image(toy):
    x, y = toy
    pred = Q.knn_predict(x, y, x[[3, 25, 59]])
    np.testing.assert_array_equal(pred, y[[3, 25, 59]])


def test_pipeline_variants_yield_the_same_images(toy):
    x, y = toy
    seen = {}
    for name, opts in Q.PIPELINE_VARIANTS.items():
        ds = Q.build_pipeline(x, y, batch_size=16, **opts)
        items = list(ds.unbatch() if opts["batch"] else ds)
        seen[name] = sorted(float(a.numpy().sum()) for a, _ in items)
        assert len(items) == len(x)
        assert items[0][0].shape == (28, 28, 1)
    first = next(iter(seen.values()))
    for v in seen.values():
        np.testing.assert_allclose(v, first, rtol=1e-5)


def test_throughput_counts_images_and_reports_rates(toy):
    x, y = toy
    some = {k: Q.PIPELINE_VARIANTS[k] for k in list(Q.PIPELINE_VARIANTS)[:2]}
    res = Q.pipeline_throughput(x, y, batch_size=16, epochs=2, variants=some)
    assert set(res) == set(some)
    for r in res.values():
        assert r["images"] == len(x) and r["first_epoch"] > 0 and r["later_epochs"] > 0


def test_dataset_card_renders_measured_numbers():
    card = Q.dataset_card("MNIST", {"Composition": {"training images": 60000, "mean pixel": 0.1307},
                                    "Licence": "CC BY-SA 3.0"})
    assert "### Dataset card: MNIST" in card
    assert "- training images: 60,000" in card
    assert "- mean pixel: 0.1307" in card
    assert "**Licence**" in card


@pytest.mark.skipif(not os.environ.get("COURSE_DATA_DIR"), reason="needs MNIST (set COURSE_DATA_DIR)")
def test_mnist_facts_the_chapter_relies_on():
    from helpers.datasets import load_mnist

    (x_train, y_train), (x_test, _) = load_mnist()
    s = Q.pixel_stats(x_train)
    assert s["mean"] == pytest.approx(0.1307, abs=1e-3) and s["std"] == pytest.approx(0.3081, abs=1e-3)
    balance = Q.class_balance(y_train)
    assert balance["counts"].sum() == 60000 and balance["counts"].argmax() == 1
