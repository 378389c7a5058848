"""Step four of the source chapter's workflow: post-process generated samples by filtering them.

A *filter classifier* looks at every sample; only samples it is confident
about are kept. :func:`confidence` is the score it gives each sample and
:func:`filter_by_confidence` the indices that pass a threshold:

* conditional samples (a requested label each): the sample passes when the
  classifier's most likely class *is* the requested label and its
  probability is at least the threshold;
* unconditional samples: when the largest class probability is at least the
  threshold.

The filter must not be the network that later scores the samples: keeping
only what the course evaluator is sure about raises the evaluator's own
scores by construction (chapter 06 §12 trains a separate, smaller CNN).
Filtering shrinks a set, and several metrics depend on the set's size, so
compare a filtered set with an unfiltered one *of the same size*
(``n=...``: the first ``n`` samples that pass, against the first ``n`` of the
same pool).
"""

from __future__ import annotations

import math

import numpy as np


def _probs(probs) -> np.ndarray:
    p = np.asarray(probs, np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"probs has shape {p.shape}; expected (N, num_classes) class probabilities.")
    if len(p) and (np.any(p < -1e-6) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3)):
        raise ValueError("probs rows must be probability vectors (non-negative, summing to 1): "
                         "pass the classifier's softmax output, not its logits.")
    return p


def _requested(labels, p: np.ndarray) -> np.ndarray:
    y = np.asarray(labels)
    if y.shape != (len(p),) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be {len(p)} integers, one requested class per sample; got shape {y.shape}, "
                         f"dtype {y.dtype}.")
    if len(y) and (y.min() < 0 or y.max() >= p.shape[1]):
        raise ValueError(f"labels must lie in 0..{p.shape[1] - 1}; got {y.min()}..{y.max()}.")
    return y


def confidence(probs, labels=None) -> np.ndarray:
    """Each sample's filter score in [0, 1]: p(requested label), or the largest probability without labels.

    For conditional samples the score is 0 when the classifier's most likely
    class is not the requested one, so no threshold keeps a sample that it
    sees as another digit. Chapter 06 §12.
    """
    p = _probs(probs)
    if labels is None:
        return p.max(axis=1)
    y = _requested(labels, p)
    score = p[np.arange(len(p)), y]
    return np.where(p.argmax(axis=1) == y, score, 0.0)


def filter_by_confidence(probs, threshold: float, labels=None, n: int | None = None) -> np.ndarray:
    """Indices (in order) of the samples whose confidence is at least ``threshold``; at most ``n`` of them.

    ``probs``: the filter classifier's probabilities ``(N, classes)``;
    ``labels``: the requested classes of conditional samples (``None`` for
    unconditional ones). ``threshold`` is a probability in [0, 1]: 0 keeps
    every unconditional sample (and every conditional one the classifier
    sees as its requested class), 1 only certain ones. ``n``: stop after the
    first ``n`` that pass (a filtered set of a chosen size). Chapter 06 §12.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)) \
            or math.isnan(float(threshold)) or not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must be a probability between 0 and 1, got {threshold!r}.")
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0):
        raise ValueError(f"n must be a non-negative integer or None, got {n!r}.")
    p = _probs(probs)
    keep = confidence(p, labels) >= float(threshold)
    if labels is not None:  # a score of 0 means "seen as another class", which even threshold 0 rejects
        keep &= p.argmax(axis=1) == _requested(labels, p)
    passed = np.flatnonzero(keep)
    return passed if n is None else passed[: int(n)]
