"""Chapter 05 §7's self-conditioned GAN: §6's conditional GAN, conditioned on k-means clusters of the images, not labels.

The conditional GAN is far better than the DCGAN at the same budget because
its labels split the data into ten simpler problems. Clusters of the training
pixels split it too, without a single label: train the conditional GAN on
cluster ids and, to sample, draw a cluster as often as it occurs in the data.
Liu et al. (2020, *Diverse Image Generation via Self-Conditioned GANs*) cluster
D's features and re-cluster during training; clustering the pixels once is the
CPU-sized version of their idea. Neither the labels nor the course's evaluator
network are used.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from ...memory import INFERENCE_BATCH_SIZE
from .cgan import ConditionalGAN

#: Clusters of the registry's self-conditioned GAN: more than ten, so a cluster rarely mixes two digits (purity 0.70
#: with 20 clusters of MNIST's training pixels, against the labels, which training never sees).
NUM_CLUSTERS = 20


def _flat(x) -> np.ndarray:
    x = np.asarray(x)
    return (x.reshape(len(x), -1).astype("float32") / 255.0) if x.dtype == np.uint8 else x.reshape(len(x), -1)


def nearest_centroid(x, centroids, chunk: int = 8192) -> np.ndarray:
    """Index of each image's nearest centroid (squared Euclidean distance on pixels in [0, 1]) (chapter 05 §7)."""
    f, c = _flat(x), np.asarray(centroids, dtype="float32")
    c2 = (c ** 2).sum(1)
    return np.concatenate([np.argmin(c2[None] - 2.0 * f[i:i + chunk] @ c.T, axis=1)
                           for i in range(0, len(f), chunk)]).astype("int32")


def kmeans(x, k: int, seed: int = 0, iterations: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """k-means++ seeding, then Lloyd's iterations: ``(centroids (k, pixels), assignments (N,))`` (chapter 05 §7).

    ``x``: uint8 images (scaled to [0, 1]) or float rows. Deterministic for a
    given ``seed`` (its own generator: nothing global is touched). An empty
    cluster keeps its previous centroid.
    """
    f = _flat(x)
    if not 1 <= int(k) <= len(f):
        raise ValueError(f"k must be between 1 and the number of images ({len(f)}), not {k}")
    rng = np.random.default_rng(seed)
    centroids = [f[rng.integers(len(f))]]
    closest = ((f - centroids[0]) ** 2).sum(1)
    for _ in range(1, k):  # each new centroid drawn with probability ∝ squared distance to the nearest one so far
        p = np.maximum(closest, 0.0)
        new = f[rng.choice(len(f), p=p / p.sum())] if p.sum() > 0 else f[rng.integers(len(f))]
        centroids.append(new)
        closest = np.minimum(closest, ((f - new) ** 2).sum(1))
    centroids = np.stack(centroids).astype("float32")
    for _ in range(iterations):
        assignment = nearest_centroid(f, centroids)
        counts = np.bincount(assignment, minlength=k)
        sums = np.zeros_like(centroids)
        np.add.at(sums, assignment, f)
        moved = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centroids)
        if np.allclose(moved, centroids):
            return centroids, assignment  # converged: the assignment is already the one to these centroids
        centroids = moved.astype("float32")
    return centroids, nearest_centroid(f, centroids)


@keras.saving.register_keras_serializable(package="course")
class SelfConditionedGAN(ConditionalGAN):
    """A :class:`ConditionalGAN` whose classes are k-means clusters of the training images (chapter 05 §7).

    Unconditional from the outside: ``fit_gan`` clusters the images (``cluster``)
    and trains on the cluster ids; ``generate(n)`` draws cluster ids in
    proportion to their share of the training images (``cluster_share``, saved
    with the model). Passing ``labels=`` asks for given clusters.
    """

    conditional = False  # trained on images alone; the cluster ids are its own

    def __init__(self, num_clusters: int = NUM_CLUSTERS, **kwargs):
        kwargs.pop("num_classes", None)  # get_config() of the parent writes it: it is num_clusters
        super().__init__(num_classes=num_clusters, **kwargs)
        self.num_clusters = int(num_clusters)
        self.input_labels = ("cluster ids", self.num_clusters)
        self.cluster_share = self.add_weight(shape=(self.num_clusters,), initializer="zeros", trainable=False,
                                             name="cluster_share")

    def get_config(self):
        return {**super().get_config(), "num_clusters": self.num_clusters}

    def cluster(self, x_uint8, seed: int = 0) -> np.ndarray:
        """k-means cluster ids of the training images (the "labels" it trains on); records each cluster's share."""
        _, ids = kmeans(x_uint8, self.num_clusters, seed=seed)
        self.cluster_share.assign(np.bincount(ids, minlength=self.num_clusters) / len(ids))
        return ids

    def generate(self, n: int = None, seed: int = 0, z=None, labels=None, use_ema: bool = True,
                 batch_size: int = INFERENCE_BATCH_SIZE) -> np.ndarray:
        """Images from clusters drawn by their share of the training images (or the given ``labels``)."""
        if labels is None:
            share = ops.convert_to_numpy(self.cluster_share).astype("float64")
            if share.sum() <= 0:
                raise RuntimeError("this self-conditioned GAN has not been trained: fit it (gan.fit_gan or "
                                   "gan.train_gan(..., kind='scgan')) so that it clusters the images first.")
            count = n if z is None else len(z)
            labels = np.random.default_rng(seed).choice(self.num_clusters, count, p=share / share.sum())
        return super().generate(n, seed=seed, z=z, labels=labels, use_ema=use_ema, batch_size=batch_size)
