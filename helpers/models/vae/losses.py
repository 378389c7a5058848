"""The VAE's loss terms, in nats per image, and the fixed binarisation of test images (chapter 04).

``bernoulli_nll`` is the reconstruction term ``-log p(x|z)`` of a Bernoulli
decoder, ``gaussian_kl`` the closed-form ``KL(q(z|x) || N(0, I))``, and
``gaussian_log_density`` the ``log q`` / ``log p`` of the importance-weighted
NLL estimate. Import them from :mod:`helpers.models.vae`.
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

__all__ = ["LOG_2PI", "bernoulli_nll", "binarize", "gaussian_kl", "gaussian_log_density"]

LOG_2PI = math.log(2.0 * math.pi)


# ---------------------------------------------------------------- loss terms
def bernoulli_nll(x, logits):
    """``-log p(x|z)`` per image (nats) for a Bernoulli decoder: summed pixel BCE from logits (chapter 04).

    ``softplus(l) - x * l`` is ``-[x log s(l) + (1-x) log(1-s(l))]`` written stably.
    """
    x = ops.reshape(ops.cast(x, logits.dtype), (ops.shape(x)[0], -1))
    logits = ops.reshape(logits, (ops.shape(logits)[0], -1))
    return ops.sum(ops.softplus(logits) - x * logits, axis=-1)


def gaussian_kl(mu, log_var):
    """``KL(N(mu, diag(exp(log_var))) || N(0, I))`` per row, in nats (closed form; chapter 04)."""
    return 0.5 * ops.sum(ops.square(mu) + ops.exp(log_var) - 1.0 - log_var, axis=-1)


def gaussian_log_density(z, mu, log_var):
    """``log N(z; mu, diag(exp(log_var)))`` summed over the last axis (chapter 04's importance-weighted NLL)."""
    return -0.5 * ops.sum(LOG_2PI + log_var + ops.square(z - mu) * ops.exp(-log_var), axis=-1)


def binarize(x, seed: int = 0) -> np.ndarray:
    """A fixed stochastic binarisation: each pixel is 1 with probability equal to its intensity.

    ``x`` is uint8 (N, 28, 28) or float in [0, 1]; returns float32 (N, 28, 28, 1) of 0s and 1s.
    Used once for the test set so every epoch is evaluated on the same binary images (chapter 04).
    """
    x = np.asarray(x)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / 255.0
    if x.ndim == 3:
        x = x[..., None]
    rng = np.random.default_rng(seed)
    return (rng.random(x.shape, dtype=np.float32) < x).astype(np.float32)

