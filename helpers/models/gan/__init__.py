"""Generative adversarial networks for chapter 05: a DCGAN, a conditional GAN, an InfoGAN, a self-conditioned GAN and a WGAN-GP.

A generator ``G`` maps noise ``z ~ N(0, I)`` (and, for the conditional GAN, a
class label ``y``) to an image; a discriminator ``D`` outputs a *logit* ``l``
whose sigmoid ``D(x) = σ(l)`` is the probability that ``x`` is real. Both are
trained in turns; each model's ``train_step`` reads like its objective:

* discriminator: minimise ``-E[log D(x)] - E[log(1 - D(G(z)))]``;
* generator: minimise the *non-saturating* ``-E[log D(G(z))]`` rather than
  the minimax ``E[log(1 - D(G(z)))]``, whose gradient vanishes exactly when
  the generator is bad and the discriminator is sure.

Modules: ``losses`` (the objectives as functions of logits), ``networks``
(G and D builders), ``base`` (what the GANs share: optimisers, EMA
generator, sampling), ``dcgan``, ``cgan``, ``infogan``, ``wgan`` (one class each; ``wgan`` is the
Wasserstein GAN with gradient penalty, whose critic has no sigmoid),
``selfcond`` (the conditional GAN on k-means clusters of the images: no labels),
``augment`` (DiffAugment's translation), ``penalties`` (R1, the gradient penalty),
``data`` ([-1, 1] conversions, the pipeline), ``training`` (sample grids,
:func:`train_gan`, registry recipes), ``monitor`` (plots and quick scores),
``latent`` (latent walks). Images are in **[-1, 1]** (tanh output).
"""

from .augment import random_translate, translate
from .base import TwoPlayerGAN
from .cgan import ConditionalGAN
from .data import GAN_RANGE, from_gan_range, make_gan_dataset, to_gan_range
from .dcgan import DCGAN
from .infogan import InfoGAN
from .latent import class_mixtures, slerp
from .losses import (
                     LOSSES,
                     classification_loss,
                     discriminator_loss,
                     generator_loss,
                     hinge_discriminator_loss,
                     hinge_generator_loss,
                     minimax_generator_loss,
                     top_k_logits,
)
from .monitor import animate, class_coverage, code_purity, plot_history, quick_scores
from .networks import MinibatchStdDev, build_discriminator, build_generator
from .penalties import gradient_penalty, input_gradients, interpolation_weights, r1_penalty
from .selfcond import SelfConditionedGAN, kmeans, nearest_centroid
from .training import DEFAULTS, FULL_EPOCHS, SampleGrid, build_gan, fit_gan, train_gan
from .wgan import WGANGP, wasserstein_critic_loss, wasserstein_generator_loss

