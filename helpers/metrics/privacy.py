"""Privacy: does a generator copy its training images? Nearest-training-image distances, in pixels."""

from __future__ import annotations

import numpy as np

from .features import as_images, checked_images
from .geometry import nearest_neighbours


def nearest_training_images(queries, x_train, value_range=None):
    """``(distances, indices)`` of each query image's nearest training image, in pixels of ``[0, 1]``.

    ``x_train`` stays as it is (uint8 for MNIST) and is converted a slice at a time, as :func:`as_images`
    would convert it, instead of as a float32 copy of 60,000 images (188 MB; chapter 06's peak).
    ``value_range``: ``x_train``'s, when :func:`checked_images` already checked it. Chapter 06 §7.
    """
    if value_range is None:
        x_train, value_range = checked_images(x_train, name="x_train")
    q = as_images(queries, name="queries")[..., 0]
    return nearest_neighbours(q, x_train, prepare=lambda rows: as_images(rows, value_range, "x_train")[..., 0])


def memorisation(x_samples, x_train, x_heldout, max_samples: int | None = 2000, n_pairs: int = 8,
                 seed: int = 0, heldout_distances=None) -> dict:
    """Are samples closer to training images than new real images are?

    For each sample, the pixel distance to its nearest training image; the
    same for held-out real images (never seen in training). The
    **memorisation ratio** is median(sample distances) / median(held-out
    distances): about 1 means samples are as far from the training set as
    fresh real data (no copying); near 0 means copies. ``copy_rate`` is the
    share of samples closer than the 1st percentile of held-out distances
    (about 0.01 when nothing is copied). ``pairs`` lists the closest
    ``(sample_index, train_index, distance)`` for display. Pass
    ``heldout_distances`` from an earlier call to skip recomputing them.
    Chapter 06 §7 and Q3; chapter 05 §6 via ``evaluate_samples``.
    """
    xs = as_images(x_samples, name="x_samples")[..., 0]
    xt, train_range = checked_images(x_train, name="x_train")
    xh = as_images(x_heldout, name="x_heldout")[..., 0]
    rng = np.random.default_rng(seed)
    sample_idx = np.arange(len(xs))
    if max_samples is not None and len(xs) > max_samples:
        sample_idx = np.sort(rng.choice(len(xs), max_samples, replace=False))
    if max_samples is not None and len(xh) > max_samples and heldout_distances is None:
        xh = xh[np.sort(rng.choice(len(xh), max_samples, replace=False))]
    d_sample, nn_sample = nearest_training_images(xs[sample_idx], xt, train_range)
    d_held = (nearest_training_images(xh, xt, train_range)[0] if heldout_distances is None
              else np.asarray(heldout_distances, np.float64))
    med_held = float(np.median(d_held))
    order = np.argsort(d_sample)[:n_pairs]
    return {
        "memorisation_ratio": float(np.median(d_sample) / med_held) if med_held > 0 else float("nan"),
        "nn_distance_samples": float(np.median(d_sample)),
        "nn_distance_heldout": med_held,
        "copy_rate": float(np.mean(d_sample < np.quantile(d_held, 0.01))),
        "pairs": [(int(sample_idx[i]), int(nn_sample[i]), float(d_sample[i])) for i in order],
        "sample_distances": d_sample,
        "heldout_distances": d_held,
    }
