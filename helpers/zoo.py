"""Registry of the course's generative models, for ``synth`` and ``bench``.

Each model module declares ``RECIPES = {"name": Recipe(...)}``; this module
collects them lazily, so importing the registry does not import TensorFlow
models that a command does not use.

A recipe's ``train(x_train, y_train, seconds, seed)`` gets uint8 images
(N, 28, 28) and integer labels, trains a fresh model for at most ``seconds``
of wall-clock time (``None``: its full-mode epochs) and returns the model;
``generate(model, n, seed, labels=None)`` returns ``(x_uint8, y_or_None)``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

# Modules that define RECIPES; a module that does not exist yet is skipped.
MODEL_MODULES = (
    "helpers.models.autoencoder",
    "helpers.models.vae",
    "helpers.models.gan",
    "helpers.models.reference",
)


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    conditional: bool
    train: Callable
    generate: Callable


def recipes() -> dict[str, Recipe]:
    found = {}
    for module_name in MODEL_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        found.update(getattr(module, "RECIPES", {}))
    return found


def get(name: str) -> Recipe:
    available = recipes()
    if name not in available:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(sorted(available)) or 'none yet'}")
    return available[name]


def trained(name: str, dataset: str = "mnist", seconds: float | None = None, seed: int = 0,
            retrain: bool = False, verbose: bool = True):
    """A trained model from the registry, cached as a ``.keras`` file.

    The cache key is (model, dataset, seed, budget), so the CLI, the benchmark
    and chapter 06 share models trained with the same settings instead of
    training them again. ``retrain=True`` ignores the cache.
    """
    import keras

    from .datasets import load
    from .runtime import cache_dir

    recipe = get(name)
    budget = "full" if seconds is None else f"{seconds:g}s"
    path = cache_dir("zoo") / f"{name}-{dataset}-seed{seed}-{budget}.keras"
    if path.exists() and not retrain:
        if verbose:
            print(f"{name}: loaded cached model {path}")
        return keras.saving.load_model(path)
    (x_train, y_train), _ = load(dataset)
    model = recipe.train(x_train, y_train, seconds=seconds, seed=seed)
    tmp = path.with_name(path.stem + ".part.keras")
    model.save(tmp)
    tmp.replace(path)
    return model
