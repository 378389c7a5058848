"""Chapter 02's build-it exercises: a label-preserving Keras layer with a SeedGenerator, and mixup of two examples.

``check_random_shift(cls)`` judges a ``RandomShift(max_shift, seed)`` layer by what an augmentation layer must do —
it is random, so there is no single right output: the identity at inference, every output a zero-filled translation
of its input by at most ``max_shift`` pixels (not a flip, not a rotation), one shift per image, new shifts on every
call, the same ones for the same seed, and it runs inside a compiled graph. ``check_mixup(fn)`` compares
``mixup(x1, y1, x2, y2, lam)`` with the formula.
The end-of-chapter questions have one check each (``q1_random_invert_patch`` ...), which never prints the answer:
Q1 judges a ``RandomInvertPatch`` layer by its properties, as 2.1 does, and Q2 the angle read off the rotation probe.
"""

from __future__ import annotations

import numpy as np

from .core import HINT, PASS, TODO, Mistake, Verdict, WrongValue, announce, check, check_value, hint, to_numpy

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


# ------------------------------------------------------------------ the end-of-chapter questions
Q1, Q2 = "Q1 (RandomInvertPatch layer)", "Q2 (a rotation that hurts)"
PATCH_STRENGTHS = (1.0, 0.6)  # k = 8 and k = 4 (0.6 · 8 = 4.8: rounding instead of flooring gives 5)


def _ink_images(seed: int = 21) -> np.ndarray:
    """16 images of background 0 and ink in [0.7, 1], float32 (16, 28, 28, 1): no pixel equals its own 1 − x."""
    rng = np.random.default_rng(seed)
    x = np.zeros((16, 28, 28, 1), "float32")
    ink = rng.random((16, 20, 20)) < 0.35
    x[:, 4:24, 4:24, 0] = ink * (0.7 + 0.3 * rng.random((16, 20, 20)))
    return x


def _patches(x: np.ndarray, out: np.ndarray, strength: float) -> tuple[list, Verdict | None]:
    """Each image's changed pixels as ``(top, left, height, width)``, or a hint when they are not one inverted patch."""
    changed = np.abs(out - x)[..., 0] > 1e-4
    if not changed.any():
        return [], hint(Q1, f"nothing changed with training=True at strength {strength:g}: the layer must invert a "
                            f"patch when training.", "never_changes")
    if changed.all():
        return [], hint(Q1, "every pixel changed: invert one k × k patch of each image, not the whole image.",
                        "whole_image")
    if not np.allclose(out[changed[..., None]], 1 - x[changed[..., None]], atol=1e-5):
        values = out[changed[..., None]]
        if np.allclose(values, values[0], atol=1e-5):
            return [], hint(Q1, "the patch is filled with one constant value; it must become 1 − x, pixel by pixel "
                                "(ink ↔ background). A constant fill is RandomErase, not an inversion.",
                            "constant_fill")
        return [], hint(Q1, "the changed pixels are not 1 − x of the input: inside the patch, replace each pixel x "
                            "by 1 − x.", "not_inverted")
    if not changed.reshape(len(x), -1).any(axis=1).all():
        return [], hint(Q1, "some images came out unchanged: every image gets its patch (this layer has no "
                            "probability of applying, unlike RandomErase's rate).", "some_unchanged")
    boxes = []
    for mask in changed:
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        top, left, height, width = rows[0], cols[0], rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
        if mask.sum() != height * width:
            return [], hint(Q1, "the changed pixels of an image do not form one solid square: build one k × k "
                                "mask per image from its top-left corner.", "not_one_patch")
        boxes.append((int(top), int(left), int(height), int(width)))
    return boxes, None


def _patch_problem(boxes: list, strength: float) -> Verdict | None:
    """A hint when the patches have the wrong size, are cut off at the edge or sit in the same place."""
    k = int(8 * strength)
    for top, left, height, width in boxes:
        if (height, width) != (k, k):
            at_edge = top == 0 or left == 0 or top + height == 28 or left + width == 28
            if at_edge and height <= k and width <= k:
                return hint(Q1, "a patch is cut off at the image's edge: draw its top-left corner so that the "
                                "whole k × k patch fits inside the 28 × 28 image.", "patch_cut_off")
            return hint(Q1, f"at strength {strength:g} your patch is {height} × {width} pixels; its side must be "
                            f"k = ⌊8 · strength⌋ pixels (rounded down).", "patch_size")
    corners = {(top, left) for top, left, _, _ in boxes}
    if corners == {(0, 0)}:
        return hint(Q1, "every patch sits in the top-left corner: draw each corner uniformly over all the "
                        "positions where the patch fits (keras.random.uniform's minval and maxval).", "corner_only")
    if len(corners) == 1:
        return hint(Q1, "every image got its patch in the same place: draw one corner per image (a shape of "
                        "(batch,)).", "one_patch_per_batch")
    return None


def q1_random_invert_patch(cls, quiet: bool = False) -> Verdict:
    """Chapter 02, Q1: is ``cls(strength, seed)`` a layer that inverts one random ⌊8·strength⌋-square patch per image?

    The layer is random, so the check tests properties: the identity at inference and at strength 0, the
    shape and the [0, 1] range, one solid k × k patch of 1 − x per image inside the image, in different places
    for different images and calls, the same for the same seed, and that it runs inside a compiled graph.
    """
    return announce(_judge_random_invert_patch(cls), quiet)


def _judge_random_invert_patch(cls) -> Verdict:
    import keras
    import tensorflow as tf

    if not isinstance(cls, type) or not issubclass(cls, keras.layers.Layer):
        return Verdict(Q1, TODO, f"{Q1}: not attempted yet — define `class RandomInvertPatch(keras.layers.Layer)` "
                                 f"above and run its cell.")
    x = _ink_images()

    def run(layer, training=True):
        return keras.ops.convert_to_numpy(layer(x, training=training))

    try:
        layer = cls(strength=1.0, seed=0)
        at_inference = run(layer, training=False)
        at_zero = run(cls(strength=0.0, seed=0))
        first, second = run(layer), run(layer)
        again = run(cls(strength=1.0, seed=0))
        smaller = run(cls(strength=PATCH_STRENGTHS[1], seed=0))
    except NotImplementedError:
        return Verdict(Q1, TODO, f"{Q1}: not attempted yet — replace the `raise NotImplementedError()` in call "
                                 f"with your code, then re-run.")
    except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything; say which
        first_line = str(exc).splitlines()[0][:200] if str(exc) else ""
        return hint(Q1, f"your layer raised {exc.__class__.__name__}: {first_line}".rstrip(": "), "raised")
    if at_inference.shape != x.shape or not np.allclose(at_inference, x):
        return hint(Q1, "with training=False the layer must return the images unchanged: augmentation is for "
                        "training only.", "not_identity_at_inference")
    if at_zero.shape != x.shape or not np.allclose(at_zero, x):
        return hint(Q1, "at strength 0 the patch has no pixels (k = 0), so the layer must be the identity even "
                        "when training.", "not_identity_at_zero")
    for out in (first, smaller):
        if out.shape != x.shape:
            return hint(Q1, f"the output has shape {out.shape}, the input {x.shape}: inverting a patch keeps the "
                            f"image's size and its channel axis.", "shape")
    if first.min() < -1e-6 or first.max() > 1 + 1e-6:
        return hint(Q1, "the output has values outside [0, 1]: for a pixel x in [0, 1], 1 − x stays in [0, 1] "
                        "(did you compute −x, or add the mask?).", "out_of_range")
    for out, strength in ((first, PATCH_STRENGTHS[0]), (smaller, PATCH_STRENGTHS[1])):
        boxes, problem = _patches(x, out, strength)
        if problem is None:  # (not `or`: a hint Verdict is falsy)
            problem = _patch_problem(boxes, strength)
        if problem is not None:
            return problem
    if np.allclose(first, second):
        return hint(Q1, "two calls gave the same patches: pass the layer's SeedGenerator as `seed=` to "
                        "keras.random, so every call draws new corners.", "same_every_call")
    if not np.allclose(first, again):
        return hint(Q1, "two layers with the same seed disagree: draw with keras.random and "
                        "self.seed_generator = keras.random.SeedGenerator(seed), not np.random.", "not_reproducible")
    try:
        tf.function(lambda images: layer(images, training=True), autograph=False)(tf.constant(x))
    except Exception:  # noqa: BLE001
        return hint(Q1, "the layer does not run inside a compiled graph (a model's fit or a tf.data map): use "
                        "keras.ops and keras.random in call, not NumPy or Python ints of tensors.", "not_graph_safe")
    return Verdict(Q1, PASS, f"{Q1}: pass ✓")


def q2_first_angle_below_90(answer, angles, accuracies, threshold: float = 0.9, quiet: bool = False) -> Verdict:
    """Chapter 02, Q2: the first of the probe's ``angles`` (degrees) whose accuracy in ``accuracies`` is below 90%.

    ``angles`` and ``accuracies`` are the chapter's ``angles`` and ``rot_acc`` (§5).
    """
    angles, accuracies = [float(a) for a in angles], [float(a) for a in accuracies]
    below = [i for i, acc in enumerate(accuracies) if acc < threshold]
    if not below:
        return announce(Verdict(Q2, HINT, f"{Q2}: this model never falls below {threshold:.0%} on the probe's "
                                          f"angles; the question has no answer for it."), quiet)
    i = below[0]
    want = angles[i]
    wrong = []
    if i > 0:
        wrong.append(WrongValue("last_above", angles[i - 1], "at that angle accuracy is still at least 90%: the "
                                                             "question asks for the first angle *below* 90%."))
        wrong.append(WrongValue("percent_threshold", angles[0], "`rot_acc` holds fractions (0.95), not "
                                                                "percentages: compare with 0.9, not 90."))
    wrong += [WrongValue("accuracy_not_angle", accuracies[i], "that is an accuracy; the question asks for the "
                                                              "angle, in degrees, at which it drops."),
              WrongValue("radians", np.deg2rad(want), "give the angle in degrees, as the `angles` list has it."),
              WrongValue("lowest_accuracy", angles[int(np.argmin(accuracies))],
                         "that is where accuracy is lowest; the question asks for the first angle at which it is "
                         "below 90%.")]
    if i > 0:
        wrong.append(WrongValue("index_not_angle", float(i), "that is a position in the `angles` list; give the "
                                                             "angle itself."))
    verdict = check_value(Q2, answer, want, wrong, what="your angle", rtol=0, atol=1e-6, quiet=True)
    got = to_numpy(answer)
    if (verdict.status == HINT and not verdict.mistakes and got is not None and got.size == 1
            and not np.any(np.isclose(float(got.ravel()[0]), angles))):
        verdict = hint(Q2, "your angle is not one of the probe's `angles`: the probe measured accuracy only at "
                           "those; pick one of them.", "not_probed")
    return announce(verdict, quiet)


__all__ = ["PASS", "check_mixup", "check_random_shift", "find_shift", "q1_random_invert_patch",
           "q2_first_angle_below_90", "reference_mixup", "shifted"]
