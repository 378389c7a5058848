"""GAN images live in [-1, 1] (the generator's tanh); conversions and the training pipeline (chapter 05)."""

from __future__ import annotations

import numpy as np

from ...datasets import make_dataset, to_float, to_uint8

GAN_RANGE = (-1.0, 1.0)


def to_gan_range(x_uint8) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [-1, 1] (chapter 05 §3)."""
    return to_float(x_uint8, GAN_RANGE)


def from_gan_range(x) -> np.ndarray:
    """Generator output in [-1, 1] -> uint8 (N, 28, 28) (chapter 05 §3)."""
    return to_uint8(np.asarray(x), GAN_RANGE)


def make_gan_dataset(x_uint8, y=None, batch_size: int = 128, seed: int = 0):
    """Shuffled, batched tf.data pipeline of images in [-1, 1] (and labels); full batches only.

    Used by :func:`~helpers.models.gan.fit_gan` (chapter 05).
    """
    y = None if y is None else np.asarray(y, dtype="int32")
    return make_dataset(to_gan_range(x_uint8), y, batch_size=batch_size, shuffle=True, seed=seed,
                        drop_remainder=True)
