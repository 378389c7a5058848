"""The registry of the course's generative models, for chapter 06, ``synth`` and ``bench``.

Each :class:`Recipe` names the functions that build, train and sample one
model; they live in the model's own module, and this registry lists them
explicitly (the models never import the registry). :func:`trained` gets a
trained model through the model store (:mod:`helpers.store`): the CLI, the
benchmark and chapter 06 share a model trained with the same settings.

A recipe's ``build(seed)`` returns a compiled model;
``fit(model, x_train, y_train, seconds, seed, backup_dir)`` trains it on uint8
images (N, 28, 28) for at most ``seconds`` (``None``: its full-mode epochs)
and returns a :class:`~helpers.training.TrainResult`;
``generate(model, n, seed, labels=None)`` returns ``(x_uint8, y_or_None)``;
the optional ``extra_metrics(model, data)`` returns the numbers only this
model family offers (a dict, e.g. a VAE's test −ELBO), which the benchmark
reports beside the common sample metrics; ``data`` is the dataset's
``((x_train, y_train), (x_test, y_test))``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from . import autoencoder, reference, vae
from .flow import training as flow_training
from .gan import training as gan_training


@dataclass(frozen=True)
class Recipe:
    """How to build, train and sample one registered model, and (optionally) its own numbers.

    Chapter 06 §3 and §6 (``recipe.generate``), ``synth`` and ``bench``.
    """

    name: str
    description: str
    conditional: bool
    build: Callable
    fit: Callable
    generate: Callable
    extra_metrics: Callable | None = None


# ------------------------------------------------------------ model-specific numbers (the benchmark's)
def vae_metrics(model, x_test, y_test, seed: int = 0, iw_k: int = 100, iw_n: int = 2000) -> dict:
    """Test −ELBO (all test images) and importance-weighted NLL (first ``iw_n``, k = ``iw_k``), nats.

    The test set is binarised once with ``seed`` (the VAE module's own
    :func:`~helpers.models.vae.binarize`), as in chapter 04. Conditional VAEs
    get the test labels.
    """
    x = vae.binarize(x_test, seed=seed)
    labels = np.asarray(y_test) if getattr(model, "num_classes", None) else None
    elbo = model.negative_elbo(x, labels, seed=seed)
    out = {"test_neg_elbo": elbo["neg_elbo"], "test_reconstruction": elbo.get("reconstruction"),
           "test_kl": elbo.get("kl")}
    if iw_n:
        sub = None if labels is None else labels[:iw_n]
        out["test_iw_nll"] = model.importance_nll(x[:iw_n], sub, k=iw_k, seed=seed)
        out["iw_nll_k"], out["iw_nll_n"] = iw_k, min(iw_n, len(x))
    return out


def pca_mse(x_train, x_test, components: int) -> float:
    """Test MSE (pixels in [0, 1]) of PCA reconstruction with ``components`` components fitted on ``x_train``.

    A self-contained check of chapter 03's PCA baseline (``autoencoder.PCA``), which :func:`ae_metrics` uses.
    """
    a = np.asarray(x_train, np.float32).reshape(len(x_train), -1) / 255.0
    b = np.asarray(x_test, np.float32).reshape(len(x_test), -1) / 255.0
    mean = a.mean(axis=0)
    _, _, vt = np.linalg.svd(a - mean, full_matrices=False)
    basis = vt[:components]
    recon = (b - mean) @ basis.T @ basis + mean
    return float(np.mean((recon - b) ** 2))


def ae_metrics(model, data) -> dict:
    """The autoencoder's test reconstruction MSE against PCA with as many components as its code (chapter 03)."""
    (x_train, _), (x_test, _) = data
    latent = int(model.latent_dim)
    mse = autoencoder.reconstruction_mse(model, x_test)
    baseline = autoencoder.PCA().fit(x_train).mse(x_test, latent)
    return {"test_mse": mse, "pca_mse": baseline, "pca_over_ae": baseline / mse if mse > 0 else None,
            "latent_dim": latent}


def vae_extra_metrics(model, data) -> dict:
    """:func:`vae_metrics` on the test set of ``data`` (the VAE's and CVAE's ``extra_metrics``).

    Reported by the benchmark (benchmark).
    """
    (_, _), (x_test, y_test) = data
    return vae_metrics(model, x_test, y_test)


def infogan_metrics(model, data) -> dict:
    """How well the InfoGAN's codes found the digit classes (:func:`helpers.models.gan.code_purity`).

    Reported by the benchmark (benchmark).
    """
    from .gan import code_purity

    purity = code_purity(model, per_code=500)
    return {"code_purity": purity["mean_purity"], "codes_classes_found": purity["classes_found"]}


RECIPES = {r.name: r for r in (
    Recipe("ae", "Plain conv autoencoder decoding codes from a Gaussian fitted to the training codes: "
                 "a poor generator, on purpose (chapter 03)", False,
           autoencoder.build_recipe_model, autoencoder.fit_recipe_model, autoencoder.generate_recipe_samples,
           ae_metrics),
    Recipe("vae", "VAE, Bernoulli decoder, MLP 512-256, latent 32 (chapter 04)", False,
           vae.build_recipe_model, vae.fit_recipe_model, vae.generate_recipe_samples, vae_extra_metrics),
    Recipe("cvae", "Conditional VAE, one-hot label into encoder and decoder, latent 4 (chapter 04)", True,
           partial(vae.build_recipe_model, conditional=True), vae.fit_recipe_model, vae.generate_recipe_samples,
           vae_extra_metrics),
    Recipe("dcgan", "DCGAN (non-saturating loss, EMA generator), chapter 05", False,
           partial(gan_training.build_recipe_model, "dcgan"), gan_training.fit_recipe_model,
           gan_training.generate_recipe_samples),
    Recipe("infogan", "InfoGAN (DCGAN + 10 codes D must recover, weight 0.2; no labels), chapter 05", False,
           partial(gan_training.build_recipe_model, "infogan"), gan_training.fit_recipe_model,
           gan_training.generate_recipe_samples, infogan_metrics),
    Recipe("scgan", "self-conditioned GAN: the conditional GAN on 20 k-means clusters of the training pixels, "
                    "clusters drawn by their share; no labels, chapter 05", False,
           partial(gan_training.build_recipe_model, "scgan"), gan_training.fit_recipe_model,
           gan_training.generate_recipe_samples),
    Recipe("cgan", "conditional GAN (projection D + auxiliary classifier), chapter 05", True,
           partial(gan_training.build_recipe_model, "cgan"), gan_training.fit_recipe_model,
           gan_training.generate_recipe_samples),
    Recipe("wgan_gp", "WGAN-GP (critic + gradient penalty λ = 10 on uniform interpolates, 5 critic steps per "
                      "G step, EMA generator), chapter 05", False,
           partial(gan_training.build_recipe_model, "wgan_gp"), gan_training.fit_recipe_model,
           gan_training.generate_recipe_samples),
    Recipe("flow", "latent flow matching: residual MLP velocity on a conv autoencoder's 32-d codes, "
                   "20 Euler steps (chapter 07)", False,
           partial(flow_training.build_recipe_model, "latent", False), flow_training.fit_recipe_model,
           flow_training.generate_recipe_samples),
    Recipe("cflow", "class-conditional latent flow matching, classifier-free guidance w = 1.25, 20 Euler steps "
                    "(chapter 07)", True,
           partial(flow_training.build_recipe_model, "latent", True), flow_training.fit_recipe_model,
           flow_training.generate_recipe_samples),
    Recipe("pixel_cflow", "class-conditional flow matching on pixels, tiny U-Net, guidance w = 1.25, 20 Euler steps "
                          "(chapter 07)", True,
           partial(flow_training.build_recipe_model, "pixel", True), flow_training.fit_recipe_model,
           flow_training.generate_recipe_samples),
    Recipe("ref_tfdocs_dcgan", "reference: TensorFlow docs DCGAN tutorial (latent 100, batch 256, Adam 1e-4)",
           False, reference.build_tfdocs_dcgan, reference.fit_tfdocs_dcgan, reference.generate_tfdocs_dcgan),
    Recipe("ref_kerasio_cgan", "reference: keras.io conditional GAN example (latent 128, batch 64, Adam 3e-4)",
           True, reference.build_kerasio_cgan, reference.fit_kerasio_cgan, reference.generate_kerasio_cgan),
)}


def recipes() -> dict[str, Recipe]:
    """Every registered model by name (chapter 06, ``synth --list``, ``bench``)."""
    return dict(RECIPES)


def get(name: str) -> Recipe:
    """The recipe registered as ``name``; ``KeyError`` listing the names otherwise (chapter 06, ``synth``)."""
    available = recipes()
    if name not in available:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(sorted(available)) or 'none yet'}")
    return available[name]


def train_recipe(recipe: Recipe, dataset: str = "mnist", seconds: float | None = None, seed: int = 0,
                 data=None, store: bool = True, retrain: bool | None = None, verbose: bool = True,
                 reuse_longer: bool = True, control: bool = True):
    """Train ``recipe`` (or load it from the model store) and return the :class:`~helpers.training.TrainResult`.

    The key holds the model's config, ``dataset``, ``seed`` and the budget
    ``seconds``; with ``reuse_longer`` a stored model trained with a longer
    budget also counts (chapter 06 reusing the benchmark's 300-s models).
    ``data`` = ``(x_train, y_train)`` replaces ``dataset``'s training set (its
    fingerprint then joins the key). ``store=False`` trains without the store.
    """
    from .. import store as model_store
    from ..datasets import load

    def fit(model, backup_dir=None):
        x_train, y_train = data if data is not None else load(dataset)[0]
        return recipe.fit(model, x_train, y_train, seconds=seconds, seed=seed, backup_dir=backup_dir)

    def build():
        return recipe.build(seed=seed)

    settings = {"dataset": dataset, "seconds": seconds}
    if data is not None:
        settings["data"] = model_store.fingerprint(*data)
    if not store:
        return model_store.train_or_load(None, build, fit, settings, seed=seed)
    return model_store.trained(recipe.name, build, fit, settings=settings, seed=seed, retrain=retrain,
                               control=control, verbose=verbose, reuse_longer=reuse_longer)


def trained(name: str, dataset: str = "mnist", seconds: float | None = None, seed: int = 0,
            retrain: bool | None = None, verbose: bool = True, reuse_longer: bool = True, control: bool = True):
    """The registry model ``name`` trained on ``dataset``, from the store when it holds it (chapter 06, ``synth``)."""
    return train_recipe(get(name), dataset=dataset, seconds=seconds, seed=seed, retrain=retrain, verbose=verbose,
                        reuse_longer=reuse_longer, control=control)
