"""helpers.postprocess: filtering samples by a filter classifier's confidence, on hand-made probabilities."""

import numpy as np
import pytest

from helpers.postprocess import confidence, filter_by_confidence

# Five samples, three classes. Requested labels: 0, 1, 2, 0, 1.
PROBS = np.array([[0.95, 0.03, 0.02],   # sure it is a 0 (requested 0)
                  [0.10, 0.60, 0.30],   # leans to 1 (requested 1)
                  [0.70, 0.10, 0.20],   # sees a 0, was asked for a 2
                  [0.40, 0.35, 0.25],   # unsure, top class 0 (requested 0)
                  [0.00, 1.00, 0.00]])  # certain it is a 1 (requested 1)
LABELS = np.array([0, 1, 2, 0, 1])


def test_confidence_is_the_requested_class_probability_or_the_largest_one():
    np.testing.assert_allclose(confidence(PROBS), [0.95, 0.60, 0.70, 0.40, 1.00])
    # conditional: p(requested), but 0 where the top class is another one (sample 2)
    np.testing.assert_allclose(confidence(PROBS, LABELS), [0.95, 0.60, 0.0, 0.40, 1.00])


def test_unconditional_filter_keeps_samples_at_or_above_the_threshold_in_order():
    np.testing.assert_array_equal(filter_by_confidence(PROBS, 0.6), [0, 1, 2, 4])  # 0.60 itself passes
    np.testing.assert_array_equal(filter_by_confidence(PROBS, 0.9), [0, 4])
    out = filter_by_confidence(PROBS, 0.5)
    assert out.dtype.kind == "i" and out.ndim == 1


def test_conditional_filter_rejects_samples_seen_as_another_class():
    np.testing.assert_array_equal(filter_by_confidence(PROBS, 0.6, LABELS), [0, 1, 4])
    np.testing.assert_array_equal(filter_by_confidence(PROBS, 0.9, LABELS), [0, 4])


def test_threshold_edge_cases():
    np.testing.assert_array_equal(filter_by_confidence(PROBS, 0), np.arange(5))  # 0 keeps everything ...
    np.testing.assert_array_equal(filter_by_confidence(PROBS, 0.0, LABELS), [0, 1, 3, 4])  # ... seen as asked for
    np.testing.assert_array_equal(filter_by_confidence(PROBS, 1.0), [4])  # 1 keeps only certain samples
    np.testing.assert_array_equal(filter_by_confidence(PROBS, 1.0, LABELS), [4])
    assert filter_by_confidence(PROBS[:0], 0.5).shape == (0,)  # no samples, nothing kept


def test_never_returns_more_than_asked_and_keeps_the_first_that_pass():
    np.testing.assert_array_equal(filter_by_confidence(PROBS, 0.0, n=2), [0, 1])
    np.testing.assert_array_equal(filter_by_confidence(PROBS, 0.6, LABELS, n=2), [0, 1])
    np.testing.assert_array_equal(filter_by_confidence(PROBS, 0.9, n=10), [0, 4])  # fewer pass than asked
    assert len(filter_by_confidence(PROBS, 0.5, n=0)) == 0
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(10), size=500)
    for n in (0, 1, 7, 499, 1000):
        kept = filter_by_confidence(p, 0.2, n=n)
        assert len(kept) <= n and set(kept) <= set(filter_by_confidence(p, 0.2))
        np.testing.assert_array_equal(kept, filter_by_confidence(p, 0.2)[:n])


@pytest.mark.parametrize("threshold", [-0.1, 1.01, float("nan"), "0.9", None, True])
def test_a_bad_threshold_is_an_error_that_says_what_is_expected(threshold):
    with pytest.raises(ValueError, match="threshold must be a probability between 0 and 1"):
        filter_by_confidence(PROBS, threshold)


def test_bad_probabilities_labels_or_n_are_errors():
    with pytest.raises(ValueError, match=r"expected \(N, num_classes\)"):
        filter_by_confidence(PROBS[0], 0.5)
    with pytest.raises(ValueError, match="logits"):
        filter_by_confidence(PROBS * 3, 0.5)
    with pytest.raises(ValueError, match="one requested class per sample"):
        filter_by_confidence(PROBS, 0.5, LABELS[:3])
    with pytest.raises(ValueError, match=r"0\.\.2"):
        filter_by_confidence(PROBS, 0.5, np.array([0, 1, 2, 3, 0]))
    with pytest.raises(ValueError, match="one requested class per sample"):
        confidence(PROBS, LABELS.astype(float))
    for n in (-1, 2.5, True):
        with pytest.raises(ValueError, match="n must be a non-negative integer"):
            filter_by_confidence(PROBS, 0.5, n=n)
