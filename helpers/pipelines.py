"""Splitting, subsetting, scaling and feeding image arrays (chapters 01-06).

Class-stratified train/validation splits (:func:`stratified_split`), equal
class counts (:func:`balanced_subset`), uint8 <-> float conversions
(:func:`to_float`, :func:`to_uint8`) and the ``tf.data`` input pipeline
(:func:`make_dataset`). Nothing here reads files; import the names from
:mod:`helpers.datasets`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["balanced_subset", "image_batches", "make_dataset", "stratified_split", "to_float", "to_uint8"]


# --------------------------------------------------------- splits and subsets
def _rng(seed):
    return np.random.default_rng(seed)


def stratified_split(x, y, val_size=0.1, seed: int = 0):
    """Split into train/validation keeping each class's share.

    ``val_size`` is a fraction (0 < f < 1) or a whole number of rows. Each
    class gets its proportional share of the validation set, rounded so that
    totals are exact and no class is off by more than one. The two parts are
    disjoint, keep the original order, and depend on ``seed`` alone.
    Returns ``(x_tr, y_tr), (x_val, y_val)`` (chapters 01-04; 03 and 04 hold
    out the same 5,000 images as 01 in full mode).
    """
    y = np.asarray(y)
    n = len(y)
    if len(x) != n:
        raise ValueError(f"x has {len(x)} rows but y has {n}.")
    if 0 < val_size < 1:
        n_val = int(round(val_size * n))
    elif float(val_size).is_integer():
        n_val = int(val_size)
    else:
        raise ValueError(f"val_size={val_size} is neither a fraction (0 < val_size < 1) nor a whole number of rows.")
    if not 0 < n_val < n:
        raise ValueError(f"val_size={val_size} gives {n_val} validation rows out of {n}; need 0 < n_val < n.")
    classes, counts = np.unique(y, return_counts=True)
    exact = counts * n_val / n
    per_class = np.floor(exact).astype(int)
    remainder = n_val - per_class.sum()
    order = np.argsort(-(exact - per_class), kind="stable")
    per_class[order[:remainder]] += 1
    rng = _rng(seed)
    val_idx = []
    for cls, k in zip(classes, per_class, strict=True):
        idx = np.flatnonzero(y == cls)
        val_idx.append(rng.choice(idx, size=k, replace=False))
    val_idx = np.sort(np.concatenate(val_idx))
    mask = np.ones(n, dtype=bool)
    mask[val_idx] = False
    train_idx = np.flatnonzero(mask)
    return (x[train_idx], y[train_idx]), (x[val_idx], y[val_idx])


def balanced_subset(x, y, n_per_class: int, seed: int = 0):
    """Pick exactly ``n_per_class`` random examples of every class, shuffled (chapters 01, 02 and 06)."""
    y = np.asarray(y)
    rng = _rng(seed)
    picked = []
    for cls in np.unique(y):
        idx = np.flatnonzero(y == cls)
        if len(idx) < n_per_class:
            raise ValueError(f"class {cls} has only {len(idx)} examples, fewer than n_per_class={n_per_class}.")
        picked.append(rng.choice(idx, size=n_per_class, replace=False))
    picked = rng.permutation(np.concatenate(picked))
    return x[picked], y[picked]


# ------------------------------------------------------------------- scaling
def to_float(x, value_range=(0.0, 1.0)) -> np.ndarray:
    """uint8 images (N, 28, 28) -> float32 (N, 28, 28, 1) in ``value_range``.

    Use (0, 1) for most models and (-1, 1) for GANs with a tanh output (chapters 01-04).
    """
    x = np.asarray(x)
    if x.dtype != np.uint8:
        raise TypeError(f"to_float expects uint8 images, got {x.dtype}.")
    lo, hi = value_range
    out = x.astype(np.float32)
    out *= (hi - lo) / 255.0  # in place: one float copy of the images, not three
    if lo:
        out += lo
    return out[..., None] if out.ndim == 3 else out


def to_uint8(x, value_range=(0.0, 1.0)) -> np.ndarray:
    """Inverse of :func:`to_float`: float images -> uint8 (N, 28, 28), clipped.

    Chapters 03-06 (the models' samples come back as uint8 through it).
    """
    x = np.asarray(x, dtype=np.float32)
    lo, hi = value_range
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    return np.clip(np.rint((x - lo) * (255.0 / (hi - lo))), 0, 255).astype(np.uint8)


# --------------------------------------------------------------- tf.data
def make_dataset(x, y=None, batch_size: int = 128, shuffle: bool = True, seed: int = 0,
                 cache: bool = True, prefetch: bool = True, drop_remainder: bool = False):
    """An efficient ``tf.data`` pipeline: (cache) -> (shuffle) -> batch -> (prefetch).

    Caching keeps the decoded tensors in memory after the first epoch;
    shuffling uses a full-size buffer with a fixed seed (reproducible epochs);
    prefetching overlaps input preparation with training (chapters 01, 02 and 05).
    """
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds


def image_batches(x, y=None, batch_size: int = 128, seed: int = 0):
    """Shuffled batches of images in [0, 1] as float32 ``(B, 28, 28, 1)`` (and labels), for ``fit``.

    uint8 images stay uint8 inside the pipeline and each batch is scaled on the way out (the same values as
    :func:`to_float`), float images are used as they are; either way the training data is held once. Handing
    NumPy arrays to ``model.fit`` instead makes Keras copy them several times: for 60,000 images that cost the
    autoencoder and VAE chapters about half a gigabyte. Each epoch is reshuffled from ``seed``. Chapters 03-04.
    """
    import tensorflow as tf

    x = np.asarray(x)
    scale = x.dtype == np.uint8
    y = None if y is None else np.asarray(y)

    def prepare(images, *labels):
        images = tf.cast(images, tf.float32) * np.float32(1 / 255.0) if scale else tf.cast(images, tf.float32)
        if images.shape.rank == 3:
            images = images[..., None]
        return (images, *labels) if labels else images

    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    return ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)
