"""Looking at a dataset before training on it: statistics, duplicates, label issues, pipelines.

Everything here is plain NumPy (plus ``tf.data`` for the pipeline timings) and
vectorised, so a full MNIST audit (60,000 x 10,000 near-duplicate search
included) runs in seconds on a 2-core laptop.

* :func:`class_balance`, :func:`class_mean_std`, :func:`pixel_stats`: what is in it.
* :func:`pca`: a 2-D map of the data (:class:`helpers.metrics.geometry.PCA`, the course's one PCA).
* :func:`find_duplicates`: exact (hash) and near (nearest neighbour) copies across a split.
* :func:`label_issues`: examples a classifier confidently disagrees with.
* :func:`outlier_scores`: images the main directions of the data explain badly.
* :func:`knn_predict`: a 1-nearest-neighbour classifier (the leakage demo's probe).
* :func:`pipeline_throughput`: images/s of a ``tf.data`` pipeline with and without cache/shuffle/batch/prefetch.
* :func:`dataset_card`: a datasheet in Markdown built from measured numbers.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import numpy as np

# The course's one PCA and nearest-neighbour search; chapter 01 calls them as Q.pca and Q.PCA.
from .metrics.geometry import PCA, nearest_neighbours, pca  # noqa: F401


def _flat(x) -> np.ndarray:
    x = np.asarray(x)
    return x.reshape(len(x), -1)


def _unit(x) -> np.ndarray:
    """uint8 images -> float32 in [0, 1], anything else -> float32 as is."""
    x = np.asarray(x)
    if x.dtype != np.uint8:
        return x.astype(np.float32, copy=False)
    out = x.astype(np.float32)
    out /= 255.0  # in place: one copy of the images, not two
    return out


# ------------------------------------------------------------------ statistics
def class_balance(y, num_classes: int = 10) -> dict:
    """Counts and shares per class, and the imbalance ratio largest/smallest (chapter 01 §4, §7)."""
    y = np.asarray(y)
    counts = np.bincount(y.astype(np.int64), minlength=num_classes)
    if len(counts) > num_classes:
        raise ValueError(f"labels go up to {y.max()}, more than num_classes={num_classes}.")
    smallest = counts.min()
    return {"counts": counts, "fractions": counts / max(1, counts.sum()),
            "imbalance_ratio": float(counts.max() / smallest) if smallest else float("inf")}


def class_mean_std(x, y, num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Per-class mean image and per-pixel standard deviation, each (num_classes, H, W), in [0, 1].

    Chapter 01 §4.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 4:
        x = x[..., 0]
    means, stds = [], []
    for c in range(num_classes):  # one class at a time: a small float copy, not one of the whole set
        xc = _unit(x[y == c])
        means.append(xc.mean(axis=0))
        stds.append(xc.std(axis=0))
    return np.stack(means), np.stack(stds)


def pixel_stats(x) -> dict:
    """Summary numbers of the pixels (in [0, 1]) and of the ink per image.

    Chapter 01 §4 and §7.
    """
    x = _flat(np.asarray(x))
    scale = 255.0 if x.dtype == np.uint8 else 1.0  # uint8 stays uint8: no float copy of 60,000 images
    total = x.sum(dtype=np.float64) / scale
    squares = sum(float(np.square(x[i:i + 8192], dtype=np.float64).sum()) for i in range(0, len(x), 8192)) / scale**2
    mean = total / x.size
    ink = x.mean(axis=1, dtype=np.float64) / scale
    return {
        "mean": float(mean), "std": float(np.sqrt(max(squares / x.size - mean**2, 0.0))),
        "min": float(x.min() / scale), "max": float(x.max() / scale),
        "fraction_zero": float((x == 0).mean()),
        "fraction_full": float((x >= scale).mean()),
        "ink_mean": float(ink.mean()), "ink_std": float(ink.std()),
        "never_used_pixels": int((x.max(axis=0) == 0).sum()),
    }


# ------------------------------------------------------------------ duplicates
def image_hashes(x) -> np.ndarray:
    """A content hash per image (SHA-1 of the raw bytes) as an array of strings.

    Used by :func:`find_duplicates` (chapter 01 §5).
    """
    xf = np.ascontiguousarray(_flat(x))
    return np.array([hashlib.sha1(row.tobytes()).hexdigest() for row in xf])


@dataclass
class DuplicateReport:
    """Exact and near duplicates of ``test`` images in ``train`` (chapter 01 §5, §7).

    ``nn_index[i]``: the training image closest to test image ``i``;
    ``nn_distance[i]``: their root-mean-square pixel difference in [0, 1]
    (0 = identical; two unrelated digits are typically 0.3-0.5 apart).
    """

    exact_pairs: list
    nn_index: np.ndarray
    nn_distance: np.ndarray
    threshold: float
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def n_exact(self) -> int:
        return len({t for t, _ in self.exact_pairs})

    def near(self, threshold: float | None = None) -> np.ndarray:
        """Test indices whose nearest training image is closer than ``threshold`` (sorted by distance)."""
        t = self.threshold if threshold is None else threshold
        idx = np.flatnonzero(self.nn_distance < t)
        return idx[np.argsort(self.nn_distance[idx], kind="stable")]


def find_duplicates(x_train, x_test, threshold: float = 0.05, n_components: int = 64,
                    candidates: int = 1) -> DuplicateReport:
    """Exact duplicates by hashing, near duplicates by nearest neighbours (chapter 01 §5).

    The neighbour search runs in a ``n_components``-dimensional PCA space
    (12x fewer numbers than 784 pixels, and nearly the same neighbours); the
    distance reported for the best candidate is then recomputed on the full
    images as a root-mean-square pixel difference. ``threshold`` is on that scale.
    """
    start = time.perf_counter()
    h_train, h_test = image_hashes(x_train), image_hashes(x_test)
    where = {}
    for j, h in enumerate(h_train):
        where.setdefault(h, []).append(j)
    exact = [(i, j) for i, h in enumerate(h_test) for j in where.get(h, [])]
    xte = _flat(_unit(x_test))  # the PCA converts the training images block by block: no float copy of them all
    p = pca(x_train, n_components=min(n_components, xte.shape[1]))
    _, idx = nearest_neighbours(p.transform(xte), p.transform(x_train))
    rms = np.sqrt(((xte - _flat(_unit(np.asarray(x_train)[idx]))) ** 2).mean(axis=1)).astype(np.float32)
    return DuplicateReport(exact, idx, rms, threshold, time.perf_counter() - start,
                           {"within_train_exact": int(len(h_train) - len(set(h_train)))})


# ---------------------------------------------------------- labels and outliers
def label_issues(probs, y, top: int = 20) -> dict:
    """Rank examples by how strongly a classifier disagrees with their label (chapter 01 §5).

    ``self_confidence`` is :math:`p(y_i \\mid x_i)`, the probability the model gives
    the *given* label (low = suspicious); ``margin`` is the gap between the top two
    probabilities (small = ambiguous). Use out-of-sample probabilities (a model that
    never trained on these images), else it has memorised the wrong labels.
    """
    probs, y = np.asarray(probs, dtype=np.float64), np.asarray(y).astype(np.int64)
    if probs.ndim != 2 or len(probs) != len(y):
        raise ValueError(f"probs must be (N, num_classes) with N = len(y) = {len(y)}, got {probs.shape}.")
    self_conf = probs[np.arange(len(y)), y]
    top2 = np.sort(probs, axis=1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    predicted = probs.argmax(axis=1)
    return {
        "self_confidence": self_conf, "margin": margin, "predicted": predicted,
        "suspicious": np.argsort(self_conf, kind="stable")[:top],
        "ambiguous": np.argsort(margin, kind="stable")[:top],
        "n_disagree_confident": int(((predicted != y) & (probs.max(axis=1) > 0.9)).sum()),
    }


def outlier_scores(x, n_components: int = 30, fit_on=None) -> np.ndarray:
    """PCA reconstruction error per image (RMS pixel difference; chapter 01 §5).

    An image the main ``n_components`` directions of the data explain badly is
    unusual: odd strokes, thick blobs, cropped or mis-centred digits.
    """
    p = pca(x if fit_on is None else fit_on, n_components=n_components)
    return np.sqrt(p.reconstruction_errors(x))


def knn_predict(x_train, y_train, x_query, chunk: int | None = None) -> np.ndarray:
    """1-nearest-neighbour labels: each query gets the label of its closest training image (chapter 01 §3)."""
    _, idx = nearest_neighbours(_unit(x_query), _unit(x_train), chunk=chunk)
    return np.asarray(y_train)[idx]


# ------------------------------------------------------------------- pipelines
def measure_throughput(ds, batches: int | None = None, epochs: int = 2, step_seconds: float = 0.0) -> dict:
    """Iterate ``ds`` for ``epochs`` and return images/s of the first and of later epochs.

    ``step_seconds`` simulates the training step that would consume each batch
    (so prefetching has something to overlap with).
    Chapter 01 §6 (through :func:`pipeline_throughput`) and Q3 (the timing after its check).
    """
    times, counts = [], []
    for _ in range(epochs):
        n, start = 0, time.perf_counter()
        for i, batch in enumerate(ds):
            if batches is not None and i >= batches:
                break
            x = batch[0] if isinstance(batch, (tuple, list)) else batch
            n += int(x.shape[0]) if len(x.shape) == 4 else 1
            if step_seconds:
                time.sleep(step_seconds)
        times.append(time.perf_counter() - start)
        counts.append(n)
    rates = [c / t for c, t in zip(counts, times, strict=True)]
    return {"first_epoch": rates[0], "later_epochs": float(np.mean(rates[1:])) if len(rates) > 1 else rates[0],
            "images": counts[0]}


def build_pipeline(x_uint8, y, batch_size: int = 128, cache: bool = True, shuffle: bool = True,
                   batch: bool = True, prefetch: bool = True, seed: int = 0):
    """uint8 arrays -> per-image decode to float [0, 1] -> (cache) -> (shuffle) -> (batch) -> (prefetch).

    The per-image ``map`` stands for the decoding work of a real dataset (JPEG,
    resize); caching *after* it means it runs once instead of every epoch.
    Chapter 01 §6 (through :func:`pipeline_throughput`) and Q3 (the order it is timed against).
    """
    import tensorflow as tf

    def decode(img, label):
        return tf.cast(img, tf.float32)[..., None] / 255.0, label

    ds = tf.data.Dataset.from_tensor_slices((x_uint8, y)).map(decode)
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(x_uint8), seed=seed)
    if batch:
        ds = ds.batch(batch_size)
    if prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds


PIPELINE_VARIANTS = {
    "map only (one image at a time)": dict(cache=False, shuffle=False, batch=False, prefetch=False),
    "+ batch": dict(cache=False, shuffle=False, batch=True, prefetch=False),
    "+ batch + prefetch": dict(cache=False, shuffle=False, batch=True, prefetch=True),
    "+ batch + cache": dict(cache=True, shuffle=False, batch=True, prefetch=False),
    "+ batch + cache + shuffle": dict(cache=True, shuffle=True, batch=True, prefetch=False),
    "cache + shuffle + batch + prefetch": dict(cache=True, shuffle=True, batch=True, prefetch=True),
}


def pipeline_throughput(x_uint8, y, batch_size: int = 128, epochs: int = 2, step_seconds: float = 0.0,
                        variants: dict | None = None) -> dict:
    """Images/s for each entry of :data:`PIPELINE_VARIANTS` (first epoch and later epochs; chapter 01 §6)."""
    results = {}
    for name, opts in (variants or PIPELINE_VARIANTS).items():
        ds = build_pipeline(x_uint8, y, batch_size=batch_size, **opts)
        # step_seconds is per batch; scale it for the unbatched variant so every variant does the same work
        per_step = step_seconds if opts["batch"] else step_seconds / batch_size
        results[name] = measure_throughput(ds, epochs=epochs, step_seconds=per_step)
    return results


# ------------------------------------------------------------------ the card
def dataset_card(name: str, facts: dict) -> str:
    """A datasheet (Gebru et al., 2021) in Markdown: one section per question, values from ``facts``.

    ``facts`` maps section titles to either a string or a dict of measured
    numbers (rendered as a bullet list); pass only what you measured or know.
    Chapter 01 §7.
    """
    lines = [f"### Dataset card: {name}", ""]
    for section, content in facts.items():
        lines.append(f"**{section}**")
        lines.append("")
        if isinstance(content, dict):
            for key, value in content.items():
                if isinstance(value, float):
                    value = f"{value:.4g}"
                elif isinstance(value, (int, np.integer)):
                    value = f"{int(value):,}"
                lines.append(f"- {key}: {value}")
        else:
            lines.append(str(content))
        lines.append("")
    return "\n".join(lines)
