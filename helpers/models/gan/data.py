"""GAN images live in [-1, 1] (the generator's tanh); conversions and the training pipeline (chapter 05)."""

from __future__ import annotations

import numpy as np

from ...datasets import to_float, to_uint8

GAN_RANGE = (-1.0, 1.0)


def to_gan_range(x_uint8) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [-1, 1] (chapter 05 §3)."""
    return to_float(x_uint8, GAN_RANGE)


def from_gan_range(x) -> np.ndarray:
    """Generator output in [-1, 1] -> uint8 (N, 28, 28) (chapter 05 §3)."""
    return to_uint8(np.asarray(x), GAN_RANGE)


def make_gan_dataset(x_uint8, y=None, batch_size: int = 128, seed: int = 0):
    """Shuffled, batched tf.data pipeline of images in [-1, 1] (and labels); full batches only.

    The images stay uint8 inside the pipeline and each batch is scaled to [-1, 1] on the way out, so a
    training holds one uint8 copy of the data (47 MB for MNIST) instead of float copies (188 MB each):
    the same values and the same order as ``make_dataset(to_gan_range(x), ...)``.
    Used by :func:`~helpers.models.gan.fit_gan` (chapter 05).
    """
    import tensorflow as tf

    x = np.asarray(x_uint8)
    if x.dtype != np.uint8:
        raise TypeError(f"make_gan_dataset expects uint8 images, got {x.dtype}.")
    lo, hi = GAN_RANGE
    scale = np.float32((hi - lo) / 255.0)

    def to_range(images, *labels):
        images = tf.cast(images, tf.float32) * scale + np.float32(lo)
        if images.shape.rank == 3:
            images = images[..., None]
        return (images, *labels) if labels else images

    y = None if y is None else np.asarray(y, dtype="int32")
    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch_size, drop_remainder=True)
    return ds.map(to_range, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)
