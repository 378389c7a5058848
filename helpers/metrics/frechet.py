"""Realism: the Fréchet distance between Gaussian fits of two feature sets (FID with the course evaluator)."""

from __future__ import annotations

import warnings

import numpy as np

from .features import MetricsError, as_features


def feature_stats(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean vector and covariance matrix (unbiased) of ``(N, D)`` features (the Gaussian fit).

    Used by :func:`frechet_distance` (chapters 03 §6, 04 §4, 06 §4-§5).
    """
    f = as_features(features, "features")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_from_stats(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    r"""Fréchet distance between two Gaussians:
    :math:`\lVert\mu_1-\mu_2\rVert^2 + \operatorname{tr}(\Sigma_1+\Sigma_2-2(\Sigma_1\Sigma_2)^{1/2})`.

    Chapter 06, Q1 (a closed form to check by hand).
    """
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise MetricsError(f"mismatched statistics: means {mu1.shape} / {mu2.shape}, "
                           f"covariances {sigma1.shape} / {sigma2.shape}.")
    diff = mu1 - mu2
    with warnings.catch_warnings():  # singular covariances (dead ReLU units, few samples) are expected
        warnings.simplefilter("ignore")
        covmean = linalg.sqrtm(sigma1 @ sigma2)
        if not np.all(np.isfinite(covmean)):  # nudge the diagonals, as reference FID code does
            offset = np.eye(sigma1.shape[0]) * eps
            covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)
    return float(max(value, 0.0))


def frechet_distance(features_a, features_b) -> float:
    """Fréchet distance between two sets of feature vectors ``(N, D)`` and ``(M, D)``.

    Pass evaluator features (``evaluator().features(x)``), not pixels. The
    value is biased upwards for small N: compare only at equal sample sizes,
    and against the real-vs-real baseline at that size. Chapters 03 §6,
    04 §4, 06 §4 and §5.
    """
    a, b = as_features(features_a, "features_a"), as_features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise MetricsError(f"feature sizes differ: {a.shape[1]} vs {b.shape[1]}.")
    return frechet_from_stats(*feature_stats(a), *feature_stats(b))
