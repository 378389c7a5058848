"""Chapter 02's build-it exercises: a label-preserving Keras layer with a SeedGenerator, and mixup of two examples.

``check_random_shift(cls)`` judges a ``RandomShift(max_shift, seed)`` layer by what an augmentation layer must do —
it is random, so there is no single right output: the identity at inference, every output a zero-filled translation
of its input by at most ``max_shift`` pixels (not a flip, not a rotation), one shift per image, new shifts on every
call, the same ones for the same seed, and it runs inside a compiled graph. ``check_mixup(fn)`` compares
``mixup(x1, y1, x2, y2, lam)`` with the formula.
"""

from __future__ import annotations

import numpy as np

from .core import PASS, TODO, Mistake, Verdict, announce, check, hint

EX_2_1 = "Exercise 2.1 (RandomShift layer)"
MAX_SHIFT = 2


def _digits(seed: int = 13) -> np.ndarray:
    """16 blobs of ink inside a 4-pixel margin, like MNIST digits, float32 (16, 28, 28, 1)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((16, 28, 28, 1), "float32")
    x[:, 4:24, 4:24, 0] = (rng.random((16, 20, 20)) < 0.3) * rng.random((16, 20, 20))
    return x


def shifted(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``image`` (28, 28) moved down by ``dy`` and right by ``dx`` pixels, zeros coming in (tests)."""
    out = np.zeros_like(image)
    h, w = image.shape
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = image[max(-dy, 0):h - max(dy, 0),
                                                                       max(-dx, 0):w - max(dx, 0)]
    return out


def find_shift(before: np.ndarray, after: np.ndarray, limit: int = 6) -> tuple[int, int] | None:
    """The ``(dy, dx)`` with ``after == shifted(before, dy, dx)`` up to ``limit`` pixels, else ``None`` (chapter 02, 2.1)."""
    for dy in range(-limit, limit + 1):
        for dx in range(-limit, limit + 1):
            if np.allclose(shifted(before, dy, dx), after, atol=1e-6):
                return dy, dx
    return None


def _hint(message: str, name: str) -> Verdict:
    return hint(EX_2_1, message, name)


def check_random_shift(cls, quiet: bool = False) -> Verdict:
    """Chapter 02, exercise 2.1: is ``cls(max_shift, seed)`` a label-preserving random-shift layer?"""
    return announce(_judge_random_shift(cls), quiet)


def _judge_random_shift(cls) -> Verdict:
    import keras
    import tensorflow as tf

    if not isinstance(cls, type) or not issubclass(cls, keras.layers.Layer):
        return Verdict(EX_2_1, TODO, f"{EX_2_1}: not attempted yet — define `class RandomShift(keras.layers.Layer)` "
                                     f"above and run its cell.")
    x = _digits()
    try:
        layer = cls(max_shift=MAX_SHIFT, seed=0)
        at_inference = keras.ops.convert_to_numpy(layer(x, training=False))
        first = keras.ops.convert_to_numpy(layer(x, training=True))
        second = keras.ops.convert_to_numpy(layer(x, training=True))
        again = keras.ops.convert_to_numpy(cls(max_shift=MAX_SHIFT, seed=0)(x, training=True))
    except NotImplementedError:
        return Verdict(EX_2_1, TODO, f"{EX_2_1}: not attempted yet — replace the `raise NotImplementedError()` in "
                                     f"call with your code, then re-run.")
    except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything; say which
        return _hint(f"your layer raised {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}", "raised")
    if at_inference.shape != x.shape or not np.allclose(at_inference, x):
        return _hint("with training=False the layer must return the images unchanged: augmentation is for "
                     "training only (evaluate, predict and the test set see real images).", "not_identity_at_inference")
    if first.shape != x.shape:
        return _hint(f"the output has shape {first.shape}, the input {x.shape}: a shift keeps the image size "
                     f"(pad with zeros, then crop).", "shape")
    shifts = []
    for i in range(len(x)):
        found = find_shift(x[i, ..., 0], first[i, ..., 0])
        if found is None:
            image, out = x[i, ..., 0], first[i, ..., 0]
            if any(find_shift(flipped, out) is not None for flipped in (image[:, ::-1], image[::-1, :])):
                return _hint("you flipped an image: a flip is not label-preserving for digits (a mirrored 2 or 7 "
                             "is no longer that digit).", "flip")
            return _hint("an output is not a translation of its input (ink moved, changed or vanished): move the "
                         "whole image by whole pixels and fill the uncovered edge with zeros.", "not_a_shift")
        shifts.append(found)
    if max(max(abs(dy), abs(dx)) for dy, dx in shifts) > MAX_SHIFT:
        return _hint(f"a shift went beyond max_shift={MAX_SHIFT} pixels: draw each offset from "
                     f"-max_shift to +max_shift.", "too_far")
    if len(set(shifts)) == 1:
        if shifts[0] == (0, 0):
            return _hint("nothing moved with training=True: the layer must shift when training.", "never_shifts")
        return _hint("every image got the same shift: draw one offset per image (a shape of (batch, 2)).",
                     "one_shift_per_batch")
    if np.allclose(first, second):
        return _hint("two calls gave the same shifts: pass the layer's SeedGenerator as `seed=` to keras.random, "
                     "so every call draws new offsets.", "same_every_call")
    if not np.allclose(first, again):
        return _hint("two layers with the same seed disagree: draw with keras.random and "
                     "self.seed_generator = keras.random.SeedGenerator(seed), not np.random.", "not_reproducible")
    try:
        traced = tf.function(lambda images: layer(images, training=True), autograph=False)
        traced(tf.constant(x))
    except Exception:  # noqa: BLE001
        return _hint("the layer does not run inside a compiled graph (a model's fit or a tf.data map): use "
                     "keras.ops and keras.random in call, not NumPy.", "not_graph_safe")
    return Verdict(EX_2_1, PASS, f"{EX_2_1}: pass ✓")


# ------------------------------------------------------------------ exercise 2.2: mixup of two examples
def reference_mixup(x1, y1, x2, y2, lam, num_classes=10):
    """``(lam·x1 + (1-lam)·x2, lam·e_y1 + (1-lam)·e_y2)`` (chapter 02, exercise 2.2's reference)."""
    e1, e2 = np.eye(num_classes)[int(y1)], np.eye(num_classes)[int(y2)]
    return np.concatenate([np.ravel(lam * np.asarray(x1) + (1 - lam) * np.asarray(x2)), lam * e1 + (1 - lam) * e2])


def _flat_pair(fn):
    """Learner's ``mixup`` returns ``(x_mix, y_soft)``; the check compares them as one flat vector."""
    def joined(*args):
        out = fn(*args)
        if out is None or out is Ellipsis:
            return out
        x_mix, y_soft = out
        return np.concatenate([np.ravel(np.asarray(x_mix, np.float64)), np.ravel(np.asarray(y_soft, np.float64))])
    return joined


MIXUP_MISTAKES = (
    Mistake("hard_label", lambda x1, y1, x2, y2, lam, k=10: np.concatenate(
        [np.ravel(lam * x1 + (1 - lam) * x2), np.eye(k)[int(y1 if lam >= 0.5 else y2)]]),
            "the label must be mixed like the image: λ·e_y1 + (1 − λ)·e_y2, a *soft* label, not the majority class."),
    Mistake("lam_swapped", lambda x1, y1, x2, y2, lam, k=10: reference_mixup(x1, y1, x2, y2, 1 - lam, k),
            "λ weighs the *first* example: x̃ = λ·x1 + (1 − λ)·x2 (and the same for the labels)."),
    Mistake("labels_not_one_hot", lambda x1, y1, x2, y2, lam, k=10: np.concatenate(
        [np.ravel(lam * x1 + (1 - lam) * x2), np.eye(k)[0] * (lam * y1 + (1 - lam) * y2)]),
            "you mixed the class *numbers* (λ·3 + (1 − λ)·8 is not a class): mix the one-hot vectors instead."),
    Mistake("labels_unmixed_sum", lambda x1, y1, x2, y2, lam, k=10: np.concatenate(
        [np.ravel(lam * x1 + (1 - lam) * x2), np.eye(k)[int(y1)] + np.eye(k)[int(y2)]]),
            "the soft label must sum to 1: weigh the two one-hot vectors by λ and 1 − λ."),
)


def mixup_cases(seed: int = 14) -> list[tuple]:
    """Fixed ``(x1, y1, x2, y2, lam)``: two small images and labels (tests)."""
    rng = np.random.default_rng(seed)
    a, b = rng.random((28, 28, 1)), rng.random((28, 28, 1))
    return [(a, 3, b, 8, 0.7), (b, 1, a, 5, 0.25)]


def check_mixup(mixup, quiet: bool = False) -> Verdict:
    """Chapter 02, exercise 2.2: is ``mixup(x1, y1, x2, y2, lam)`` the mixup of two examples?"""
    if not callable(mixup):
        return announce(Verdict("Exercise 2.2 (mixup)", TODO,
                                "Exercise 2.2 (mixup): not attempted yet — define mixup above and run its cell."), quiet)
    return check("Exercise 2.2 (mixup)", _flat_pair(mixup), reference_mixup, mixup_cases(), MIXUP_MISTAKES,
                 what="your (mixed image, soft label)", rtol=1e-5, atol=1e-6, quiet=quiet)


__all__ = ["PASS", "check_mixup", "check_random_shift", "find_shift", "reference_mixup", "shifted"]
