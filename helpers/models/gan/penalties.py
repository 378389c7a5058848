"""Gradient penalties on the discriminator's input gradients (chapter 05 §5 and §8).

Both measure how steeply D's output changes as its input image changes:

* R1 (Mescheder et al., 2018): ``γ/2 · E_real[‖∇ₓ D(x)‖²]`` — D is pushed to be flat
  on the real images, so it cannot keep sharpening its edge around them;
* the WGAN-GP penalty (Gulrajani et al., 2017): ``E[(‖∇ D(x̂)‖ - 1)²]`` on points
  ``x̂ = ε·x_real + (1-ε)·x_fake`` with ``ε ~ U(0, 1)`` — the critic of a Wasserstein
  GAN must be 1-Lipschitz, and the optimal critic has gradient norm 1 on exactly
  those segments between real and fake images.
"""

from __future__ import annotations

import keras
from keras import ops


def input_gradients(network, x, **call_kwargs):
    """``∇ₓ Σᵢ network(xᵢ)``: each image's own gradient (the images do not interact), kept differentiable.

    Chapter 05 §5 and §8 (R1, gradient penalty).
    """
    import tensorflow as tf  # the course runs on TensorFlow (GradientTape)

    x = ops.convert_to_tensor(x, "float32")
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = network(x, **call_kwargs)
        out = out[0] if isinstance(out, (list, tuple)) else out  # D's first output is its logit
        total = ops.sum(out)  # inside the tape: eagerly, only what it records can be differentiated
    return tape.gradient(total, x)


def squared_norms(grads):
    """``‖g‖²`` of each row of a batch of gradients (n, ...) -> (n,) (chapter 05 §5 and §8)."""
    return ops.sum(ops.reshape(ops.square(grads), (ops.shape(grads)[0], -1)), axis=1)


def r1_penalty(discriminator, x_real, gamma: float):
    """``γ/2 · mean ‖∇ₓ D(x)‖²`` over the real images (chapter 05 §5)."""
    return 0.5 * gamma * ops.mean(squared_norms(input_gradients(discriminator, x_real, training=True)))


def interpolation_weights(n, seed):
    """``ε ~ U(0, 1)``, shape (n, 1, 1, 1): where on the segment from a fake (0) to a real (1) each x̂ lies.

    Uniform, not normal: a normal ε lies outside [0, 1] two times in three and puts x̂ beyond the real or
    the fake image, where the Lipschitz argument says nothing (chapter 05 §8).
    """
    return keras.random.uniform((n, 1, 1, 1), 0.0, 1.0, seed=seed)


def gradient_penalty(critic, x_real, x_fake, eps):
    """``mean (‖∇ f(x̂)‖ - 1)²`` at ``x̂ = ε·x_real + (1-ε)·x_fake`` (chapter 05 §8, WGAN-GP)."""
    x_hat = eps * x_real + (1.0 - eps) * x_fake
    norms = ops.sqrt(squared_norms(input_gradients(critic, x_hat, training=True)) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))
