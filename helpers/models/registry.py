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
``generate(model, n, seed, labels=None)`` returns ``(x_uint8, y_or_None)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from . import autoencoder, reference, vae
from .gan import training as gan_training


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    conditional: bool
    build: Callable
    fit: Callable
    generate: Callable


RECIPES = {r.name: r for r in (
    Recipe("ae", "Plain conv autoencoder decoding codes from a Gaussian fitted to the training codes: "
                 "a poor generator, on purpose (chapter 03)", False,
           autoencoder.build_recipe_model, autoencoder.fit_recipe_model, autoencoder.generate_recipe_samples),
    Recipe("vae", "VAE, Bernoulli decoder, MLP 512-256, latent 32 (chapter 04)", False,
           vae.build_recipe_model, vae.fit_recipe_model, vae.generate_recipe_samples),
    Recipe("cvae", "Conditional VAE, one-hot label into encoder and decoder, latent 4 (chapter 04)", True,
           partial(vae.build_recipe_model, conditional=True), vae.fit_recipe_model, vae.generate_recipe_samples),
    Recipe("dcgan", "DCGAN (non-saturating loss, EMA generator), chapter 05", False,
           partial(gan_training.build_recipe_model, "dcgan"), gan_training.fit_recipe_model,
           gan_training.generate_recipe_samples),
    Recipe("infogan", "InfoGAN (DCGAN + 10 codes D must recover, weight 0.2; no labels), chapter 05", False,
           partial(gan_training.build_recipe_model, "infogan"), gan_training.fit_recipe_model,
           gan_training.generate_recipe_samples),
    Recipe("cgan", "conditional GAN (projection D + auxiliary classifier), chapter 05", True,
           partial(gan_training.build_recipe_model, "cgan"), gan_training.fit_recipe_model,
           gan_training.generate_recipe_samples),
    Recipe("ref_tfdocs_dcgan", "reference: TensorFlow docs DCGAN tutorial (latent 100, batch 256, Adam 1e-4)",
           False, reference.build_tfdocs_dcgan, reference.fit_tfdocs_dcgan, reference.generate_tfdocs_dcgan),
    Recipe("ref_kerasio_cgan", "reference: keras.io conditional GAN example (latent 128, batch 64, Adam 3e-4)",
           True, reference.build_kerasio_cgan, reference.fit_kerasio_cgan, reference.generate_kerasio_cgan),
)}


def recipes() -> dict[str, Recipe]:
    """Every registered model by name (chapter 06, ``synth --list``, ``bench``)."""
    return dict(RECIPES)


def get(name: str) -> Recipe:
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
