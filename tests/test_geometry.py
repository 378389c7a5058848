"""helpers.metrics.geometry: distances, nearest neighbours, k-NN balls and PCA, against hand-computed values."""

import numpy as np
import pytest

from helpers.metrics import MetricsError, geometry


@pytest.fixture(scope="module")
def toy():
    return np.random.default_rng(0).integers(0, 256, size=(60, 28, 28), dtype=np.uint8)


# ------------------------------------------------------------------ nearest neighbours
def test_nearest_neighbours_by_hand_returns_distances_then_indices():
    queries = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]])
    reference = np.array([[1.0, 0.0], [0.0, 4.0], [9.0, 0.0], [100.0, 100.0]])
    # (0,0): 1, 4, 9 -> ref 0 at 1;  (3,4): sqrt(20), 3, sqrt(52) -> ref 1 at 3;  (10,0): ref 2 at 1
    dist, idx = geometry.nearest_neighbours(queries, reference)
    np.testing.assert_array_equal(idx, [0, 1, 2])
    np.testing.assert_allclose(dist, [1.0, 3.0, 1.0], rtol=1e-12)
    assert idx.dtype == np.int64 and dist.dtype == np.float64


def test_nearest_neighbours_matches_brute_force_for_any_chunk(toy):
    q, r = toy[:7].astype(np.float32), toy[7:].astype(np.float32)
    brute = np.sqrt(((q.reshape(7, 1, -1).astype(np.float64) - r.reshape(1, len(r), -1)) ** 2).sum(-1))
    for chunk in (1, 3, None, 1000):
        dist, idx = geometry.nearest_neighbours(q, r, chunk=chunk)
        np.testing.assert_array_equal(idx, brute.argmin(1))
        np.testing.assert_allclose(dist, brute.min(1), rtol=1e-9)  # recomputed exactly, not from the expansion


def test_nearest_neighbours_of_exact_copies_is_exactly_zero(toy):
    dist, idx = geometry.nearest_neighbours(toy[[7, 3]], toy)
    np.testing.assert_array_equal(idx, [7, 3])
    np.testing.assert_array_equal(dist, [0.0, 0.0])


def test_nearest_neighbours_prepares_the_reference_a_slice_at_a_time(toy, monkeypatch):
    monkeypatch.setattr(geometry, "REFERENCE_ROWS", 16)  # 60 references: four slices, then the winners
    seen = []

    def to_unit(rows):
        seen.append(len(rows))
        return rows.astype(np.float32) / 255.0

    q = toy[[5, 40, 59]].astype(np.float32) / 255.0
    dist, idx = geometry.nearest_neighbours(q, toy, prepare=to_unit)
    np.testing.assert_array_equal(idx, [5, 40, 59])
    np.testing.assert_array_equal(dist, [0.0, 0.0, 0.0])  # prepared as the queries were: copies are exact
    assert seen == [16, 16, 16, 12, 3]  # never all 60 at once
    plain = geometry.nearest_neighbours(q, toy.astype(np.float32) / 255.0)
    np.testing.assert_array_equal(idx, plain[1])


def test_nearest_neighbours_rejects_points_of_another_size():
    with pytest.raises(ValueError, match="coordinates"):
        geometry.nearest_neighbours(np.zeros((2, 3)), np.zeros((4, 5)))


def test_pairwise_distances_by_hand_and_chunk_independent():
    a = np.array([[0.0, 0.0], [3.0, 4.0]])
    b = np.array([[0.0, 0.0], [6.0, 8.0], [3.0, 0.0]])
    expected = [[0.0, 10.0, 3.0], [5.0, 5.0, 4.0]]
    np.testing.assert_allclose(geometry.pairwise_distances(a, b), expected, atol=1e-12)
    np.testing.assert_allclose(geometry.pairwise_distances(a, b, chunk=1), expected, atol=1e-12)


# ------------------------------------------------------------------ k-NN balls
def test_kth_nn_radii_by_hand_on_a_square_and_chunk_independent():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # every corner: two neighbours at 1, the opposite corner at sqrt(2)
    np.testing.assert_allclose(geometry.kth_nn_radii(square, k=1), [1, 1, 1, 1], rtol=1e-6)
    np.testing.assert_allclose(geometry.kth_nn_radii(square, k=2), [1, 1, 1, 1], rtol=1e-6)
    np.testing.assert_allclose(geometry.kth_nn_radii(square, k=3), [np.sqrt(2)] * 4, rtol=1e-6)
    line = np.array([[0.0], [1.0], [3.0], [7.0]])
    for chunk in (1, 2, None):
        np.testing.assert_allclose(geometry.kth_nn_radii(line, k=2, chunk=chunk), [3, 2, 3, 6], rtol=1e-6)


def test_ball_counts_by_hand_with_points_on_the_rim():
    centres, radii = np.array([[0.0], [10.0]]), np.array([2.0, 8.0])
    points = np.array([[0.5], [2.0], [5.0], [20.0]])
    # 0.5: ball 0 only; 2.0: on both rims (2 from 0, 8 from 10); 5.0: ball 1 only; 20: none
    for chunk in (1, None):
        np.testing.assert_array_equal(geometry.ball_counts(points, centres, radii, chunk=chunk), [1, 2, 1, 0])
    np.testing.assert_array_equal(geometry.inside_any_ball(points, centres, radii), [True, True, True, False])


def test_distances_reject_mismatched_or_too_few_points():
    with pytest.raises(ValueError, match="coordinates"):
        geometry.nearest_neighbours(np.zeros((2, 3)), np.zeros((4, 2)))
    with pytest.raises(MetricsError, match="k=3 needs at least"):
        geometry.kth_nn_radii(np.zeros((3, 2)), k=3)
    with pytest.raises(ValueError, match="chunk"):
        geometry.pairwise_distances(np.zeros((2, 2)), np.zeros((2, 2)), chunk=0)


# ------------------------------------------------------------------ PCA
@pytest.fixture(scope="module")
def small_matrix():
    rng = np.random.default_rng(3)
    return rng.normal(size=(40, 6)) @ rng.normal(size=(6, 6)) + np.arange(6)


def test_pca_matches_numpy_svd(small_matrix):
    x = small_matrix
    p = geometry.PCA().fit(x)
    centred = x - x.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(p.mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(p.explained_variance, s ** 2 / (len(x) - 1), rtol=1e-9)
    np.testing.assert_allclose(p.explained_variance_ratio, s ** 2 / np.sum(s ** 2), rtol=1e-9)
    # same directions as the SVD, up to sign; orthonormal rows
    np.testing.assert_allclose(np.abs(p.components @ vt.T), np.eye(6), atol=1e-8)
    np.testing.assert_allclose(p.components @ p.components.T, np.eye(6), atol=1e-12)
    # the fixed sign: each direction's largest coefficient is positive
    assert np.all(p.components[np.arange(6), np.abs(p.components).argmax(axis=1)] > 0)
    # rank-2 reconstruction is the SVD's, and all components reconstruct exactly
    rank2 = (u[:, :2] * s[:2]) @ vt[:2] + x.mean(axis=0)
    np.testing.assert_allclose(p.reconstruct(x, 2), rank2, atol=1e-10)
    assert p.mse(x, 2) == pytest.approx(np.mean((rank2 - x) ** 2), rel=1e-9)
    assert p.mse(x) < 1e-25
    np.testing.assert_allclose(p.transform(x, 2), u[:, :2] * s[:2] * np.sign(np.diag(p.components[:2] @ vt[:2].T)),
                               atol=1e-10)


def test_pca_keeps_n_components_and_scales_uint8(toy):
    p8 = geometry.pca(toy, n_components=3)
    pf = geometry.pca(toy / 255.0, n_components=3)
    assert p8.components.shape == (3, 784) and p8.explained_variance_ratio.shape == (3,)
    np.testing.assert_allclose(p8.mean, pf.mean, atol=1e-6)
    np.testing.assert_allclose(p8.components, pf.components, atol=1e-5)
    z = p8.transform(toy)
    assert z.shape == (60, 3)
    assert p8.inverse_transform(z).shape == (60, 784) and p8.reconstruct(toy).shape == toy.shape


def test_pca_subsamples_with_its_seed_only(small_matrix):
    a = geometry.pca(small_matrix, n_components=2, max_samples=10, seed=1)
    b = geometry.pca(small_matrix, n_components=2, max_samples=10, seed=1)
    c = geometry.pca(small_matrix, n_components=2, max_samples=10, seed=2)
    np.testing.assert_array_equal(a.components, b.components)
    assert not np.allclose(a.mean, c.mean)  # another random subset of 10 rows


def test_pca_errors_are_explained(small_matrix):
    with pytest.raises(ValueError, match="not fitted"):
        geometry.PCA().transform(small_matrix)
    with pytest.raises(ValueError, match="k=3 components requested, 2 were fitted"):
        geometry.PCA(2).fit(small_matrix).transform(small_matrix, 3)
    with pytest.raises(ValueError, match="at least 2 rows"):
        geometry.PCA().fit(small_matrix[:1])


def test_nearest_neighbours_across_reference_slices_matches_brute_force(toy, monkeypatch):
    """The reference is converted to float32 a slice at a time; answers must not depend on the slice size."""
    q, r = toy[:9], toy[9:]
    brute = np.sqrt(((q.reshape(9, 1, -1).astype(np.float64) - r.reshape(1, len(r), -1)) ** 2).sum(-1))
    for rows in (1, 7, 50, 10_000):
        monkeypatch.setattr(geometry, "REFERENCE_ROWS", rows)
        dist, idx = geometry.nearest_neighbours(q, r, chunk=4)
        np.testing.assert_array_equal(idx, brute.argmin(1))
        np.testing.assert_allclose(dist, brute.min(1), rtol=1e-9)


def test_nearest_neighbours_ties_go_to_the_first_reference_row(monkeypatch):
    reference = np.array([[5.0, 5.0], [1.0, 0.0], [9.0, 9.0], [1.0, 0.0], [0.0, 1.0]])
    for rows in (1, 2, 3, 100):  # the tied rows 1, 3 and 4 in one slice or in different ones
        monkeypatch.setattr(geometry, "REFERENCE_ROWS", rows)
        dist, idx = geometry.nearest_neighbours(np.zeros((1, 2)), reference)
        assert idx.tolist() == [1] and dist.tolist() == [1.0]
