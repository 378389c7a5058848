"""Every metric at once, against real-data baselines, and the tables that print the results.

:func:`evaluate_samples` is what chapters 05 and 06, ``python -m helpers
evaluate`` and the benchmark call. Real-vs-real baselines are reported next to
every score, because a Fréchet distance of 3.1 means nothing until you know
real data scores 0.9.

Caches (in memory, per process, all emptied by :func:`clear_caches`): the
evaluator features of real subsets, the held-out memorisation distances,
:func:`real_baseline` results and the train-on-real TSTR accuracies. They are
pure functions of their keys (dataset, sizes, seed), so they only save time.
"""

from __future__ import annotations

import time
from functools import lru_cache

import numpy as np

from ..memory import release_free_memory
from .features import MetricsError, as_images, as_labels, canonical_dataset, evaluator, real_data
from .fidelity import DC_K, classifier_score, density_coverage, label_fidelity, precision_recall
from .frechet import frechet_distance
from .privacy import memorisation, nearest_training_images
from .usefulness import TSTR_EPOCHS, tstr

ALL_METRICS = ("frechet", "precision_recall", "classifier_score", "label_fidelity", "memorisation", "tstr")


# --------------------------------------------------------------------------- caches of real-data numbers
@lru_cache(maxsize=8)
def _real_features(dataset: str, split: str, n: int, seed: int):
    """Evaluator features + probs of ``n`` real images (a seeded random subset), cached."""
    (x_train, y_train), (x_test, y_test) = real_data(dataset)
    x = x_train if split == "train" else x_test
    n = min(n, len(x))
    idx = np.sort(np.random.default_rng(seed).choice(len(x), n, replace=False)) if n < len(x) else np.arange(n)
    return evaluator(dataset).features_and_probs(x[idx])


@lru_cache(maxsize=4)
def _heldout_distances(dataset: str, max_samples: int, seed: int) -> np.ndarray:
    """Nearest-training-image distances of held-out test images (the memorisation yardstick), cached."""
    (x_train, _), (x_test, _) = real_data(dataset)
    idx = np.arange(len(x_test))
    if max_samples is not None and len(x_test) > max_samples:
        idx = np.sort(np.random.default_rng(seed + 1).choice(len(x_test), max_samples, replace=False))
    return nearest_training_images(x_test[idx], x_train)[0]


@lru_cache(maxsize=16)
def real_baseline(dataset: str = "mnist", n: int = 10000, seed: int = 0) -> dict:
    """Scores of *real* data, the yardstick for every sample score.

    ``n`` random training images are scored against ``n`` test images with
    the same functions as samples: a perfect generator would get these.
    Cached per ``(dataset, n, seed)``. Every ``*_real`` value of
    :func:`evaluate_samples` (chapters 05, 06); ``tools/train_evaluator.py``.
    """
    dataset = canonical_dataset(dataset)
    f_train, p_train = _real_features(dataset, "train", n, seed)
    f_test, _ = _real_features(dataset, "test", n, seed + 1)
    out = {"n": len(f_train), "frechet_distance": frechet_distance(f_train, f_test),
           "classifier_score": classifier_score(p_train)}
    out.update(precision_recall(f_test, f_train))
    out.update(density_coverage(f_test, f_train, k=DC_K))
    return out

_TRTR_CACHE: dict = {}  # (dataset, n, epochs, seed, test_size) -> accuracy of the fixed CNN on n real images


def clear_caches() -> None:
    """Forget every cached real-data score, loaded evaluator and loaded dataset.

    The chapters never need it (the caches only save time); call it after
    rebuilding the evaluator weights, or to free memory.
    The tests call it (tests).
    """
    for cached in (_real_features, _heldout_distances, real_baseline, evaluator, real_data):
        cached.cache_clear()
    _TRTR_CACHE.clear()


# --------------------------------------------------------------------------- everything at once
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
    ``seed`` draws every random subset and seeds TSTR; nothing global is touched.
    Chapters 05 §4, §6, §7 and 06 §3, §10; ``python -m helpers evaluate``; the benchmark.
    """
    dataset = canonical_dataset(dataset)
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
    release_free_memory()  # each metric's buffers are returned before the next one allocates (helpers.memory)
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
        (x_train, _), (x_test, _) = real_data(dataset)
        held = _heldout_distances(dataset, memorisation_samples, seed)
        res.update(memorisation(images, x_train, x_test, max_samples=memorisation_samples, seed=seed,
                                heldout_distances=held))
        seconds["memorisation"] = time.perf_counter() - t
        log(f"memorisation ratio {res['memorisation_ratio']:.3f}")
    if "tstr" in metrics and labels is not None:
        t = time.perf_counter()
        (x_train, y_train), (x_test, y_test) = real_data(dataset)
        log(f"TSTR: training the fixed CNN on {n} synthetic and {n} real images ({tstr_epochs} epochs each)")
        key = (dataset, n, tstr_epochs, seed, tstr_test_size)
        x_test, y_test = x_test[:tstr_test_size], y_test[:tstr_test_size]
        res.update(tstr(images, labels, x_train, y_train, x_test, y_test, epochs=tstr_epochs, seed=seed,
                        trtr_acc=_TRTR_CACHE.get(key)))
        _TRTR_CACHE[key] = res["trtr_acc"]
        seconds["tstr"] = time.perf_counter() - t
    release_free_memory()  # the distance blocks and TSTR's training freed a lot (helpers.memory)
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
    """The JSON-friendly part of :func:`evaluate_samples` (drops per-sample arrays).

    What ``python -m helpers evaluate --json`` prints (command line).
    """
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
    """A plain-text table: metric, value, real-data value, which direction is better. Chapter 05 §4, §6."""
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
    """Side-by-side text table of several :func:`evaluate_samples` results ``{name: results}``.

    Chapter 06 §3.
    """
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
