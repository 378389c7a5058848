"""Chapter 01's build-it exercises: a split by group that cannot leak, and the near-duplicate distance.

``check_group_split(fn)`` judges ``group_split(groups, test_fraction, seed) -> test mask`` by its properties (it
is random, so there is no single right answer): every group on one side only, about the asked share in test, a
different split for another seed, the same for the same seed. ``check_nearest_rms(fn)`` judges
``nearest_rms(x_train, x_query) -> distances`` against a brute-force reference on uint8 images, naming the
classic uint8 wrap-around among other mistakes.
"""

from __future__ import annotations

import numpy as np

from .core import PASS, TODO, Mistake, Verdict, announce, check, hint, to_numpy

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


__all__ = ["check_group_split", "check_nearest_rms", "reference_group_split", "reference_nearest_rms", "to_numpy"]
