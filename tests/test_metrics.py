"""helpers.metrics: each metric against hand-computed or closed-form values."""

import os

import numpy as np
import pytest

from helpers import metrics
from helpers.metrics import MetricsError

HAS_DATA = bool(os.environ.get("COURSE_DATA_DIR"))
needs_data = pytest.mark.skipif(not HAS_DATA, reason="COURSE_DATA_DIR not set (MNIST needed)")


# ----------------------------------------------------------------- input normalisation
def test_as_images_accepts_uint8_and_both_float_ranges_identically():
    rng = np.random.default_rng(0)
    u8 = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    # include exact 0 and 255 so the float versions use the whole range
    u8[0, 0, 0], u8[0, 0, 1] = 0, 255
    unit = u8 / 255.0
    signed = unit * 2 - 1
    a, b, c = metrics.as_images(u8), metrics.as_images(unit), metrics.as_images(signed)
    assert a.shape == (5, 28, 28, 1) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(a, c, atol=1e-6)
    assert a.min() == 0.0 and a.max() == 1.0
    np.testing.assert_allclose(metrics.as_images(u8[..., None]), a)


def test_as_images_explicit_range_overrides_guess():
    x = np.full((2, 28, 28), 0.5, np.float32)  # no negatives: guessed as [0, 1]
    assert metrics.as_images(x)[0, 0, 0, 0] == pytest.approx(0.5)
    assert metrics.as_images(x, value_range=(-1, 1))[0, 0, 0, 0] == pytest.approx(0.75)
    assert metrics.as_images(x * 255, value_range=(0, 255))[0, 0, 0, 0] == pytest.approx(0.5)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((28, 28)), "single 28x28 image"),
    (np.zeros((4, 32, 32)), "expected a batch of 28x28"),
    (np.zeros((4, 28, 28, 3)), "expected a batch of 28x28"),
    (np.zeros((0, 28, 28)), "empty"),
    (np.full((2, 28, 28), 200.0), "pass uint8 or value_range"),
    (np.full((2, 28, 28), -3.0), "outside the range"),
    (np.full((2, 28, 28), np.nan), "NaN"),
    (np.zeros((2, 28, 28), np.int32), "integer dtype"),
])
def test_as_images_rejects_bad_inputs_clearly(bad, message):
    with pytest.raises(MetricsError, match=message):
        metrics.as_images(bad)


def test_as_labels_checks_length_and_range():
    np.testing.assert_array_equal(metrics.as_labels(np.eye(10)[[3, 1]], 2), [3, 1])
    with pytest.raises(MetricsError, match=r"expected \(3,\)"):
        metrics.as_labels([1, 2], 3)
    with pytest.raises(MetricsError, match="0..9"):
        metrics.as_labels([1, 10], 2)


# ----------------------------------------------------------------- Fréchet distance
def test_frechet_identical_sets_is_zero():
    f = np.random.default_rng(0).normal(size=(500, 8))
    assert metrics.frechet_distance(f, f) == pytest.approx(0.0, abs=1e-6)


def test_frechet_shifted_gaussians_matches_closed_form():
    # N(mu1, diag(s1^2)) vs N(mu2, diag(s2^2)): |mu1-mu2|^2 + sum (s1 - s2)^2
    mu1, mu2 = np.zeros(3), np.array([1.0, 2.0, 0.0])
    s1, s2 = np.array([1.0, 2.0, 0.5]), np.array([2.0, 1.0, 0.5])
    expected = 1 + 4 + 0 + (1 + 1 + 0)
    got = metrics.frechet_from_stats(mu1, np.diag(s1**2), mu2, np.diag(s2**2))
    assert got == pytest.approx(expected, rel=1e-9)
    # and from samples: large N recovers it within sampling error
    rng = np.random.default_rng(1)
    a = mu1 + s1 * rng.standard_normal((200_000, 3))
    b = mu2 + s2 * rng.standard_normal((200_000, 3))
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=0.02)


def test_frechet_non_diagonal_covariance_closed_form():
    # same covariance, shifted means: distance is exactly |mu1 - mu2|^2
    cov = np.array([[2.0, 0.8], [0.8, 1.0]])
    assert metrics.frechet_from_stats([0, 0], cov, [3, 4], cov) == pytest.approx(25.0, rel=1e-8)


def test_frechet_rejects_mismatched_features():
    with pytest.raises(MetricsError, match="feature sizes differ"):
        metrics.frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))


# ----------------------------------------------------------------- precision / recall
def test_kth_nn_radii_by_hand():
    pts = np.array([[0.0], [1.0], [3.0], [7.0]])
    # k=1: nearest other point; k=2: second nearest
    np.testing.assert_allclose(metrics.kth_nn_radii(pts, k=1), [1, 1, 2, 4])
    np.testing.assert_allclose(metrics.kth_nn_radii(pts, k=2), [3, 2, 3, 6])


def test_precision_recall_hand_checked_points():
    real = np.array([[0.0, 0], [1, 0], [0, 1], [1, 1]])  # unit square, k=1 radius 1 each
    fake = np.array([[0.5, 0.5], [0.0, 1.9], [5, 5], [6, 5]])
    # precision: (0.5,0.5) and (0,1.9) lie inside a real ball; (5,5), (6,5) do not -> 2/4
    # fake radii (k=1): 1.4866, 1.4866... ; (5,5)-(6,5) radius 1.  Real points within a fake ball:
    #   (0,1): distance to (0,1.9) is 0.9 <= radius of (0,1.9) = |(0,1.9)-(0.5,0.5)| = 1.487 -> inside
    #   (1,1): distance to (0.5,0.5) is 0.707 <= 1.487 -> inside; (0,0) 0.707 -> inside; (1,0) -> inside
    pr = metrics.precision_recall(real, fake, k=1)
    assert pr == {"precision": 0.5, "recall": 1.0}


def test_precision_recall_same_distribution_high_and_collapse_low_recall():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(1000, 4))
    same = rng.normal(size=(1000, 4))
    pr = metrics.precision_recall(real, same, k=3)
    assert pr["precision"] > 0.9 and pr["recall"] > 0.9
    collapsed = rng.normal(scale=0.05, size=(1000, 4))  # mode collapse at the centre
    pr = metrics.precision_recall(real, collapsed, k=3)
    assert pr["precision"] > 0.9 and pr["recall"] < 0.2


# ----------------------------------------------------------------- classifier score, fidelity
def test_classifier_score_extremes():
    confident_uniform = np.eye(10)[np.arange(100) % 10]
    assert metrics.classifier_score(confident_uniform) == pytest.approx(10.0, rel=1e-6)
    one_class = np.eye(10)[np.zeros(100, int)]
    assert metrics.classifier_score(one_class) == pytest.approx(1.0, rel=1e-6)
    unsure = np.full((50, 10), 0.1)
    assert metrics.classifier_score(unsure) == pytest.approx(1.0, rel=1e-6)
    two_classes = np.eye(10)[np.arange(100) % 2]
    assert metrics.classifier_score(two_classes) == pytest.approx(2.0, rel=1e-6)


def test_classifier_score_rejects_non_probabilities():
    with pytest.raises(MetricsError, match="probability"):
        metrics.classifier_score(np.ones((3, 10)))


def test_label_fidelity_counts_agreement():
    pred = np.array([0, 1, 2, 2])
    out = metrics.label_fidelity(pred, [0, 1, 2, 3])
    assert out["label_fidelity"] == 0.75
    assert out["label_fidelity_per_class"] == {0: 1.0, 1: 1.0, 2: 1.0, 3: 0.0}


# ----------------------------------------------------------------- memorisation
def _blobs(n, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def test_nearest_neighbours_exact_copies_have_zero_distance():
    train = _blobs(50, 0)
    d, idx = metrics.nearest_neighbours(train[[7, 3]] / 255.0, train / 255.0)
    np.testing.assert_array_equal(idx, [7, 3])
    np.testing.assert_array_equal(d, [0.0, 0.0])


def test_memorisation_ratio_copies_near_zero_fresh_near_one():
    train, heldout, fresh = _blobs(300, 0), _blobs(100, 1), _blobs(100, 2)
    copies = train[:100]
    out = metrics.memorisation(copies, train, heldout)
    assert out["memorisation_ratio"] == pytest.approx(0.0, abs=1e-6)
    assert out["copy_rate"] == 1.0
    s, t, d = out["pairs"][0]
    assert t == s and d == 0.0  # sample i is a copy of training image i
    noisy = np.clip(copies.astype(int) + np.random.default_rng(3).integers(-20, 21, copies.shape), 0, 255)
    assert metrics.memorisation(noisy.astype(np.uint8), train, heldout)["memorisation_ratio"] < 0.3
    fair = metrics.memorisation(fresh, train, heldout)
    assert 0.9 < fair["memorisation_ratio"] < 1.1
    assert fair["copy_rate"] < 0.1


def test_memorisation_subsamples_deterministically():
    train, heldout = _blobs(100, 0), _blobs(60, 1)
    a = metrics.memorisation(_blobs(80, 2), train, heldout, max_samples=20, seed=5)
    b = metrics.memorisation(_blobs(80, 2), train, heldout, max_samples=20, seed=5)
    assert len(a["sample_distances"]) == 20 and a["pairs"] == b["pairs"]


# ----------------------------------------------------------------- reporting
def test_summary_is_json_serialisable_and_table_lists_baselines():
    import json

    res = {"n": 3, "dataset": "mnist", "conditional": False, "frechet_distance": np.float64(2.5),
           "frechet_distance_real": 0.5, "sample_distances": np.zeros(3), "seconds": {"frechet": 0.1}}
    text = json.dumps(metrics.summary(res))
    assert "sample_distances" not in text
    table = metrics.format_results(res)
    assert "Fréchet distance" in table and "2.5000" in table and "0.5000" in table


def test_evaluate_samples_rejects_unknown_metric():
    with pytest.raises(MetricsError, match="unknown metrics"):
        metrics.evaluate_samples(np.zeros((4, 28, 28), np.uint8), metrics=("fid",))


# ----------------------------------------------------------------- shipped evaluator (needs data)
@pytest.fixture(scope="module")
def mnist():
    from helpers.datasets import load

    return load("mnist")


@needs_data
def test_shipped_evaluator_weights_are_small_and_score_99_percent(mnist):
    weights, info = metrics.evaluator_paths("mnist")
    assert weights.stat().st_size < 2_000_000
    ev = metrics.evaluator("mnist")
    (_, _), (x_test, y_test) = mnist
    accuracy = float(np.mean(ev.predict(x_test) == y_test))
    assert accuracy >= 0.990
    assert ev.info["test_accuracy"] == pytest.approx(accuracy, abs=0.002)
    assert ev.features(x_test[:3]).shape == (3, 128)
    assert ev.info["frechet_real_vs_real_10k"] > 0


@needs_data
def test_fashion_evaluator_loads_and_scores(mnist):
    from helpers.datasets import load

    (_, _), (x_test, y_test) = load("fashion_mnist")
    ev = metrics.evaluator("fashion_mnist")
    assert float(np.mean(ev.predict(x_test[:2000]) == y_test[:2000])) >= 0.88
    assert metrics.evaluator_paths("fashion_mnist")[0].stat().st_size < 2_000_000


@needs_data
def test_evaluate_samples_real_images_score_like_real_data(mnist):
    (x_train, y_train), _ = mnist
    x, y = x_train[-300:], y_train[-300:]  # real images: a perfect "generator"
    res = metrics.evaluate_samples(x * (2 / 255.0) - 1, y, metrics=("frechet", "precision_recall",
                                   "classifier_score", "label_fidelity", "memorisation"),
                                   memorisation_samples=300)
    assert res["frechet_distance"] < 3 * res["frechet_distance_real"] + 1.0
    assert res["label_fidelity"] > 0.97
    assert res["classifier_score"] > 8.5
    assert res["memorisation_ratio"] == pytest.approx(0.0, abs=1e-6)  # they ARE training images
    assert set(res["seconds"]) >= {"frechet", "precision_recall", "memorisation"}


@needs_data
def test_explorer_widget_state_follows_show(mnist):
    from helpers.ui.metrics import MetricsExplorer

    (x_train, y_train), (x_test, _) = mnist
    copies = x_train[:60]
    explorer = MetricsExplorer({"copies": (copies, None), "test": (x_test[:60], None)}, x_train,
                               sizes=(30, 60, 5000), memorisation_samples=30)
    assert explorer.sizes == [30, 60]  # sizes larger than the sample sets are dropped
    assert explorer.model == "copies" and explorer.n == 30
    assert explorer.results["memorisation_ratio"] == pytest.approx(0.0, abs=1e-6)
    assert explorer.pairs_image.value[:4] == b"\x89PNG"
    explorer.show("test", 60)
    assert (explorer.model, explorer.n) == ("test", 60)
    assert explorer.results["memorisation_ratio"] > 0.5
    assert "Fréchet distance" in explorer.table.value and "test</b>, 60 samples" in explorer.caption.value
    assert set(explorer.cache) == {("copies", 30), ("test", 60)}


def test_density_and_coverage_by_hand_and_the_outlier_that_fools_precision():
    from helpers import metrics

    real = np.array([[0.0], [1.0], [2.0], [10.0]])       # 1-NN radii: 1, 1, 1 and 8 (the outlier)
    fake = np.array([[0.5], [10.5], [5.0]])              # 5.0 is nowhere near real data but inside 10's ball
    dc = metrics.density_coverage(real, fake, k=1)
    # balls holding each sample: 0.5 -> {0, 1}, 10.5 -> {10}, 5 -> {10}: 4 / (k=1 × 3 samples)
    assert dc["density"] == pytest.approx(4 / 3)
    # real points with a sample in their ball: 0 (0.5), 1 (0.5), 10 (10.5); not 2 (nearest sample 1.5 > 1)
    assert dc["coverage"] == pytest.approx(3 / 4)
    assert metrics.precision_recall(real, fake, k=1)["precision"] == 1.0  # the outlier's ball swallows 5.0
    far = metrics.density_coverage(real, np.array([[100.0], [200.0]]), k=1)
    assert far == {"density": 0.0, "coverage": 0.0}


# ----------------------------------------------------------------- usefulness (TSTR): explicit randomness
def _global_random_state():
    """Everything a hidden ``set_seed`` / unseeded Keras layer / op-determinism switch would change."""
    import random

    import keras
    from keras.src.backend.common import global_state
    from keras.src.random.seed_generator import global_seed_generator
    from tensorflow.python.framework import config as tf_config
    from tensorflow.python.framework import random_seed

    generator = global_seed_generator()  # created (once) before the first snapshot
    np_state = np.random.get_state()
    return {
        "python": random.getstate(),
        "numpy": (np_state[0], np_state[1].tolist(), *np_state[2:]),
        "keras_seed": global_state.get_global_attribute("global_random_seed"),
        "keras_generator": (id(generator), keras.ops.convert_to_numpy(generator.state).tolist()),
        "tf_seed": random_seed.get_seed(None)[0],
        "tf_determinism": tf_config.is_op_determinism_enabled(),
    }


def _tiny_tstr_data():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(48, 28, 28), dtype=np.uint8)
    y = np.arange(48) % 10
    return x[:16], y[:16], x[16:40], y[16:40], x[40:], y[40:]


def test_tstr_leaves_global_random_state_alone_and_repeats_with_its_seed():
    from tensorflow.python.framework import config as tf_config

    was_deterministic = tf_config.is_op_determinism_enabled()
    tf_config.disable_op_determinism()  # so a hidden enable_op_determinism() would show
    try:
        before = _global_random_state()
        a = metrics.tstr(*_tiny_tstr_data(), epochs=1, batch_size=8, seed=3)
        after = _global_random_state()
        b = metrics.tstr(*_tiny_tstr_data(), epochs=1, batch_size=8, seed=3)
    finally:
        if was_deterministic:
            tf_config.enable_op_determinism()
    assert after == before
    assert a == b
    assert set(a) == {"tstr_n", "tstr_epochs", "tstr_acc", "trtr_acc"} and a["tstr_n"] == 16


def test_train_fixed_cnn_weights_depend_on_its_seed_only():
    import keras

    x, y = _tiny_tstr_data()[:2]
    keras.utils.set_random_seed(1)  # a learner's global seed must not matter...
    w1 = metrics.train_fixed_cnn(x, y, epochs=1, batch_size=8, seed=5).get_weights()
    keras.utils.set_random_seed(2)
    w2 = metrics.train_fixed_cnn(x, y, epochs=1, batch_size=8, seed=5).get_weights()
    w3 = metrics.train_fixed_cnn(x, y, steps=3, batch_size=8, seed=6).get_weights()
    for a, b in zip(w1, w2, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(w1[0], w3[0])  # ...but its own seed does


# ----------------------------------------------------------------- package layout and caches
def test_every_metrics_name_the_chapters_use_is_exported():
    import importlib.util
    import json
    import re
    from pathlib import Path

    used = set()
    for nb in sorted((Path(__file__).resolve().parents[1] / "chapters").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                used |= set(re.findall(r"\bmetrics\.([A-Za-z_]\w*)", "".join(cell["source"])))
    assert {"evaluate_samples", "tstr", "pairwise_distances", "train_fixed_cnn"} <= used  # the scan works
    missing = {name for name in used
               if not hasattr(metrics, name) and importlib.util.find_spec(f"helpers.metrics.{name}") is None}
    assert not missing


@needs_data
def test_clear_caches_empties_the_evaluator_and_real_data_caches():
    metrics.evaluator("mnist")
    metrics.real_data("mnist")
    assert metrics.evaluator.cache_info().currsize and metrics.real_data.cache_info().currsize
    metrics.clear_caches()
    assert metrics.evaluator.cache_info().currsize == 0 and metrics.real_data.cache_info().currsize == 0
    assert metrics.real_baseline.cache_info().currsize == 0


def test_memorisation_reads_a_training_set_in_any_accepted_range_the_same():
    """The training set is converted a slice at a time; uint8, [0, 1] and [-1, 1] copies of it agree."""
    from helpers.metrics.privacy import nearest_training_images

    train, heldout, samples = _blobs(120, 0), _blobs(40, 1), _blobs(30, 2)
    as_unit = train / 255.0
    ref = metrics.memorisation(samples, train, heldout)
    for other in (as_unit.astype(np.float32), (as_unit * 2 - 1).astype(np.float32)):
        got = metrics.memorisation(samples, other, heldout)
        assert got["memorisation_ratio"] == pytest.approx(ref["memorisation_ratio"], rel=1e-5)
        assert [p[1] for p in got["pairs"]] == [p[1] for p in ref["pairs"]]
    dist, idx = nearest_training_images(train[[4, 9]], train)
    np.testing.assert_array_equal(idx, [4, 9])
    np.testing.assert_array_equal(dist, [0.0, 0.0])
    with pytest.raises(metrics.MetricsError, match="x_train"):
        metrics.memorisation(samples, train[:, :27], heldout)
