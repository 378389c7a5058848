"""GAN losses as pure functions of the discriminator's logits (chapter 05 §1–§2), checkable by hand.

``D(x) = σ(l)`` for a logit ``l``; ``log σ(l) = -softplus(-l)`` and
``log(1 - σ(l)) = -softplus(l)`` are computed stably.
"""

from __future__ import annotations

import keras
from keras import ops


def discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """``-E[t·log D(x) + (1-t)·log(1-D(x))] - E[log(1 - D(G(z)))]`` with real target ``t`` (chapter 05 §2).

    ``t = 1 - label_smoothing`` (one-sided label smoothing: only the real
    target is softened, so D is never asked to be certain about real images).
    """
    t = 1.0 - label_smoothing
    real = t * ops.softplus(-real_logits) + (1.0 - t) * ops.softplus(real_logits)
    fake = ops.softplus(fake_logits)
    return ops.mean(real) + ops.mean(fake)


def generator_loss(fake_logits):
    """Non-saturating generator loss ``-E[log D(G(z))]`` (chapter 05 §2)."""
    return ops.mean(ops.softplus(-fake_logits))


def minimax_generator_loss(fake_logits):
    """The original minimax generator objective ``E[log(1 - D(G(z)))]`` (to minimise; chapter 05 §2).

    Its gradient with respect to the logit is ``-σ(l)``: near zero when D
    confidently rejects the fakes (σ(l) ≈ 0), i.e. early in training.
    """
    return -ops.mean(ops.softplus(fake_logits))


def hinge_discriminator_loss(real_logits, fake_logits, label_smoothing: float = 0.0):
    """Hinge loss ``E[max(0, 1 - l_real)] + E[max(0, 1 + l_fake)]`` (``label_smoothing`` ignored; chapter 05 §5)."""
    del label_smoothing
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


def hinge_generator_loss(fake_logits):
    """Hinge generator loss ``-E[l_fake]`` (chapter 05 §5)."""
    return -ops.mean(fake_logits)


#: ``loss=`` names accepted by the GANs' ``compile``: (discriminator loss, generator loss).
LOSSES = {
    "non_saturating": (discriminator_loss, generator_loss),
    "minimax": (discriminator_loss, minimax_generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
}


def classification_loss(labels, logits):
    """Mean cross-entropy of class (or code) logits: the conditional GAN's and InfoGAN's extra term (chapter 05 §6–§7)."""
    return ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))


def top_k_logits(logits, fraction: float):
    """The ``round(fraction × n)`` highest of ``n`` logits (at least one), for top-k generator updates (chapter 05 §5)."""
    flat = ops.reshape(logits, (-1,))
    n = ops.cast(ops.shape(flat)[0], "float32")
    k = ops.maximum(1, ops.cast(ops.round(fraction * n), "int32"))
    return ops.top_k(flat, k)[0]
