"""Chapter 01's build-it exercises: a split by group that cannot leak, and the near-duplicate distance.

``check_group_split(fn)`` judges ``group_split(groups, test_fraction, seed) -> test mask`` by its properties (it
is random, so there is no single right answer): every group on one side only, about the asked share in test, a
different split for another seed, the same for the same seed. ``check_nearest_rms(fn)`` judges
``nearest_rms(x_train, x_query) -> distances`` against a brute-force reference on uint8 images, naming the
classic uint8 wrap-around among other mistakes.

The end-of-chapter questions have one check each (``q1_background_fraction``, ``q2_selection_bias``,
``q3_cache_before_map``): each computes its reference from the chapter's objects and never prints it.
"""

from __future__ import annotations

import numpy as np

from .core import PASS, TODO, Mistake, Verdict, WrongValue, announce, check, check_value, hint, to_numpy

EX_1_1 = "Exercise 1.1 (split by group)"


# ------------------------------------------------------------------ exercise 1.1: a split that cannot leak
def reference_group_split(groups, test_fraction=0.2, seed=0):
    """Boolean test mask: a random ``test_fraction`` of the *groups*, with every member of each (chapter 01, 1.1)."""
    groups = np.asarray(groups)
    unique = np.unique(groups)
    chosen = np.random.default_rng(seed).permutation(unique)[: int(round(test_fraction * len(unique)))]
    return np.isin(groups, chosen)


def _group_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    return [np.repeat(np.arange(50), 4),                                   # 50 originals, 4 copies each
            rng.permutation(np.repeat(np.arange(40), rng.integers(1, 6, 40)))]  # uneven groups, shuffled rows


def check_group_split(group_split, quiet: bool = False) -> Verdict:
    """Chapter 01, exercise 1.1: does ``group_split(groups, test_fraction, seed)`` split whole groups at random?"""
    return announce(_judge_group_split(group_split), quiet)


def _hint(message: str, name: str) -> Verdict:
    return hint(EX_1_1, message, name)


def _judge_group_split(group_split) -> Verdict:
    if not callable(group_split):
        return Verdict(EX_1_1, TODO, f"{EX_1_1}: not attempted yet — define group_split above and run its cell.")
    for groups in _group_cases():
        try:
            mask = group_split(groups, 0.2, 0)
        except NotImplementedError:
            return Verdict(EX_1_1, TODO, f"{EX_1_1}: not attempted yet — replace the `raise NotImplementedError()` "
                                         f"with your code, then re-run.")
        except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything; say which
            return _hint(f"your function raised {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}", "raised")
        if mask is None:
            return Verdict(EX_1_1, TODO, f"{EX_1_1}: not attempted yet — your function returns None.")
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != groups.shape:
            if mask.ndim == 1 and np.issubdtype(mask.dtype, np.integer) and mask.shape != groups.shape:
                return _hint("you returned row numbers; return a boolean mask with one entry per row "
                             "(True = the row goes to the test split), e.g. np.isin(groups, chosen).", "indices")
            return _hint(f"return a boolean mask of shape {groups.shape} (one entry per row), "
                         f"not {mask.dtype} of shape {mask.shape}.", "not_a_mask")
        split_groups = [g for g in np.unique(groups) if 0 < mask[groups == g].sum() < (groups == g).sum()]
        if split_groups:
            return _hint(f"group {split_groups[0]} has members on both sides ({len(split_groups)} groups do): choose "
                         f"the *groups* for the test split, then send every member of each with it.", "rows_not_groups")
        unique = np.unique(groups)
        share = np.isin(unique, np.unique(groups[mask])).mean()
        if abs(share - 0.2) > 0.5 / len(unique) + 1e-9:
            return _hint(f"{share:.0%} of the groups went to test, asked for 20%: test_fraction is the share of "
                         f"*groups* (originals), not of rows.", "wrong_share")
    groups = _group_cases()[0]
    again, other = np.asarray(group_split(groups, 0.2, 0)), np.asarray(group_split(groups, 0.2, 1))
    if not np.array_equal(again, np.asarray(group_split(groups, 0.2, 0))):
        return _hint("two calls with the same seed gave different splits: draw with "
                     "np.random.default_rng(seed), not the global np.random.", "not_reproducible")
    if np.array_equal(again, other):
        first = np.isin(groups, np.unique(groups)[: len(np.unique(groups)) // 5])
        if np.array_equal(again, first):
            return _hint("you always take the first groups: a split must be *random* (shuffle the groups with "
                         "the seed), or the test split is not like the rest.", "not_random")
        return _hint("seeds 0 and 1 gave the same split: use the seed argument for the random choice.", "ignores_seed")
    return Verdict(EX_1_1, PASS, f"{EX_1_1}: pass ✓")


# ------------------------------------------------------------------ exercise 1.2: near-duplicate distance
def reference_nearest_rms(x_train, x_query):
    """Per query image, the RMS pixel difference (0-1 scale) to its nearest training image (chapter 01, 1.2)."""
    a = np.asarray(x_train, np.float64).reshape(len(x_train), -1) / 255.0
    b = np.asarray(x_query, np.float64).reshape(len(x_query), -1) / 255.0
    d2 = ((b[:, None, :] - a[None, :, :]) ** 2).mean(axis=2)
    return np.sqrt(d2.min(axis=1))


def _rms(a, b, scale=255.0):
    return np.sqrt((((b[:, None, :] - a[None, :, :]) / scale) ** 2).mean(axis=2))


def _flat(x, dtype=np.float64):
    x = np.asarray(x)
    return x.reshape(len(x), -1).astype(dtype)


def _wrapped(t, q):
    diff = _flat(q, np.uint8)[:, None, :] - _flat(t, np.uint8)[None]  # uint8: wraps around
    return np.sqrt(((diff.astype(np.float64) / 255.0) ** 2).mean(axis=2)).min(axis=1)


NEAREST_MISTAKES = (
    Mistake("uint8_wraparound", lambda t, q: _wrapped(t, q),
            "you subtracted uint8 images: uint8 arithmetic wraps around (3 − 5 = 254), so every difference is "
            "garbage; convert to float first (x.astype(np.float32) / 255)."),
    Mistake("scale_255", lambda t, q: _rms(_flat(t), _flat(q), scale=1.0).min(axis=1),
            "your distances are on the 0-255 scale: divide the pixels by 255 first (a factor of 255)."),
    Mistake("euclidean", lambda t, q: (_rms(_flat(t), _flat(q)) * 28.0).min(axis=1),
            "that is the Euclidean distance; the chapter's d is the *root-mean-square* difference: average the "
            "squared differences over the 784 pixels before the square root (a factor of 28)."),
    Mistake("no_root", lambda t, q: (_rms(_flat(t), _flat(q)) ** 2).min(axis=1),
            "you return the mean squared difference: take its square root."),
    Mistake("same_index", lambda t, q: np.sqrt((((_flat(q) - _flat(t)[: len(q)]) / 255.0) ** 2).mean(axis=1)),
            "you compared each query with the training image at the same position; compare it with *every* "
            "training image and keep the smallest distance."),
    Mistake("farthest", lambda t, q: _rms(_flat(t), _flat(q)).max(axis=1),
            "you kept the largest distance; a near duplicate is about the *nearest* training image (the minimum)."),
)


def nearest_cases(seed: int = 12) -> list[tuple]:
    """Fixed ``(x_train, x_query)`` uint8 image sets; some queries are near copies of training images (tests)."""
    rng = np.random.default_rng(seed)
    train = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    noise = rng.integers(-3, 4, (4, 28, 28))
    copies = np.clip(train[:4].astype(int) + noise, 0, 255).astype(np.uint8)
    fresh = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    return [(train, np.concatenate([fresh, copies]))]


def check_nearest_rms(nearest_rms, quiet: bool = False) -> Verdict:
    """Chapter 01, exercise 1.2: is ``nearest_rms(x_train, x_query)`` the per-query nearest RMS distance?"""
    return check("Exercise 1.2 (near-duplicate distance)", nearest_rms, reference_nearest_rms, nearest_cases(),
                 NEAREST_MISTAKES, what="your distances", rtol=1e-4, atol=1e-6,
                 factors={255.0: "the 0-255 scale instead of [0, 1]?", 28.0: "Euclidean instead of RMS?"},
                 quiet=quiet)




# ------------------------------------------------------------------ the end-of-chapter questions
Q1 = "Q1 (background pixels)"
Q2 = "Q2 (choosing on the test set)"
Q3 = "Q3 (cache before map)"


def q1_background_fraction(answer, fx_test, fx_train=None, x_test=None, quiet: bool = False) -> Verdict:
    """Chapter 01, Q1: the fraction of Fashion-MNIST test pixels that are exactly 0.

    ``fx_train`` and ``x_test`` (MNIST's test images) only name two mistakes: the wrong split, the wrong dataset.
    """
    zeros = np.asarray(fx_test) == 0
    want = float(zeros.mean())
    wrong = [WrongValue("percent", 100 * want, "that is a percentage; the question asks for a fraction between 0 and 1."),
             WrongValue("nonzero", 1 - want, "you measured the pixels that are *not* background (ink): compare "
                                            "with 0 and take the share of True."),
             WrongValue("count", float(zeros.sum()), "that is the number of background pixels; divide by the number "
                                                     "of pixels (or take the mean of the mask).")]
    if fx_train is not None:
        wrong.append(WrongValue("train_split", float((np.asarray(fx_train) == 0).mean()),
                                "that is the *training* images' fraction; the question asks about the test images."))
    if x_test is not None:
        wrong.append(WrongValue("mnist", float((np.asarray(x_test) == 0).mean()),
                                "that is MNIST's fraction; the question is about Fashion-MNIST (`fx_test`)."))
    return check_value(Q1, answer, want, wrong, what="your fraction", rtol=0, atol=1e-6, quiet=quiet)


def _accuracy(x_train, y_train, rows, x_test, y_test, test_rows) -> float:
    from ..data_quality import knn_predict

    rows = np.asarray(rows)
    return float((knn_predict(x_train[rows], y_train[rows], x_test[test_rows]) == y_test[test_rows]).mean())


def q2_selection_bias(selected, fresh, subsets, x_train, y_train, x_test, y_test, n: int = 1000,
                      quiet: bool = False) -> Verdict:
    """Chapter 01, Q2: the best of ``subsets`` (1-NN) chosen on test images ``0..n-1``; its accuracy there
    (``selected``) and on the next ``n`` test images (``fresh``)."""
    if selected is None or fresh is None:
        return check_value(Q2, None, 0.0, quiet=quiet)
    choose, report = slice(0, n), slice(n, 2 * n)
    scores = [_accuracy(x_train, y_train, rows, x_test, y_test, choose) for rows in subsets]
    best = subsets[int(np.argmax(scores))]
    best_fresh = _accuracy(x_train, y_train, best, x_test, y_test, report)
    want, atol = (max(scores), best_fresh), 1.01 / n  # one image of n either way: another 1-NN's ties
    how = dict(what="your pair (selected, fresh)", rtol=0, atol=atol, quiet=quiet,
               factors={100.0: "accuracies are fractions between 0 and 1 here, not percentages."})
    answer = (selected, fresh)
    numbers = to_numpy(answer)
    if numbers is not None and numbers.shape == (2,) and np.allclose(numbers, want, rtol=0, atol=atol):
        return check_value(Q2, answer, want, **how)  # a pass: the wrong answers below need not be computed
    wrong = [WrongValue("swapped", (best_fresh, max(scores)),
                        "your two numbers are swapped: `my_selected` is the score you chose with, `my_fresh` "
                        "the one on test images that played no part in choosing."),
             WrongValue("mean_of_subsets", (float(np.mean(scores)), best_fresh),
                        "your first number is the average over the 10 subsets; the selected score is the score of "
                        "the subset you picked, i.e. the best one."),
             WrongValue("fresh_on_same_images", (max(scores), max(scores)),
                        f"your second number was measured on the same test images you chose with; measure the "
                        f"chosen subset on the next {n:,} test images."),
             WrongValue("rest_of_test_set",
                        (max(scores), _accuracy(x_train, y_train, best, x_test, y_test, slice(n, None))),
                        f"you measured on all the remaining test images; the question reports on the next {n:,} "
                        f"(test images {n:,} to {2 * n - 1:,}) only, as many as were used for choosing.")]
    return check_value(Q2, answer, want, wrong, **how)


def _steps(ds) -> list[str]:
    """The pipeline's steps from the source to the end: ``["tensorslice", "cache", "map", "batch"]``."""
    steps = []
    while ds is not None:
        name = type(ds).__name__.strip("_").lower().removesuffix("dataset").removesuffix("v2")
        steps.append("map" if name in ("map", "parallelmap") else name)
        ds = getattr(ds, "_input_dataset", None)
    return steps[::-1]


def _cache_before_map_cases() -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(13)
    return rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), rng.integers(0, 10, 10).astype(np.uint8), 4


def q3_cache_before_map(cached_before_map, quiet: bool = False) -> Verdict:
    """Chapter 01, Q3: ``cached_before_map(x_uint8, y, batch_size)``, the chapter's pipeline without shuffle and
    prefetch, with ``cache()`` on the raw images *before* the per-image ``map`` (judged on its steps and batches)."""
    return announce(_judge_cache_before_map(cached_before_map), quiet)


def _judge_cache_before_map(fn) -> Verdict:
    import tensorflow as tf

    if not callable(fn):
        return Verdict(Q3, TODO, f"{Q3}: not attempted yet — define cached_before_map above and run its cell.")
    x, y, batch_size = _cache_before_map_cases()
    try:
        ds = fn(x, y, batch_size)
    except NotImplementedError:
        return Verdict(Q3, TODO, f"{Q3}: not attempted yet — replace the `raise NotImplementedError()` with your "
                                 f"code, then re-run.")
    except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything; say which
        return hint(Q3, f"your function raised {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}", "raised")
    if ds is None:
        return Verdict(Q3, TODO, f"{Q3}: not attempted yet — your function returns None.")
    if not isinstance(ds, tf.data.Dataset):
        return hint(Q3, f"return the tf.data.Dataset itself, not a {type(ds).__name__}: the timing iterates "
                        f"over it, epoch after epoch.", "not_a_dataset")
    steps = _steps(ds)
    if "cache" not in steps:
        return hint(Q3, "your pipeline has no `cache()`: the question is about where it goes.", "no_cache")
    if "map" not in steps:
        return hint(Q3, "your pipeline has no `map`: the per-image decoding (uint8 → float in [0, 1]) is the step "
                        "whose place relative to `cache()` the question is about.", "no_map")
    if steps.index("map") < steps.index("cache"):
        return hint(Q3, "your `cache()` comes after the `map`, as in the chapter's pipeline: the question asks for "
                        "the other order, caching the raw uint8 images so the map runs every epoch.",
                    "cache_after_map")
    if "shuffle" in steps or "prefetch" in steps:
        extra = "shuffle" if "shuffle" in steps else "prefetch"
        return hint(Q3, f"leave out `{extra}`: the pipeline it is timed against has neither shuffle nor prefetch, "
                        f"so the order of cache and map is the only difference.", "extra_step")
    try:
        first = [(np.asarray(bx), np.asarray(by)) for bx, by in ds]
    except Exception as exc:  # noqa: BLE001 - a map that fails on the data, elements that are not pairs
        return hint(Q3, f"iterating over your dataset raised {exc.__class__.__name__}: each element should be "
                        f"a batch of (images, labels), the map turning each (a, b) into (decoded image, b).",
                    "not_pairs")
    shape = first[0][0].shape if first else ()
    if len(shape) == 3 and shape[1:] == (28, 28):
        return hint(Q3, "your images have no channel axis: the decoding adds one (`[..., None]`), so a batch has "
                        "shape (batch, 28, 28, 1).", "no_channel")
    if len(shape) < 4:
        return hint(Q3, "your dataset yields single images: `batch(batch_size)` after the map, as in the chapter's "
                        "pipeline.", "not_batched")
    sizes = [len(bx) for bx, _ in first]
    want_sizes = [min(batch_size, len(x) - i) for i in range(0, len(x), batch_size)]
    if sizes != want_sizes:
        return hint(Q3, f"your batches hold {sizes} images; use the `batch_size` argument.", "batch_size")
    images = np.concatenate([bx for bx, _ in first])
    labels = np.concatenate([by for _, by in first])
    if images.shape[1:] != (28, 28, 1):
        return hint(Q3, f"your images have shape {images.shape[1:]}, the chapter's pipeline gives (28, 28, 1).",
                    "wrong_shape")
    if images.dtype != np.float32:
        return hint(Q3, f"your images are {images.dtype}; the map decodes them to float32 "
                        f"(`tf.cast(a, tf.float32)`).", "not_float")
    if images.max() > 1.0 + 1e-6:
        return hint(Q3, "your pixels go up to 255: the decoding scales them to [0, 1] (divide by 255).", "not_scaled")
    want = x.astype(np.float32)[..., None] / 255.0
    if not np.array_equal(labels.astype(np.int64), y.astype(np.int64)) or not np.allclose(images, want, atol=1e-6):
        return hint(Q3, "your images or labels differ from the chapter's pipeline (same images, same order, "
                        "pixel / 255): compare with `Q.build_pipeline(..., shuffle=False, prefetch=False)`.",
                    "different_values")
    return Verdict(Q3, PASS, f"{Q3}: pass ✓")


__all__ = ["check_group_split", "check_nearest_rms", "q1_background_fraction", "q2_selection_bias",
           "q3_cache_before_map", "reference_group_split", "reference_nearest_rms", "to_numpy"]
