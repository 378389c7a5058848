"""Walking a GAN's inputs (chapter 05 §9): spherical interpolation of noise, blends of classes."""

from __future__ import annotations

import numpy as np


def slerp(z0, z1, t):
    """Spherical interpolation between latent vectors (stays where N(0, I) puts its mass).

    A straight line between two Gaussian samples passes near the origin, where
    the prior has almost no samples of that norm; slerp keeps the norm.
    ``t`` is a scalar or an array of steps in [0, 1]; returns (len(t), latent_dim).
    Chapter 05 §9, through :class:`~helpers.ui.gan.LatentWalk`.
    """
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    t = np.atleast_1d(np.asarray(t, np.float64))[:, None]
    cos = np.dot(z0, z1) / (np.linalg.norm(z0) * np.linalg.norm(z1))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    return ((np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)).astype(np.float32)


def class_mixtures(a: int, b: int, steps: int = 8, num_classes: int = 10) -> np.ndarray:
    """Label rows moving from one-hot class ``a`` to one-hot class ``b`` in ``steps`` steps.

    Chapter 05 §6 (class blends of the conditional GAN).
    """
    t = np.linspace(0.0, 1.0, steps)[:, None]
    eye = np.eye(num_classes, dtype=np.float32)
    return ((1 - t) * eye[a] + t * eye[b]).astype(np.float32)
