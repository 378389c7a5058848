"""Quality and diversity of samples in evaluator feature space, and the classifier-based scores.

* :func:`precision_recall` (Kynkäänniemi et al., 2019) and :func:`density_coverage`
  (Naeem et al., 2020): k-NN balls around feature vectors (:mod:`.geometry`).
* :func:`classifier_score` (the Inception Score with the course evaluator) and
  :func:`label_fidelity` (does the evaluator see the requested class?).
"""

from __future__ import annotations

import numpy as np

from .features import MetricsError, as_features, as_labels
from .geometry import ball_counts, inside_any_ball, kth_nn_radii, nearest_neighbours, within

#: k of density and coverage (Naeem et al. use 5).
DC_K = 5


def precision_recall(real_features, fake_features, k: int = 3) -> dict:
    """Improved precision and recall (Kynkäänniemi et al., 2019).

    Each real point gets a ball reaching its k-th nearest real neighbour; the
    union of balls approximates the real manifold. **Precision** is the share
    of samples inside it (are samples realistic?); **recall** swaps the roles:
    the share of real points inside the samples' manifold (is the variety of
    real data covered?). Use the same number of real and fake points.
    Chapters 03 §6, 04 §4, 06 §5.
    """
    real = as_features(real_features, "real_features")
    fake = as_features(fake_features, "fake_features")
    precision = inside_any_ball(fake, real, kth_nn_radii(real, k)).mean()
    recall = inside_any_ball(real, fake, kth_nn_radii(fake, k)).mean()
    return {"precision": float(precision), "recall": float(recall)}


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
    Use equal set sizes. Chapter 06 §5.
    """
    real = as_features(real_features, "real_features")
    fake = as_features(fake_features, "fake_features")
    radii = kth_nn_radii(real, k)
    density = ball_counts(fake, real, radii).sum() / (k * len(fake))
    covered = within(nearest_neighbours(real, fake)[0] ** 2, radii ** 2)
    return {"density": float(density), "coverage": float(covered.mean())}


# --------------------------------------------------------------------------- classifier-based
def classifier_score(probs, eps: float = 1e-12) -> float:
    r"""Inception-Score analogue :math:`\exp(\mathbb{E}_x\,\mathrm{KL}(p(y\mid x)\,\|\,p(y)))`.

    High when each sample is classified confidently *and* classes are used
    evenly; 1 is the minimum, the number of classes (10) the maximum.
    Chapter 06 §5 and Q2.
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
    Conditional models: chapters 04 §7, 05 §6 (via ``evaluate_samples``).
    """
    pred = np.asarray(probs_or_predictions)
    if pred.ndim == 2:
        pred = pred.argmax(axis=1)
    y = as_labels(y, len(pred))
    agree = pred == y
    per_class = {int(c): float(agree[y == c].mean()) for c in np.unique(y)}
    return {"label_fidelity": float(agree.mean()), "label_fidelity_per_class": per_class}
