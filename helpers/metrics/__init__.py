"""Measuring synthetic images: quality, diversity, realism, usefulness and privacy.

Every metric takes images as uint8 ``(N, 28, 28)`` (or ``(N, 28, 28, 1)``), or
floats in ``[0, 1]`` or ``[-1, 1]``; :func:`as_images` normalises them and
rejects anything else with a message that says what was expected.

Distances between *sets* of images are computed in the feature space of the
**course evaluator**, a small CNN trained on the real dataset (weights shipped
in ``helpers/weights/``, rebuilt by ``tools/train_evaluator.py``). Inception
features, used by FID on photos, know nothing about 28x28 digits; a classifier
trained on MNIST does.

========================  ==================================================  ===============
function                  what it measures                                    perfect value
========================  ==================================================  ===============
``frechet_distance``      realism: Gaussian fit of features, samples vs real  real-vs-real baseline
``precision_recall``      quality (precision) and diversity (recall), k-NN    1.0 / 1.0
``density_coverage``      the same, robust to outliers (computed with it)      about 1 / 1.0
``classifier_score``      confident *and* varied classes (Inception Score)    10 (num classes)
``label_fidelity``        conditional models: evaluator agrees with label     real test accuracy
``tstr``                  usefulness: train on synthetic, test on real        same CNN on real data
``memorisation``          privacy: nearest-training-image distance ratio      about 1 (0 = copies)
========================  ==================================================  ===============

:func:`evaluate_samples` runs them all and returns one dict (used by
``python -m helpers evaluate`` and chapter 06); :func:`format_results` prints it
as a table. Real-vs-real baselines are reported next to every score, because a
Fréchet distance of 3.1 means nothing until you know real data scores 0.9.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
DATASETS = ("mnist", "fashion_mnist")
EVALUATOR_WIDTH = 32  # small_cnn width of the evaluator: ~430k parameters, ~1.7 MB of weights

# Fixed train-on-synthetic-test-on-real recipe (the same for every model, so numbers compare).
TSTR_EPOCHS = 5
TSTR_BATCH_SIZE = 128
TSTR_LEARNING_RATE = 1e-3
TSTR_SEED = 0


class MetricsError(ValueError):
    """Inputs a metric cannot use (wrong shape, range or dtype); the message says what was expected."""


# --------------------------------------------------------------------------- inputs
def as_images(x, value_range=None, name: str = "x") -> np.ndarray:
    """Images as float32 ``(N, 28, 28, 1)`` in ``[0, 1]``.

    ``value_range=None`` guesses: uint8 → ``(0, 255)``; floats with negative
    values → ``(-1, 1)``; other floats → ``(0, 1)``. Pass ``(0, 1)``,
    ``(-1, 1)`` or ``(0, 255)`` to be explicit. Anything outside the range,
    non-finite, or not 28x28 raises :class:`MetricsError`.
    """
    arr = np.asarray(x)
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2 and arr.shape == (28, 28):
        raise MetricsError(f"{name} is a single 28x28 image; pass a batch, e.g. {name}[None].")
    if arr.ndim != 3 or arr.shape[1:] != (28, 28):
        raise MetricsError(
            f"{name} has shape {arr.shape}; expected a batch of 28x28 grey images, shaped "
            f"(N, 28, 28) or (N, 28, 28, 1).")
    if arr.shape[0] == 0:
        raise MetricsError(f"{name} is empty (0 images).")
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise MetricsError(f"{name} has dtype {arr.dtype}; expected uint8 or float images.")
    if value_range is None:
        if arr.dtype == np.uint8:
            value_range = (0, 255)
        elif np.issubdtype(arr.dtype, np.integer):
            raise MetricsError(f"{name} has integer dtype {arr.dtype}; convert to uint8 (0..255) "
                               f"or float in [0, 1].")
        else:
            value_range = (-1, 1) if float(np.min(arr)) < 0 else (0, 1)
    lo, hi = (float(v) for v in value_range)
    if (lo, hi) not in {(0.0, 1.0), (-1.0, 1.0), (0.0, 255.0)}:
        raise MetricsError(f"value_range={value_range!r}; use (0, 1), (-1, 1) or (0, 255).")
    out = arr.astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise MetricsError(f"{name} contains NaN or infinite values; the generator probably diverged.")
    tol = 1e-3 * (hi - lo)
    if out.min() < lo - tol or out.max() > hi + tol:
        hint = " (pixel values up to 255: pass uint8 or value_range=(0, 255))" if out.max() > 1 + tol else ""
        raise MetricsError(
            f"{name} has values in [{out.min():.3g}, {out.max():.3g}], outside the range "
            f"[{lo:g}, {hi:g}]{hint}.")
    out = np.clip((out - lo) / (hi - lo), 0.0, 1.0)
    return out[..., None]


def as_labels(y, n: int, num_classes: int = 10, name: str = "y") -> np.ndarray:
    """Integer labels ``(n,)`` in ``[0, num_classes)``; one-hot rows are accepted too."""
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == num_classes:
        arr = arr.argmax(axis=1)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise MetricsError(f"{name} has shape {np.shape(y)}; expected ({n},) integer labels, one per image.")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise MetricsError(f"{name} must hold whole class numbers 0..{num_classes - 1}.")
    elif arr.dtype.kind not in "iu":
        raise MetricsError(f"{name} has dtype {arr.dtype}; expected integer class labels.")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= num_classes:
        raise MetricsError(f"{name} has labels in [{arr.min()}, {arr.max()}]; expected 0..{num_classes - 1}.")
    return arr


def _as_features(f, name: str) -> np.ndarray:
    arr = np.asarray(f, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 2:
        raise MetricsError(f"{name} has shape {arr.shape}; expected (N, D) feature vectors with N >= 2.")
    return arr


def _canonical_dataset(dataset: str) -> str:
    key = dataset.strip().lower().replace("-", "_")
    if key not in DATASETS:
        raise MetricsError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}.")
    return key


# --------------------------------------------------------------------------- evaluator
def build_evaluator(dataset: str = "mnist"):
    """The evaluator's architecture: ``small_cnn`` (width 32), built, untrained.

    Its 128-unit penultimate layer (named ``"features"``) is the feature space
    of the Fréchet distance and the precision/recall manifolds.
    """
    from ..classifiers import small_cnn

    model = small_cnn(num_classes=10, width=EVALUATOR_WIDTH, dropout=0.25,
                      name=f"evaluator_{_canonical_dataset(dataset)}")
    return model


def evaluator_paths(dataset: str = "mnist") -> tuple[Path, Path]:
    """``(weights, info_json)`` shipped for ``dataset``."""
    dataset = _canonical_dataset(dataset)
    return WEIGHTS_DIR / f"evaluator-{dataset}.weights.h5", WEIGHTS_DIR / f"evaluator-{dataset}.json"


@dataclass
class Evaluator:
    """The course evaluator for one dataset.

    ``model`` maps images to class probabilities, ``feature_model`` to the
    128-d penultimate activations; ``info`` holds the published numbers
    (test accuracy, real-vs-real Fréchet baseline, ...) from the JSON file.
    Call :meth:`features` / :meth:`probs` with any accepted image format.
    """

    dataset: str
    model: object
    feature_model: object
    info: dict = field(default_factory=dict)
    batch_size: int = 500

    def _both(self, x):
        images = as_images(x)
        feats, probs = [], []
        for start in range(0, len(images), self.batch_size):
            f, p = self._joint(images[start:start + self.batch_size], training=False)
            feats.append(np.asarray(f))
            probs.append(np.asarray(p))
        return np.concatenate(feats).astype(np.float64), np.concatenate(probs).astype(np.float64)

    def __post_init__(self):
        import keras

        self._joint = keras.Model(self.model.input,
                                  [self.model.get_layer("features").output, self.model.output])

    def features(self, x) -> np.ndarray:
        """Penultimate-layer features, float64 ``(N, 128)``."""
        return self._both(x)[0]

    def probs(self, x) -> np.ndarray:
        """Class probabilities, float64 ``(N, 10)``."""
        return self._both(x)[1]

    def features_and_probs(self, x) -> tuple[np.ndarray, np.ndarray]:
        """Both in one pass (what :func:`evaluate_samples` uses)."""
        return self._both(x)

    def predict(self, x) -> np.ndarray:
        """Predicted classes ``(N,)``."""
        return self.probs(x).argmax(axis=1)


@cache
def evaluator(dataset: str = "mnist") -> Evaluator:
    """Load the shipped course evaluator for ``dataset`` (cached per process).

    Raises :class:`FileNotFoundError` naming the script that rebuilds the
    weights if they are missing.
    """
    import keras

    dataset = _canonical_dataset(dataset)
    weights, info_path = evaluator_paths(dataset)
    if not weights.exists():
        raise FileNotFoundError(
            f"evaluator weights {weights} are missing; rebuild them with "
            f"`python tools/train_evaluator.py --dataset {dataset}` (a few CPU-minutes).")
    model = build_evaluator(dataset)
    model.load_weights(weights)
    feature_model = keras.Model(model.input, model.get_layer("features").output,
                                name=f"{model.name}_features")
    info = json.loads(info_path.read_text()) if info_path.exists() else {}
    return Evaluator(dataset, model, feature_model, info)


# --------------------------------------------------------------------------- Fréchet distance
def feature_stats(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean vector and covariance matrix (unbiased) of ``(N, D)`` features."""
    f = _as_features(features, "features")
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_from_stats(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    r"""Fréchet distance between two Gaussians:
    :math:`\lVert\mu_1-\mu_2\rVert^2 + \operatorname{tr}(\Sigma_1+\Sigma_2-2(\Sigma_1\Sigma_2)^{1/2})`.
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
    and against the real-vs-real baseline at that size.
    """
    a, b = _as_features(features_a, "features_a"), _as_features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise MetricsError(f"feature sizes differ: {a.shape[1]} vs {b.shape[1]}.")
    return frechet_from_stats(*feature_stats(a), *feature_stats(b))


# --------------------------------------------------------------------------- k-NN helpers
def _sq_norms(a):
    return np.einsum("ij,ij->i", a, a)


def pairwise_distances(a, b, chunk: int = 1024) -> np.ndarray:
    """Euclidean distances ``(len(a), len(b))`` between rows (small sets only: memory is N*M)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    out = np.empty((len(a), len(b)))
    nb = _sq_norms(b)
    for s in range(0, len(a), chunk):
        blk = a[s:s + chunk]
        d2 = _sq_norms(blk)[:, None] + nb[None, :] - 2.0 * blk @ b.T
        out[s:s + chunk] = np.sqrt(np.maximum(d2, 0.0))
    return out


def kth_nn_radii(features, k: int = 3, chunk: int = 1024) -> np.ndarray:
    """Distance from each row to its k-th nearest *other* row (the k-NN ball radius)."""
    f = np.asarray(features, np.float32)
    if not 1 <= k < len(f):
        raise MetricsError(f"k={k} needs at least k+1={k + 1} points, got {len(f)}.")
    norms = _sq_norms(f)
    radii = np.empty(len(f))
    for s in range(0, len(f), chunk):
        blk = f[s:s + chunk]
        d2 = norms[s:s + chunk, None] + norms[None, :] - 2.0 * blk @ f.T
        d2[np.arange(len(blk)), np.arange(s, s + len(blk))] = np.inf  # exclude itself
        radii[s:s + chunk] = np.sqrt(np.maximum(np.partition(d2, k - 1, axis=1)[:, k - 1], 0.0))
    return radii


def _within(d2, r2):
    """Squared distance inside a squared radius, with a little slack for float round-off (points on the rim count)."""
    return d2 <= r2 * (1 + 1e-6) + 1e-9


def _ball_counts(points, centres, radii, chunk: int = 1024) -> np.ndarray:
    """Per point: how many of the balls (``centres[j]``, ``radii[j]``) contain it."""
    p, c = np.asarray(points, np.float32), np.asarray(centres, np.float32)
    r2 = np.asarray(radii, np.float64) ** 2
    nc = _sq_norms(c)
    counts = np.empty(len(p), dtype=np.int64)
    for s in range(0, len(p), chunk):
        blk = p[s:s + chunk]
        d2 = _sq_norms(blk)[:, None] + nc[None, :] - 2.0 * blk @ c.T
        counts[s:s + chunk] = np.sum(_within(d2, r2[None, :]), axis=1)
    return counts


def _inside_any_ball(points, centres, radii, chunk: int = 1024) -> np.ndarray:
    """Boolean per point: within ``radii[j]`` of at least one ``centres[j]``."""
    return _ball_counts(points, centres, radii, chunk) > 0


def density_coverage(real_features, fake_features, k: int = 5) -> dict:
    """Density and coverage (Naeem et al., 2020): precision and recall made robust to outliers.

    A real outlier has a huge k-NN ball, and every sample that lands in it
    counts for precision. **Density** counts *how many* real balls hold each
    sample (÷ k): about 1 for samples distributed like real data, near 0 for
    samples that only an outlier's ball reaches, above 1 for samples piled
    onto dense real regions. **Coverage** is the share of real points whose
    own ball holds at least one sample (is each real neighbourhood visited?).
    Neither repairs a feature space's blind spots: chapter 06 shows noise
    that the evaluator maps into the real cloud scoring precision and density
    near 1, caught only by recall, coverage and the Fréchet distance.
    Use equal set sizes.
    """
    real = _as_features(real_features, "real_features")
    fake = _as_features(fake_features, "fake_features")
    radii = kth_nn_radii(real, k)
    density = _ball_counts(fake, real, radii).sum() / (k * len(fake))
    covered = _within(nearest_neighbours(real, fake)[0] ** 2, radii ** 2)
    return {"density": float(density), "coverage": float(covered.mean())}


def precision_recall(real_features, fake_features, k: int = 3) -> dict:
    """Improved precision and recall (Kynkäänniemi et al., 2019).

    Each real point gets a ball reaching its k-th nearest real neighbour; the
    union of balls approximates the real manifold. **Precision** is the share
    of samples inside it (are samples realistic?); **recall** swaps the roles:
    the share of real points inside the samples' manifold (is the variety of
    real data covered?). Use the same number of real and fake points.
    """
    real = _as_features(real_features, "real_features")
    fake = _as_features(fake_features, "fake_features")
    precision = _inside_any_ball(fake, real, kth_nn_radii(real, k)).mean()
    recall = _inside_any_ball(real, fake, kth_nn_radii(fake, k)).mean()
    return {"precision": float(precision), "recall": float(recall)}


# --------------------------------------------------------------------------- classifier-based
def classifier_score(probs, eps: float = 1e-12) -> float:
    r"""Inception-Score analogue :math:`\exp(\mathbb{E}_x\,\mathrm{KL}(p(y\mid x)\,\|\,p(y)))`.

    High when each sample is classified confidently *and* classes are used
    evenly; 1 is the minimum, the number of classes (10) the maximum.
    """
    p = np.asarray(probs, np.float64)
    if p.ndim != 2 or p.shape[0] == 0:
        raise MetricsError(f"probs has shape {p.shape}; expected (N, num_classes) probabilities.")
    if np.any(p < -1e-6) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise MetricsError("probs rows must be probability vectors (non-negative, summing to 1).")
    p = np.clip(p, eps, 1.0)
    marginal = p.mean(axis=0, keepdims=True)
    kl = np.sum(p * (np.log(p) - np.log(marginal)), axis=1)
    return float(np.exp(kl.mean()))


def label_fidelity(probs_or_predictions, y) -> dict:
    """How often the evaluator agrees with the requested class, overall and per class.

    Pass evaluator probabilities ``(N, 10)`` or predicted classes ``(N,)``.
    """
    pred = np.asarray(probs_or_predictions)
    if pred.ndim == 2:
        pred = pred.argmax(axis=1)
    y = as_labels(y, len(pred))
    agree = pred == y
    per_class = {int(c): float(agree[y == c].mean()) for c in np.unique(y)}
    return {"label_fidelity": float(agree.mean()), "label_fidelity_per_class": per_class}


# --------------------------------------------------------------------------- usefulness (TSTR)
def train_fixed_cnn(x, y, epochs: int = TSTR_EPOCHS, batch_size: int = TSTR_BATCH_SIZE,
                    seed: int = TSTR_SEED, steps: int | None = None, augmentation=None, verbose: int = 0):
    """The fixed TSTR classifier: ``small_cnn`` + ``compile_classifier``, fixed recipe and seed.

    ``steps``: train for exactly this many batches instead of ``epochs``, so
    training sets of different sizes get the same amount of training (fair
    comparisons). ``augmentation``: Keras layers applied during training only.
    """
    import tensorflow as tf

    from ..classifiers import compile_classifier, small_cnn
    from ..runtime import set_seed

    set_seed(seed)
    model = compile_classifier(small_cnn(num_classes=10, augmentation=augmentation),
                               learning_rate=TSTR_LEARNING_RATE)
    images, labels = as_images(x), as_labels(y, len(x))
    if steps is None:
        model.fit(images, labels, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=verbose)
    else:
        data = (tf.data.Dataset.from_tensor_slices((images, labels))
                .shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
                .repeat().batch(batch_size))
        model.fit(data, epochs=1, steps_per_epoch=int(steps), shuffle=False, verbose=verbose)
    return model


def test_accuracy(model, dataset: str = "mnist", n: int | None = None) -> float:
    """Accuracy of a classifier on the real test set of ``dataset`` (its first ``n`` images if given)."""
    (_, _), (x_test, y_test) = _real(_canonical_dataset(dataset))
    x_test, y_test = x_test[:n], y_test[:n]
    return float(model.evaluate(as_images(x_test), y_test, batch_size=1000, verbose=0)[1])


test_accuracy.__test__ = False  # not a pytest test despite its name


def tstr(x_synthetic, y_synthetic, x_real_train, y_real_train, x_test, y_test,
         epochs: int = TSTR_EPOCHS, batch_size: int = TSTR_BATCH_SIZE, seed: int = TSTR_SEED,
         trtr_acc: float | None = None) -> dict:
    """Train-on-synthetic, test-on-real, beside train-on-real-test-on-real.

    The same fixed CNN is trained (a) on the labelled synthetic samples and
    (b) on as many real training images, drawn at random with ``seed``, then
    both are tested on the real test set. ``tstr_acc`` close to ``trtr_acc``
    means the synthetic data is as useful as the same amount of real data.
    Pass ``trtr_acc`` from an earlier call with the same ``n`` and seed to
    skip retraining on real data.
    """
    xs = as_images(x_synthetic, name="x_synthetic")
    ys = as_labels(y_synthetic, len(xs), name="y_synthetic")
    xr = as_images(x_real_train, name="x_real_train")
    yr = as_labels(y_real_train, len(xr), name="y_real_train")
    xt = as_images(x_test, name="x_test")
    yt = as_labels(y_test, len(xt), name="y_test")
    n = len(xs)
    if n > len(xr):
        raise MetricsError(f"{n} synthetic samples but only {len(xr)} real training images to compare with.")
    idx = np.random.default_rng(seed).choice(len(xr), size=n, replace=False)
    results = {"tstr_n": n, "tstr_epochs": epochs}
    runs = {"tstr_acc": (xs, ys)}
    if trtr_acc is None:
        runs["trtr_acc"] = (xr[idx], yr[idx])
    else:
        results["trtr_acc"] = float(trtr_acc)
    for key, (x, y) in runs.items():
        model = train_fixed_cnn(x, y, epochs=epochs, batch_size=batch_size, seed=seed)
        results[key] = float(model.evaluate(xt, yt, batch_size=1000, verbose=0)[1])
    return results


# --------------------------------------------------------------------------- memorisation
def nearest_neighbours(queries, reference, chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, ``(distance, index)`` of its nearest reference row (Euclidean).

    Uses the fast ``|a|^2 + |b|^2 - 2ab`` form to find the neighbour, then
    recomputes the winning distance exactly, so exact copies give 0.
    """
    q = np.asarray(queries, np.float32).reshape(len(queries), -1)
    r = np.asarray(reference, np.float32).reshape(len(reference), -1)
    nr = _sq_norms(r)
    idx = np.empty(len(q), dtype=np.int64)
    for s in range(0, len(q), chunk):
        blk = q[s:s + chunk]
        idx[s:s + chunk] = np.argmin(nr[None, :] - 2.0 * blk @ r.T, axis=1)
    dist = np.sqrt(np.sum((q.astype(np.float64) - r[idx].astype(np.float64)) ** 2, axis=1))
    return dist, idx


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
    """
    xs = as_images(x_samples, name="x_samples")[..., 0]
    xt = as_images(x_train, name="x_train")[..., 0]
    xh = as_images(x_heldout, name="x_heldout")[..., 0]
    rng = np.random.default_rng(seed)
    sample_idx = np.arange(len(xs))
    if max_samples is not None and len(xs) > max_samples:
        sample_idx = np.sort(rng.choice(len(xs), max_samples, replace=False))
    if max_samples is not None and len(xh) > max_samples and heldout_distances is None:
        xh = xh[np.sort(rng.choice(len(xh), max_samples, replace=False))]
    d_sample, nn_sample = nearest_neighbours(xs[sample_idx], xt)
    d_held = (nearest_neighbours(xh, xt)[0] if heldout_distances is None
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


# --------------------------------------------------------------------------- real reference data
@lru_cache(maxsize=4)
def _real(dataset: str):
    from ..datasets import load

    return load(dataset)


@lru_cache(maxsize=8)
def _real_features(dataset: str, split: str, n: int, seed: int):
    """Evaluator features + probs of ``n`` real images (a seeded random subset), cached."""
    (x_train, y_train), (x_test, y_test) = _real(dataset)
    x = x_train if split == "train" else x_test
    n = min(n, len(x))
    idx = np.sort(np.random.default_rng(seed).choice(len(x), n, replace=False)) if n < len(x) else np.arange(n)
    return evaluator(dataset).features_and_probs(x[idx])


@lru_cache(maxsize=4)
def _heldout_distances(dataset: str, max_samples: int, seed: int) -> np.ndarray:
    """Nearest-training-image distances of held-out test images (the memorisation yardstick), cached."""
    (x_train, _), (x_test, _) = _real(dataset)
    idx = np.arange(len(x_test))
    if max_samples is not None and len(x_test) > max_samples:
        idx = np.sort(np.random.default_rng(seed + 1).choice(len(x_test), max_samples, replace=False))
    return nearest_neighbours(as_images(x_test[idx])[..., 0], as_images(x_train)[..., 0])[0]


@lru_cache(maxsize=16)
def real_baseline(dataset: str = "mnist", n: int = 10000, seed: int = 0) -> dict:
    """Scores of *real* data, the yardstick for every sample score.

    ``n`` random training images are scored against ``n`` test images with
    the same functions as samples: a perfect generator would get these.
    """
    dataset = _canonical_dataset(dataset)
    f_train, p_train = _real_features(dataset, "train", n, seed)
    f_test, _ = _real_features(dataset, "test", n, seed + 1)
    out = {"n": len(f_train), "frechet_distance": frechet_distance(f_train, f_test),
           "classifier_score": classifier_score(p_train)}
    out.update(precision_recall(f_test, f_train))
    out.update(density_coverage(f_test, f_train, k=DC_K))
    return out


# --------------------------------------------------------------------------- everything at once
_TRTR_CACHE: dict = {}  # (dataset, n, epochs, seed) -> accuracy of the fixed CNN on n real images
#: k of density and coverage (Naeem et al. use 5).
DC_K = 5
ALL_METRICS = ("frechet", "precision_recall", "classifier_score", "label_fidelity", "memorisation", "tstr")


def evaluate_samples(x, y=None, dataset: str = "mnist", metrics=ALL_METRICS, n_real: int | None = None,
                     k: int = 3, tstr_epochs: int = TSTR_EPOCHS, memorisation_samples: int = 2000,
                     tstr_test_size: int | None = None, seed: int = 0, verbose: bool = False) -> dict:
    """Every metric for one set of samples, with real-data baselines, as a plain dict.

    ``x``: images in any accepted format; ``y``: requested labels for
    conditional models (enables label fidelity and TSTR). ``n_real``: number
    of real test images to compare with (default: as many as samples, at
    most 10,000; equal sizes keep the Fréchet distance comparable). The
    baselines (``*_real``) are real training images scored the same way at
    the same size. ``tstr_test_size``: test TSTR on the first N test images
    only (quick checks; default all). ``seconds`` holds each metric's wall-clock time.
    ``verbose``: print progress (or pass a function that takes a message).
    """
    dataset = _canonical_dataset(dataset)
    unknown = set(metrics) - set(ALL_METRICS)
    if unknown:
        raise MetricsError(f"unknown metrics {sorted(unknown)}; choose from {', '.join(ALL_METRICS)}.")
    images = as_images(x)
    labels = None if y is None else as_labels(y, len(images))
    n = len(images)
    n_real = min(n, 10000) if n_real is None else int(n_real)
    seconds = {}
    res = {"dataset": dataset, "n": n, "conditional": labels is not None, "seconds": seconds}

    def log(msg):
        if callable(verbose):
            verbose(msg)
        elif verbose:
            print(msg, flush=True)

    t = time.perf_counter()
    ev = evaluator(dataset)
    feats, probs = ev.features_and_probs(images)
    f_test, _ = _real_features(dataset, "test", n_real, seed + 1)
    seconds["features"] = time.perf_counter() - t
    res["evaluator_test_accuracy"] = ev.info.get("test_accuracy")
    need_baseline = {"frechet", "precision_recall", "classifier_score"} & set(metrics)
    baseline = real_baseline(dataset, n=min(n, n_real), seed=seed) if need_baseline else {}
    if "frechet" in metrics and n >= 2:
        t = time.perf_counter()
        res["frechet_distance"] = frechet_distance(feats, f_test)
        res["frechet_distance_real"] = baseline["frechet_distance"]
        res["frechet_distance_real_10k"] = ev.info.get("frechet_real_vs_real_10k")
        seconds["frechet"] = time.perf_counter() - t
        log(f"Fréchet distance {res['frechet_distance']:.3f} (real data: {baseline['frechet_distance']:.3f})")
    if "precision_recall" in metrics and n > k and len(f_test) > k:
        t = time.perf_counter()
        res.update(precision_recall(f_test, feats, k=k))
        res["precision_real"], res["recall_real"] = baseline["precision"], baseline["recall"]
        if n > DC_K and len(f_test) > DC_K:
            res.update(density_coverage(f_test, feats, k=DC_K))
            res["density_real"], res["coverage_real"] = baseline["density"], baseline["coverage"]
        seconds["precision_recall"] = time.perf_counter() - t
        log(f"precision {res['precision']:.3f}, recall {res['recall']:.3f}, "
            f"density {res.get('density', float('nan')):.3f}, coverage {res.get('coverage', float('nan')):.3f}")
    if "classifier_score" in metrics:
        t = time.perf_counter()
        res["classifier_score"] = classifier_score(probs)
        res["classifier_score_real"] = baseline["classifier_score"]
        res["class_histogram"] = np.bincount(probs.argmax(axis=1), minlength=10).tolist()
        res["unsure_rate"] = float(np.mean(probs.max(axis=1) < 0.5))  # evaluator cannot tell the class
        seconds["classifier_score"] = time.perf_counter() - t
        log(f"classifier score {res['classifier_score']:.3f}")
    if "label_fidelity" in metrics and labels is not None:
        t = time.perf_counter()
        res.update(label_fidelity(probs, labels))
        res["label_fidelity_real"] = ev.info.get("test_accuracy")
        seconds["label_fidelity"] = time.perf_counter() - t
    if "memorisation" in metrics:
        t = time.perf_counter()
        (x_train, _), (x_test, _) = _real(dataset)
        held = _heldout_distances(dataset, memorisation_samples, seed)
        res.update(memorisation(images, x_train, x_test, max_samples=memorisation_samples, seed=seed,
                                heldout_distances=held))
        seconds["memorisation"] = time.perf_counter() - t
        log(f"memorisation ratio {res['memorisation_ratio']:.3f}")
    if "tstr" in metrics and labels is not None:
        t = time.perf_counter()
        (x_train, y_train), (x_test, y_test) = _real(dataset)
        log(f"TSTR: training the fixed CNN on {n} synthetic and {n} real images ({tstr_epochs} epochs each)")
        key = (dataset, n, tstr_epochs, seed, tstr_test_size)
        x_test, y_test = x_test[:tstr_test_size], y_test[:tstr_test_size]
        res.update(tstr(images, labels, x_train, y_train, x_test, y_test, epochs=tstr_epochs, seed=seed,
                        trtr_acc=_TRTR_CACHE.get(key)))
        _TRTR_CACHE[key] = res["trtr_acc"]
        seconds["tstr"] = time.perf_counter() - t
    return res


# --------------------------------------------------------------------------- reporting
_ROWS = (  # (key, label, real-baseline key, better)
    ("frechet_distance", "Fréchet distance (evaluator features)", "frechet_distance_real", "lower"),
    ("precision", "precision (quality)", "precision_real", "higher"),
    ("recall", "recall (diversity)", "recall_real", "higher"),
    ("density", "density (quality, robust to outliers)", "density_real", "about 1"),
    ("coverage", "coverage (diversity, robust to outliers)", "coverage_real", "higher"),
    ("classifier_score", "classifier score (max 10)", "classifier_score_real", "higher"),
    ("label_fidelity", "label fidelity", "label_fidelity_real", "higher"),
    ("tstr_acc", "TSTR accuracy (train synthetic, test real)", "trtr_acc", "higher"),
    ("memorisation_ratio", "memorisation ratio (1 = no copying)", None, "about 1"),
    ("copy_rate", "near-copy rate", None, "about 0.01"),
)


def summary(results: dict) -> dict:
    """The JSON-friendly part of :func:`evaluate_samples` (drops per-sample arrays)."""
    out = {}
    for key, value in results.items():
        if isinstance(value, np.ndarray):
            continue
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, dict):
            value = {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in value.items()}
        out[key] = value
    return out


def format_results(results: dict) -> str:
    """A plain-text table: metric, value, real-data value, which direction is better."""
    lines = [f"{results.get('n', '?')} samples · dataset {results.get('dataset', '?')} · "
             f"{'conditional' if results.get('conditional') else 'unconditional'}",
             f"{'metric':44s} {'samples':>9s} {'real data':>10s}  better"]
    for key, label, ref, better in _ROWS:
        if key not in results:
            continue
        ref_value = results.get(ref) if ref else None
        ref_text = "" if ref_value is None else f"{ref_value:10.4f}"
        lines.append(f"{label:44s} {results[key]:9.4f} {ref_text:>10s}  {better}")
    if not results.get("conditional"):
        lines.append("(no labels y: label fidelity and TSTR apply to conditional models only)")
    if results.get("frechet_distance_real_10k") is not None:
        lines.append(f"(published real-vs-real Fréchet baseline, 10k train vs 10k test: "
                     f"{results['frechet_distance_real_10k']:.4f})")
    if "seconds" in results:
        lines.append("time: " + ", ".join(f"{k} {v:.1f}s" for k, v in results["seconds"].items()))
    return "\n".join(lines)


def compare(results: dict, keys=("frechet_distance", "precision", "recall", "classifier_score",
                                 "label_fidelity", "tstr_acc", "memorisation_ratio")) -> str:
    """Side-by-side text table of several :func:`evaluate_samples` results ``{name: results}``."""
    names = list(results)
    width = max(8, *(len(n) for n in names))
    short = {"frechet_distance": "Fréchet", "precision": "precision", "recall": "recall",
             "classifier_score": "cls score", "label_fidelity": "label fid.", "tstr_acc": "TSTR acc",
             "memorisation_ratio": "memo ratio", "copy_rate": "copy rate", "unsure_rate": "unsure"}
    lines = [f"{'':{width}s} " + " ".join(f"{short.get(k, k)[:10]:>10s}" for k in keys)]
    for name in names:
        row = results[name]
        cells = ["—" if row.get(k) is None else f"{row[k]:.3f}" for k in keys]
        lines.append(f"{name:{width}s} " + " ".join(f"{c:>10s}" for c in cells))
    return "\n".join(lines)
