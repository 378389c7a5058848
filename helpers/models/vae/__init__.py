"""Variational autoencoders (chapter 04): VAE, β-VAE and a conditional VAE.

The model follows Kingma & Welling (2014). An encoder maps an image ``x`` to
the mean ``mu`` and log-variance ``log_var`` of a diagonal Gaussian
``q(z|x)``; a latent ``z = mu + sigma * eps`` (the reparameterisation trick)
goes through the decoder, which outputs one Bernoulli logit per pixel, so
``p(x|z)`` is a product of 784 coin flips. Training maximises the evidence
lower bound (ELBO); ``train_step`` minimises, per image and in nats,

    loss = reconstruction + beta * KL
    reconstruction = -log p(x|z)       = sum_pixels BCE(x, sigmoid(logits))
    KL             = KL(q(z|x) || N(0, I)) = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)

With ``beta = 1`` the loss is the negative ELBO, an upper bound on
``-log p(x)``. ``ConditionalVAE`` feeds a one-hot label to the encoder and the
decoder, so ``decode(z, labels)`` draws the digit you ask for.

Data: images in [0, 1]. With ``binarize=True`` (default) every training batch
is binarised afresh, ``x_bin ~ Bernoulli(x)`` ("dynamically binarised MNIST");
the test set is binarised once with a fixed seed (:func:`binarize`). Binarising
an already binary image changes nothing, so evaluation on that fixed set is
deterministic apart from the one z sample per image.

Architecture: a multilayer perceptron by default. On a 2-core CPU it
processes several times more images per second than a small conv net, and
for a VAE on MNIST more epochs beat a fancier decoder at equal CPU time
(see the benchmark in the README and :data:`RECIPES`).

Modules: ``losses`` (the loss terms and :func:`binarize`), ``model``
(:class:`VAE`, :class:`ConditionalVAE`), ``training`` (:func:`compile_vae`,
:class:`CosineDecay`, :func:`fit_vae`, :func:`train_vae`, the registry
recipes). Every public name is importable from here:
``from helpers.models import vae as V; V.train_vae(...)``.
"""

from . import losses, model, training
from .losses import *  # noqa: F403 - each module lists its public names in __all__
from .model import *  # noqa: F403
from .training import *  # noqa: F403

__all__ = [*losses.__all__, *model.__all__, *training.__all__]
