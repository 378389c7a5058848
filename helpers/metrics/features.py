"""Inputs every metric accepts, and the course evaluator whose features they compare.

:func:`as_images` / :func:`as_labels` turn any accepted image or label format
into one canonical form, and reject anything else with a message that says
what was expected. :func:`evaluator` loads the shipped CNN (weights in
``helpers/weights/``, rebuilt by ``tools/train_evaluator.py``) whose 128-d
penultimate layer is the feature space of the Fréchet distance and the k-NN
metrics: Inception features were learned on ImageNet photos, not on 28x28
digits; a classifier trained on MNIST knows the domain and ships with the
course (chapter 06 §2 says why it is used, and what is not known about Inception).

Caches (in memory, per process): :func:`evaluator` keeps one loaded model per
dataset and :func:`real_data` one loaded dataset; ``helpers.metrics.clear_caches()``
empties them with the other metric caches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from ..memory import INFERENCE_BATCH_SIZE

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
DATASETS = ("mnist", "fashion_mnist")
EVALUATOR_WIDTH = 32  # small_cnn width of the evaluator: ~430k parameters, ~1.7 MB of weights


# --------------------------------------------------------------------------- inputs
class MetricsError(ValueError):
    """Inputs a metric cannot use (wrong shape, range or dtype); the message says what was expected.

    Raised by every metric (chapters 03-06, ``python -m helpers evaluate``).
    """


def as_images(x, value_range=None, name: str = "x") -> np.ndarray:
    """Images as float32 ``(N, 28, 28, 1)`` in ``[0, 1]``.

    ``value_range=None`` guesses: uint8 → ``(0, 255)``; floats with negative
    values → ``(-1, 1)``; other floats → ``(0, 1)``. Pass ``(0, 1)``,
    ``(-1, 1)`` or ``(0, 255)`` to be explicit. Anything outside the range,
    non-finite, or not 28x28 raises :class:`MetricsError`. Every metric
    calls it first (chapters 03-06; ``python -m helpers evaluate``).
    """
    arr = _image_array(x, name)
    lo, hi = _value_range(arr, value_range, name)
    out = arr.astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise MetricsError(f"{name} contains NaN or infinite values; the generator probably diverged.")
    tol = 1e-3 * (hi - lo)
    if out.min() < lo - tol or out.max() > hi + tol:
        hint = " (pixel values up to 255: pass uint8 or value_range=(0, 255))" if out.max() > 1 + tol else ""
        raise MetricsError(
            f"{name} has values in [{out.min():.3g}, {out.max():.3g}], outside the range "
            f"[{lo:g}, {hi:g}]{hint}.")
    if lo:  # in place, the same float32 operations: no extra copies of 60,000 training images
        out -= lo
    out /= hi - lo
    np.clip(out, 0.0, 1.0, out=out)
    return out[..., None]


def _image_array(x, name: str) -> np.ndarray:
    """``x`` as ``(N, 28, 28)`` (a view where possible), or :class:`MetricsError` saying what is wrong."""
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
    return arr


def _value_range(arr: np.ndarray, value_range, name: str) -> tuple[float, float]:
    """The ``(lo, hi)`` that :func:`as_images` maps to ``[0, 1]``: the one given, else guessed from all of ``arr``."""
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
    return lo, hi


def checked_images(x, value_range=None, name: str = "x", chunk: int = 5000) -> tuple[np.ndarray, tuple]:
    """``(images, value_range)``: ``x`` checked as :func:`as_images` checks it, but kept as it is.

    For large sets fed in batches: pass ``as_images(images[rows], value_range)`` for each batch. The
    check converts ``chunk`` images at a time, so 60,000 training images never exist as a second,
    float32 copy (188 MB; chapter 04 §8 and chapter 06 train classifiers on such sets). The range is
    guessed once from the whole set, so every batch is mapped the same way. Chapters 04 and 06.
    """
    arr = _image_array(x, name)
    value_range = _value_range(arr, value_range, name)
    for _ in image_batches(arr, chunk, value_range, name):
        pass
    return arr, value_range


def image_batches(x, batch_size: int, value_range=None, name: str = "x"):
    """``as_images`` of ``x`` in consecutive batches of ``batch_size``, each checked as it is converted.

    For a pass over every image (the evaluator): one conversion per image and never a float copy of the
    whole set. The range is guessed once from all of ``x``. Chapters 03-07 (through :class:`Evaluator`).
    """
    arr = _image_array(x, name)
    value_range = _value_range(arr, value_range, name)
    for start in range(0, len(arr), batch_size):
        yield as_images(arr[start:start + batch_size], value_range, name)


def classifier_probs(model, x, batch_size: int = INFERENCE_BATCH_SIZE, value_range=None, name: str = "x") -> np.ndarray:
    """A Keras classifier's outputs on images ``x`` (any accepted format), float32, ``batch_size`` at a time.

    Each batch is checked and converted on its own (:func:`image_batches`), so neither a float copy of the
    set nor Keras's own copies of it exist, and one batch's activations are the peak (chapter 06 §12's filter
    classifier scores 30,000 samples). Chapter 06 §12.
    """
    outputs = [np.asarray(model(batch, training=False)) for batch in image_batches(x, batch_size, value_range, name)]
    return np.concatenate(outputs).astype(np.float32)


def classifier_accuracy(model, x, y, batch_size: int = INFERENCE_BATCH_SIZE, value_range=None, name: str = "x") -> float:
    """Share of images ``x`` whose arg-max class under ``model`` is ``y``, ``batch_size`` images at a time.

    What ``model.evaluate(...)[1]`` reports for an accuracy metric, without the float copy of the test set
    and the copies Keras makes of it (10,000 MNIST test images on 2 cores: a transient of +110 MB against
    +190-220 MB for ``evaluate``, both 125 at a time; 3.2 s against 2.0-2.6 s). Chapter 06 §6 (:func:`~helpers.metrics.tstr`, :func:`~helpers.metrics.test_accuracy`).
    """
    labels = as_labels(y, len(_image_array(x, name)), name="y")  # an empty x is refused there
    correct, start = 0, 0
    for batch in image_batches(x, batch_size, value_range, name):
        predicted = np.asarray(model(batch, training=False)).argmax(axis=1)
        correct += int(np.sum(predicted == labels[start:start + len(batch)]))
        start += len(batch)
    return correct / len(labels)


def as_labels(y, n: int, num_classes: int = 10, name: str = "y") -> np.ndarray:
    """Integer labels ``(n,)`` in ``[0, num_classes)``; one-hot rows are accepted too.

    The labels of conditional samples (chapters 04 §7, 05 §6, 06 §3).
    """
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


def as_features(f, name: str) -> np.ndarray:
    """Feature vectors as float64 ``(N, D)`` with ``N >= 2`` (what the set metrics compare).

    Every set metric calls it (chapters 03-06).
    """
    arr = np.asarray(f, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 2:
        raise MetricsError(f"{name} has shape {arr.shape}; expected (N, D) feature vectors with N >= 2.")
    return arr


def canonical_dataset(dataset: str) -> str:
    """``"MNIST"``, ``"fashion-mnist"``... -> a key of :data:`DATASETS`, or :class:`MetricsError`.

    Called by :func:`evaluator`, :func:`real_data` and the metrics that take a ``dataset`` (chapters 03-06).
    """
    key = dataset.strip().lower().replace("-", "_")
    if key not in DATASETS:
        raise MetricsError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}.")
    return key


# --------------------------------------------------------------------------- evaluator
def build_evaluator(dataset: str = "mnist", seed: int | None = None):
    """The evaluator's architecture: ``small_cnn`` (width 32), built, untrained.

    Its 128-unit penultimate layer (named ``"features"``) is the feature space
    of the Fréchet distance and the precision/recall manifolds. ``seed``
    seeds its initialisers and dropout (``None``: Keras's global seeding, as
    ``tools/train_evaluator.py`` trains it). Not used by the chapters directly.
    Chapters 03-06 load it through :func:`evaluator`.
    """
    from ..classifiers import small_cnn

    return small_cnn(num_classes=10, width=EVALUATOR_WIDTH, dropout=0.25,
                     name=f"evaluator_{canonical_dataset(dataset)}", seed=seed)


def evaluator_paths(dataset: str = "mnist") -> tuple[Path, Path]:
    """``(weights, info_json)`` shipped for ``dataset`` (``tools/train_evaluator.py`` writes them).

    Read by :func:`evaluator` (chapters 03-06).
    """
    dataset = canonical_dataset(dataset)
    return WEIGHTS_DIR / f"evaluator-{dataset}.weights.h5", WEIGHTS_DIR / f"evaluator-{dataset}.json"


@dataclass
class Evaluator:
    """The course evaluator for one dataset: what :func:`evaluator` returns (chapters 03-06).

    ``model`` maps images to class probabilities, ``feature_model`` to the
    128-d penultimate activations; ``info`` holds the published numbers
    (test accuracy, real-vs-real Fréchet baseline, ...) from the JSON file.
    Call :meth:`features` / :meth:`probs` with any accepted image format.
    """

    dataset: str
    model: object
    feature_model: object
    info: dict = field(default_factory=dict)
    batch_size: int = INFERENCE_BATCH_SIZE  # helpers.memory: as fast on 2 cores as larger batches, a lower peak

    def _both(self, x):
        feats, probs = [], []
        for batch in image_batches(x, self.batch_size):  # converted batch by batch: no float copy of a large set
            f, p = self._joint(batch, training=False)
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
    """Load the shipped course evaluator for ``dataset``, cached per process (``evaluator.cache_clear()``).

    Chapters 03 §6, 04 §4, 06 §2 and §5 (and every metric of
    :func:`~helpers.metrics.evaluate_samples`). Raises :class:`FileNotFoundError`
    naming the script that rebuilds the weights if they are missing.
    """
    import keras

    dataset = canonical_dataset(dataset)
    weights, info_path = evaluator_paths(dataset)
    if not weights.exists():
        raise FileNotFoundError(
            f"evaluator weights {weights} are missing; rebuild them with "
            f"`python tools/train_evaluator.py --dataset {dataset}` (a few CPU-minutes).")
    model = build_evaluator(dataset, seed=0)  # seeded: building it must not draw from global RNGs
    model.load_weights(weights)
    feature_model = keras.Model(model.input, model.get_layer("features").output,
                                name=f"{model.name}_features")
    info = json.loads(info_path.read_text()) if info_path.exists() else {}
    return Evaluator(dataset, model, feature_model, info)


@cache
def real_data(dataset: str = "mnist"):
    """``(x_train, y_train), (x_test, y_test)`` of the real ``dataset`` (uint8), cached per process.

    The reference every metric compares samples with (``real_data.cache_clear()``).
    Chapters 05-06, through :func:`~helpers.metrics.evaluate_samples` and
    :func:`~helpers.metrics.test_accuracy`.
    """
    from ..datasets import load

    return load(canonical_dataset(dataset))
