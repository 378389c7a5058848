"""Differentiable translation of real and fake batches before D sees them (chapter 05 §5, DiffAugment).

D overfits a small or slowly-fed training set: it memorises the reals and its
gradients stop teaching G. Zhao et al. (2020) augment *both* reals and fakes,
in D's step and in G's, with an operation G's gradient can pass through, so
G is never rewarded for producing augmented digits. Translation is the one
that suits centred digits.
"""

from __future__ import annotations

import keras
from keras import ops

#: MNIST digits sit in a 20×20 box inside a 4-pixel margin: shifts up to 3 never push a stroke out of the frame
#: (DiffAugment's 1/8 of the image side, rounded down).
MAX_SHIFT = 3


def shift_matrices(shifts, size: int):
    """One-hot matrices ``M`` (n, size, size) with ``M[i, r, c] = 1`` where ``c = r - shifts[i]``.

    ``M @ x`` moves the rows of ``x`` down by ``shifts[i]`` (up when negative); rows shifted in from outside
    are zero. Chapter 05 §5 (translation for D).
    """
    idx = ops.arange(size)
    source = idx[None, :, None] - ops.cast(shifts, "int32")[:, None, None]
    return ops.cast(ops.equal(idx[None, None, :], source), "float32")


def translate(x, shifts, background: float = -1.0):
    """Move each image of ``x`` (n, H, W, 1) by its own ``shifts[i] = (dy, dx)`` pixels; new pixels are ``background``.

    A product of one-hot matrices, so gradients flow to ``x`` (chapter 05 §5). Images are in [-1, 1]: the
    background is -1 (black).
    """
    x = ops.convert_to_tensor(x, "float32")
    size_h, size_w = x.shape[1], x.shape[2]
    rows = shift_matrices(shifts[:, 0], size_h)
    cols = shift_matrices(shifts[:, 1], size_w)
    image = x[..., 0] - background  # background 0, so the zeros shifted in are background
    moved = ops.matmul(ops.matmul(rows, image), ops.transpose(cols, (0, 2, 1)))
    return (moved + background)[..., None]


def random_translate(x, seed, max_shift: int = MAX_SHIFT):
    """``x`` with every image moved by its own random ``(dy, dx)``, each uniform in ``[-max_shift, max_shift]``.

    ``seed``: a ``keras.random.SeedGenerator`` (the model's). Chapter 05 §5.
    """
    n = ops.shape(x)[0]
    shifts = keras.random.randint((n, 2), -max_shift, max_shift + 1, seed=seed)
    return translate(x, shifts)
