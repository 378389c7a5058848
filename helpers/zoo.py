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


def cache_path(name: str, dataset: str = "mnist", seconds: float | None = None, seed: int = 0):
    """Where a registry model trained with this budget and seed is cached (per mode, git-ignored)."""
    from .runtime import cache_dir

    budget = "full" if seconds is None else f"{seconds:g}s"
    return cache_dir("zoo") / f"{name}-{dataset}-seed{seed}-{budget}.keras"


def save(model, path) -> str:
    """Save ``model`` to ``path`` through a temporary file, so an interrupted save never leaves a broken cache."""
    tmp = path.with_name(path.stem + ".part.keras")
    model.save(tmp)
    tmp.replace(path)
    return str(path)


def _budget_of(path) -> float:
    """Training budget encoded in a cache file name: seconds, or infinity for full-mode epochs."""
    tag = path.stem.rsplit("-", 1)[-1]
    if tag == "full":
        return float("inf")
    try:
        return float(tag.removesuffix("s"))
    except ValueError:
        return -1.0


def cached_at_least(name: str, dataset: str = "mnist", seconds: float | None = None, seed: int = 0):
    """The cached model file trained with the longest budget >= ``seconds`` (None if there is none).

    So a chapter asking for a 60-s model reuses the 300-s one that ``make bench``
    or ``synth --seconds 300`` left behind, instead of training a worse one.
    """
    wanted = float("inf") if seconds is None else float(seconds)
    folder = cache_path(name, dataset, seconds, seed).parent
    candidates = [p for p in folder.glob(f"{name}-{dataset}-seed{seed}-*.keras")
                  if ".part" not in p.name and _budget_of(p) >= wanted]
    return max(candidates, key=_budget_of, default=None)


def trained(name: str, dataset: str = "mnist", seconds: float | None = None, seed: int = 0,
            retrain: bool | None = None, verbose: bool = True, reuse_longer: bool = True, control: bool = True):
    """A trained model from the registry, cached as a ``.keras`` file.

    The cache key is (model, dataset, seed, budget), so the CLI, the benchmark
    and chapter 06 share models trained with the same settings instead of
    training them again. With ``reuse_longer`` a model cached with a longer
    budget also counts. ``retrain=None`` lets the notebook's "reuse cached
    model / retrain" toggle decide (:mod:`helpers.cache_control`; reuse when
    a cache exists); True ignores the cache, False reuses it when there is one.
    """
    import time

    import keras

    from . import cache_control
    from .datasets import load

    recipe = get(name)
    path = cache_path(name, dataset, seconds, seed)
    found = cached_at_least(name, dataset, seconds, seed) if reuse_longer else (path if path.exists() else None)
    if not cache_control.decide_retrain(path.stem, None if found is None else found.name, retrain, show=control):
        if verbose:
            print(f"{name}: loaded cached model {found.name} (choose 'retrain' or pass retrain=True to train a new one)")
        return keras.saving.load_model(found)
    (x_train, y_train), _ = load(dataset)
    start = time.perf_counter()
    model = recipe.train(x_train, y_train, seconds=seconds, seed=seed)
    save(model, path)
    cache_control.report_trained(path.stem, time.perf_counter() - start, path.name)
    return model
