"""A rare class: cut one class of a training set to a few examples, top it up, score classifiers on it.

The source chapter promises that synthetic data *covers* what real data lacks.
Chapter 04 §8 tests the promise on the smallest case there is: one digit with
only a few dozen training images.

* :func:`cut_class` keeps ``keep`` random examples of one class and every
  example of the others, in their order (the "rare class" training set).
* :func:`top_up_count` says how many images bring that class up to the
  median size of the others.
* :func:`augmented_copies` makes that many images from the few real ones with
  chapter 02's augmentation recipe (:func:`helpers.augment.digit_augmentation`).
* :func:`class_scores` and :func:`compare_training_sets` train the same small
  CNN (:func:`helpers.metrics.train_fixed_cnn`, for a fixed number of batches,
  once per seed) on each training set and score it on the test set once:
  overall accuracy, accuracy on the rare class, and the precision of its
  predictions of that class.

Randomness is explicit: every function that draws takes a ``seed``; nothing
global is seeded or read.
"""

from __future__ import annotations

import numpy as np


def _labels(y, n: int | None = None) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D array of integers, got shape {y.shape} and dtype {y.dtype}.")
    if n is not None and len(y) != n:
        raise ValueError(f"{n} images but {len(y)} labels: pass one label per image.")
    return y


def _digit(digit, y) -> int:
    if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)):
        raise ValueError(f"digit must be an integer class label, got {digit!r}.")
    if not np.any(y == digit):
        raise ValueError(f"class {digit} does not occur in the labels (classes present: {np.unique(y).tolist()}).")
    return int(digit)


def cut_class(x, y, digit: int, keep: int, seed: int = 0):
    """``(x, y)`` with only ``keep`` random examples of class ``digit`` left; all other examples untouched.

    The kept examples are drawn without replacement with ``seed``; every
    other class keeps all its examples, and the order of what is kept is the
    order of ``x``. ``keep`` must be between 0 and the number of examples of
    ``digit``. Chapter 04 §8.
    """
    x = np.asarray(x)
    y = _labels(y, len(x))
    digit = _digit(digit, y)
    rows = np.flatnonzero(y == digit)
    if isinstance(keep, bool) or not isinstance(keep, (int, np.integer)) or not 0 <= keep <= len(rows):
        raise ValueError(f"keep must be an integer from 0 to {len(rows)} (the examples of class {digit}), "
                         f"got {keep!r}.")
    mask = y != digit
    mask[np.random.default_rng(seed).choice(rows, size=int(keep), replace=False)] = True
    return x[mask], y[mask]


def top_up_count(y, digit: int) -> int:
    """How many examples bring class ``digit`` up to the median size of the other classes (0 if it has as many).

    Chapter 04 §8: the number of generated (or augmented) images added to the rare class.
    """
    y = _labels(y)
    digit = _digit(digit, y)
    others = [np.sum(y == c) for c in np.unique(y) if c != digit]
    if not others:
        raise ValueError("top_up_count needs at least one other class to compare with.")
    return max(0, int(np.median(others)) - int(np.sum(y == digit)))


def augmented_copies(x, n: int, strength: float = 1.0, seed: int = 0) -> np.ndarray:
    """``n`` uint8 images ``(n, 28, 28)``: the images ``x`` in turn, each through chapter 02's augmentation.

    Image ``i`` is a random transformation of ``x[i % len(x)]`` by
    :func:`helpers.augment.digit_augmentation` at ``strength`` (rotation,
    shift, zoom and shear), seeded with ``seed``. Chapter 04 §8.
    """
    from .augment import augment, digit_augmentation
    from .pipelines import to_float, to_uint8

    x = np.asarray(x)
    if x.dtype != np.uint8 or x.ndim != 3:
        raise ValueError(f"augmented_copies expects uint8 images (N, 28, 28), got {x.dtype} {x.shape}.")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}.")
    if n and not len(x):
        raise ValueError("augmented_copies needs at least one image to copy.")
    if n == 0:
        return np.zeros((0,) + x.shape[1:], np.uint8)
    source = to_float(x[np.arange(n) % len(x)])
    return to_uint8(augment(digit_augmentation(strength, seed=seed), source))


def class_scores(predictions, y, digit: int) -> dict:
    """Overall accuracy, accuracy on class ``digit`` and the precision of predictions of ``digit`` (chapter 04 §8).

    ``predictions``: predicted classes ``(N,)`` or class probabilities
    ``(N, classes)``. ``digit_precision`` is the share of images predicted as
    ``digit`` that are one (``nan`` when none is).
    """
    pred = np.asarray(predictions)
    if pred.ndim == 2:
        pred = pred.argmax(axis=1)
    y = _labels(y, len(pred))
    digit = _digit(digit, y)
    called = pred == digit
    return {"overall": float(np.mean(pred == y)), "digit": float(np.mean(pred[y == digit] == digit)),
            "digit_precision": float(np.mean(y[called] == digit)) if called.any() else float("nan")}


def compare_training_sets(training_sets: dict, x_test, y_test, digit: int, steps: int, seeds=(0,),
                          width: int = 16, batch_size: int = 128, verbose: bool = False) -> dict:
    """Train the same small CNN on each training set, once per seed, and score each on the test set once.

    ``training_sets``: ``{name: (x, y)}``. Every run trains
    :func:`helpers.metrics.train_fixed_cnn` (``small_cnn`` of ``width``) for
    exactly ``steps`` batches, whatever the set's size, so the budgets are
    equal. Returns ``{name: {"overall": [...], "digit": [...],
    "digit_precision": [...], "n": size}}``, one value per seed, in the
    order of ``seeds``. Chapter 04 §8.
    """
    from .memory import release_free_memory
    from .metrics import classifier_probs, train_fixed_cnn
    from .metrics.features import checked_images
    from .metrics.usefulness import EVAL_BATCH_SIZE

    if not training_sets:
        raise ValueError("compare_training_sets needs at least one training set.")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("pass at least one seed.")
    x_test, test_range = checked_images(x_test, name="x_test")  # kept as it is (uint8), converted per batch
    y_test = _labels(y_test, len(x_test))
    digit = _digit(digit, y_test)
    results = {}
    for name, (x, y) in training_sets.items():
        row = {"overall": [], "digit": [], "digit_precision": [], "n": len(x)}
        for seed in seeds:
            model = train_fixed_cnn(x, y, steps=steps, batch_size=batch_size, seed=seed, width=width)
            probs = classifier_probs(model, x_test, EVAL_BATCH_SIZE, test_range, name="x_test")
            del model  # twelve classifiers in chapter 04: free each one's weights and graph before the next
            release_free_memory()
            scores = class_scores(probs, y_test, digit)
            for key in ("overall", "digit", "digit_precision"):
                row[key].append(scores[key])
            if verbose:
                print(f"{name}, seed {seed}: class {digit} {scores['digit']:.1%} · overall {scores['overall']:.1%}",
                      flush=True)
        results[name] = row
    return results
