"""Distances between rows of two arrays, k-NN balls, and PCA: the one copy the course uses.

Every function takes ``(N, ...)`` arrays and treats each row (flattened) as a
point. Squared distances use the expansion
:math:`\\lVert a-b\\rVert^2 = \\lVert a\\rVert^2 + \\lVert b\\rVert^2 - 2\\,a\\cdot b`, one
matrix product per block of rows (BLAS, all cores), and the blocks are sized
so that one ``(rows, len(b))`` block stays under about 16 MB: 60,000 training
images fit on a laptop. The answer does not depend on the block size.

* :func:`pairwise_distances`: the full ``(len(a), len(b))`` matrix (small sets).
* :func:`nearest_neighbours`: ``(distances, indices)`` of each query's nearest reference row.
* :func:`kth_nn_radii`, :func:`ball_counts`, :func:`inside_any_ball`: the k-NN balls of
  precision/recall and density/coverage.
* :class:`PCA` / :func:`pca`: principal components (chapters 01 and 03, outliers, duplicates).

Nothing here draws random numbers except :class:`PCA`'s optional subsampling,
which takes a ``seed``.
"""

from __future__ import annotations

import numpy as np

from .features import MetricsError

#: Elements of one squared-distance block (2**22 floats: 16 MB in float32; three live at once at most).
BLOCK_ELEMENTS = 2 ** 22
#: Reference rows that :func:`nearest_neighbours` converts to float32 at a time (8,192 MNIST images: 25 MB).
REFERENCE_ROWS = 8192


def _points(x, dtype) -> np.ndarray:
    x = np.asarray(x, dtype)
    return x.reshape(len(x), -1)


def _sq_norms(a) -> np.ndarray:
    return np.einsum("ij,ij->i", a, a)


def squared_distance_blocks(a, b, chunk: int | None = None, dtype=np.float32):
    """Yield ``(start, d2)``: squared distances from rows ``a[start:start+len(d2)]`` to every row of ``b``.

    ``chunk`` is the number of rows of ``a`` per block (default: as many as
    fit in :data:`BLOCK_ELEMENTS`). Values are clipped at 0 (round-off makes
    tiny negatives). The building block of every function below.
    Chapter 01's duplicate and 1-NN searches and chapters 03-06's set metrics rest on it.
    """
    a, b = _points(a, dtype), _points(b, dtype)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"points have {a.shape[1]} and {b.shape[1]} coordinates; they must match.")
    if chunk is None:
        chunk = max(1, BLOCK_ELEMENTS // max(1, len(b)))
    if chunk < 1:
        raise ValueError(f"chunk={chunk}; it must be at least 1 row.")
    nb = _sq_norms(b)
    for start in range(0, len(a), chunk):
        blk = a[start:start + chunk]
        yield start, np.maximum(_sq_norms(blk)[:, None] + nb[None, :] - 2.0 * blk @ b.T, 0.0)


def pairwise_distances(a, b, chunk: int | None = None) -> np.ndarray:
    """Euclidean distances ``(len(a), len(b))`` between rows, in float64 (small sets: memory is N*M).

    Chapter 06 §2 (pixel distances versus evaluator distances).
    """
    out = np.empty((len(a), len(b)))
    for start, d2 in squared_distance_blocks(a, b, chunk, np.float64):
        out[start:start + len(d2)] = np.sqrt(d2)
    return out


def nearest_neighbours(queries, reference, chunk: int | None = None,
                       prepare=None) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, ``(distances, indices)`` of its nearest reference row (Euclidean).

    The return order is distances first, as in SciPy's ``cKDTree.query``.
    The search uses the fast float32 expansion; the winning distance is then
    recomputed exactly (float64), so exact copies give 0. ``prepare`` turns
    a slice of ``reference`` into points (default: a float32 cast), so a large
    reference kept in another form, such as 60,000 uint8 training images, is
    converted a slice at a time, never as a whole. Chapter 06 §5 and
    §7 (coverage, memorisation), chapter 01 §3 and §5 (``knn_predict``,
    ``find_duplicates``).
    """
    q = _points(queries, np.float32)
    r = np.asarray(reference)

    def points(rows):
        return _points(rows if prepare is None else prepare(rows), np.float32)

    best = np.full(len(q), np.inf, dtype=np.float32)
    idx = np.zeros(len(q), dtype=np.int64)
    for ref_start in range(0, len(r), REFERENCE_ROWS):  # float32 copies of a slice at a time, not of all 60,000
        ref = points(r[ref_start:ref_start + REFERENCE_ROWS])
        if ref.shape[1] != q.shape[1]:
            raise ValueError(f"points have {q.shape[1]} and {ref.shape[1]} coordinates; they must match.")
        for start, d2 in squared_distance_blocks(q, ref, chunk):
            rows = slice(start, start + len(d2))
            j = np.argmin(d2, axis=1)
            d2_min = d2[np.arange(len(d2)), j]
            nearer = d2_min < best[rows]  # strictly: on a tie the earlier row stays
            best[rows] = np.where(nearer, d2_min, best[rows])
            idx[rows] = np.where(nearer, j + ref_start, idx[rows])
    nearest = points(r[idx]).astype(np.float64)  # rounded as the queries were: copies give exactly 0
    dist = np.sqrt(np.sum((q.astype(np.float64) - nearest) ** 2, axis=1))
    return dist, idx


def kth_nn_radii(points, k: int = 3, chunk: int | None = None) -> np.ndarray:
    """Distance from each row to its k-th nearest *other* row: the radius of its k-NN ball.

    Chapter 06 §5 (the balls of precision/recall and density/coverage).
    """
    f = _points(points, np.float32)
    if not 1 <= k < len(f):
        raise MetricsError(f"k={k} needs at least k+1={k + 1} points, got {len(f)}.")
    radii = np.empty(len(f))
    for start, d2 in squared_distance_blocks(f, f, chunk):
        d2[np.arange(len(d2)), np.arange(start, start + len(d2))] = np.inf  # exclude itself
        radii[start:start + len(d2)] = np.sqrt(np.partition(d2, k - 1, axis=1)[:, k - 1])
    return radii


def within(d2, r2) -> np.ndarray:
    """Squared distance inside a squared radius, with slack for float round-off (points on the rim count).

    Used by :func:`ball_counts` and :func:`~helpers.metrics.density_coverage` (chapters 03-06).
    """
    return d2 <= r2 * (1 + 1e-6) + 1e-9


def ball_counts(points, centres, radii, chunk: int | None = None) -> np.ndarray:
    """Per point: how many of the balls (``centres[j]``, ``radii[j]``) contain it.

    The k-NN balls of precision/recall and density (chapters 03-06; chapter 06 §5 explains them).
    """
    r2 = np.asarray(radii, np.float64) ** 2
    counts = np.empty(len(points), dtype=np.int64)
    for start, d2 in squared_distance_blocks(points, centres, chunk):
        counts[start:start + len(d2)] = np.sum(within(d2, r2[None, :]), axis=1)
    return counts


def inside_any_ball(points, centres, radii, chunk: int | None = None) -> np.ndarray:
    """Boolean per point: within ``radii[j]`` of at least one ``centres[j]``.

    The test of :func:`~helpers.metrics.precision_recall` (chapters 03-06; chapter 06 §5).
    """
    return ball_counts(points, centres, radii, chunk) > 0


# ------------------------------------------------------------------ PCA
def _pixels(x) -> np.ndarray:
    """Rows of floats; uint8 images are scaled to [0, 1] first (one float32 copy, scaled in place)."""
    x = np.asarray(x)
    x = x.reshape(len(x), -1)
    if x.dtype == np.uint8:
        out = x.astype(np.float32)
        out /= 255.0
        return out
    return x.astype(np.result_type(x.dtype, np.float32), copy=False)


class PCA:
    """Principal component analysis: the eigenvectors of the covariance, largest variance first.

    With the centred data :math:`X_c` (N rows), the covariance is
    :math:`C = X_c^\\top X_c / (N-1) = V \\Lambda V^\\top`: the columns of :math:`V`
    are the directions of largest variance and :math:`\\lambda_i / \\sum_j \\lambda_j`
    is the share of variance along direction :math:`i`. We decompose the small
    D x D matrix :math:`C` (``numpy.linalg.eigh``, float64) instead of the
    N x D data: same :math:`V`, many times faster. ``PCA(k)`` keeps the top ``k``
    directions (``None``: all); ``max_samples`` fits on that many random rows
    (drawn with ``seed``; the directions barely change). Each direction's sign
    is fixed (largest coefficient positive), so fits are reproducible.

    Top-``k`` reconstruction is the best *linear* autoencoder with a ``k``-number
    code (chapter 03 §2, as ``ae.PCA``); chapter 01 §1, §4 and §5 use it (as
    ``Q.pca``) for its data maps, a PCA-space sampler and outlier scores.
    uint8 images are scaled to [0, 1]; any ``(N, ...)`` array works.

    After :meth:`fit`: ``mean`` (D,), ``components`` (k, D, orthonormal rows),
    ``explained_variance`` (k,) and ``explained_variance_ratio`` (k,, share
    of the *total* variance).
    """

    def __init__(self, n_components: int | None = None, max_samples: int | None = None, seed: int = 0):
        self.n_components, self.max_samples, self.seed = n_components, max_samples, seed

    def fit(self, x, chunk: int = 8192) -> PCA:
        """Fit on the rows of ``x``; returns ``self``. Works in blocks of ``chunk`` rows, so the float
        copies stay small however large ``x`` is (60,000 MNIST images: tens of MB, not a GB)."""
        x = np.asarray(x)
        if len(x) < 2:
            raise ValueError(f"PCA needs at least 2 rows, got {len(x)}.")
        rows = np.arange(len(x))
        if self.max_samples is not None and len(x) > self.max_samples:
            rows = np.sort(np.random.default_rng(self.seed).choice(len(x), self.max_samples, replace=False))
        blocks = [rows[start:start + chunk] for start in range(0, len(rows), chunk)]
        total = sum(_pixels(x[b]).sum(axis=0, dtype=np.float64) for b in blocks)
        self.mean = total / len(rows)
        cov = None
        for b in blocks:  # blocks keep the float64 copy small
            xc = _pixels(x[b]).astype(np.float64) - self.mean
            cov = xc.T @ xc if cov is None else cov + xc.T @ xc
        n_rows = len(rows)
        var, vecs = np.linalg.eigh(cov / (n_rows - 1))  # ascending
        var, vt = np.clip(var[::-1], 0, None), vecs[:, ::-1].T
        vt = vt * np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])[:, None]
        k = len(vt) if self.n_components is None else int(self.n_components)
        if not 0 <= k <= len(vt):
            raise ValueError(f"n_components={k}; the data has {len(vt)} dimensions.")
        self.components, self.explained_variance = vt[:k], var[:k]
        self.explained_variance_ratio = var[:k] / var.sum() if var.sum() > 0 else np.zeros(k)
        return self

    def _top(self, k):
        if not hasattr(self, "components"):
            raise ValueError("this PCA is not fitted yet: call .fit(x) first.")
        k = len(self.components) if k is None else int(k)
        if not 0 <= k <= len(self.components):
            raise ValueError(f"k={k} components requested, {len(self.components)} were fitted.")
        return self.components[:k]

    def transform(self, x, k: int | None = None, chunk: int = 8192) -> np.ndarray:
        """Coordinates ``(N, k)`` of ``x`` along the top ``k`` directions (default: all fitted)."""
        comps, x = self._top(k), np.asarray(x)
        out = np.empty((len(x), len(comps)))
        for start in range(0, len(x), chunk):
            out[start:start + chunk] = (_pixels(x[start:start + chunk]) - self.mean) @ comps.T
        return out

    def inverse_transform(self, z) -> np.ndarray:
        """Rows ``(N, D)`` back from coordinates ``(N, k)`` (uses the top ``k`` directions)."""
        z = np.asarray(z, np.float64)
        return z @ self._top(z.shape[1]) + self.mean

    def reconstruct(self, x, k: int | None = None) -> np.ndarray:
        """``x`` projected onto the top ``k`` directions and back, in ``x``'s shape (not clipped)."""
        return self.inverse_transform(self.transform(x, k)).reshape(np.shape(x))

    def reconstruction_errors(self, x, k: int | None = None, chunk: int = 8192) -> np.ndarray:
        """Mean squared error per row of the top-``k`` reconstruction (in blocks: no N x D float64 copy)."""
        comps, x = self._top(k), np.asarray(x)
        errors = np.empty(len(x))
        for start in range(0, len(x), chunk):
            xc = _pixels(x[start:start + chunk])
            rebuilt = ((xc - self.mean) @ comps.T) @ comps + self.mean
            errors[start:start + chunk] = np.mean((rebuilt - xc) ** 2, axis=1)
        return errors

    def mse(self, x, k: int | None = None) -> float:
        """Reconstruction MSE per pixel with ``k`` components (no clipping, as in the usual comparison)."""
        return float(np.mean(self.reconstruction_errors(x, k)))


def pca(x, n_components: int = 2, max_samples: int | None = 20000, seed: int = 0) -> PCA:
    """``PCA(n_components, max_samples, seed).fit(x)``. Chapter 01 §1 and §4 (2-D maps, PCA-space sampler)."""
    return PCA(n_components, max_samples, seed).fit(x)
