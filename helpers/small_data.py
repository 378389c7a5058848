"""Chapter 02 §4's recipe comparison: the same small CNN on the same few labelled images, one recipe and seed per run.

A *recipe* is what the training set goes through on the way to the network:

* ``None``: nothing (the control run);
* a dict of strengths for :func:`helpers.augment.digit_augmentation` (relative to
  :data:`helpers.augment.TRANSFORMS`, all scaled by one ``strength``), e.g. ``{}``
  for the default affine recipe or :data:`ONLY` ``| {"elastic": 1.0}`` for elastic
  distortion alone;
* the string ``"mixup"``: :func:`helpers.augment.mixup_dataset` on the batches
  (soft labels, so the network is trained with categorical cross-entropy).

:func:`train_recipe` trains one run (kept in the model store, keyed by the recipe,
the data, the network and the seed) and returns its validation accuracy;
:func:`spread` turns a list of per-seed scores into ``(mean, min, max)``.
The test set is not used here: recipes are compared on validation data, and the
test set is looked at once, for the chapter's final model.
"""

from __future__ import annotations

import gc

import numpy as np

from . import augment

#: Strengths that switch the affine transformations off, so a recipe holds one family only (chapter 02 §4).
ONLY = {name: 0.0 for name in augment.AFFINE}


def _check_recipe(recipe) -> None:
    if recipe is None or recipe == "mixup":
        return
    if not isinstance(recipe, dict):
        raise ValueError(f"a recipe is None, 'mixup' or a dict of strengths, got {recipe!r}.")
    unknown = sorted(set(recipe) - set(augment.TRANSFORMS))
    if unknown:
        raise ValueError(f"unknown transformation(s) {unknown} in the recipe; choose from {list(augment.TRANSFORMS)}.")


def recipe_layer(recipe, strength: float = 1.0, seed: int = 0):
    """The augmentation layer of ``recipe`` (``None`` for no augmentation and for mixup, which acts on batches).

    Chapter 02 §4.
    """
    _check_recipe(recipe)
    if recipe is None or recipe == "mixup":
        return None
    return augment.digit_augmentation(strength, seed=seed, **recipe)


def train_recipe(recipe, x, y, x_val, y_val, seed: int = 0, epochs: int = 30, width: int = 16,
                 batch_size: int = 32, strength: float = 1.0, mixup_alpha: float = 0.2, name: str = "ch02_recipe",
                 retrain: bool | None = None) -> dict:
    """Train ``small_cnn(width)`` on ``(x, y)`` with ``recipe`` for ``epochs``; score it on ``(x_val, y_val)``.

    Returns ``{"val_accuracy": the trained model's accuracy on the validation images, "train_accuracy": on the
    (augmented) training batches of the last epoch, "history": the per-epoch training history, "source": trained
    now or loaded}``. Validation runs once, after training: scoring every epoch would add a tenth to each run.
    The run is kept in the model store under every setting that changes it, so a second call loads it. ``seed``
    sets the weights, the batch order and the augmentation's draws. Chapter 02 §4.
    """
    import keras

    from . import store
    from .classifiers import compile_classifier, small_cnn
    from .pipelines import make_dataset
    from .training import fit

    _check_recipe(recipe)
    if mixup_alpha <= 0 and recipe == "mixup":
        raise ValueError(f"mixup_alpha must be > 0 for the mixup recipe, got {mixup_alpha}.")
    mixup = recipe == "mixup"
    y_val_fit = keras.utils.to_categorical(y_val, 10) if mixup else y_val

    def build():
        model = compile_classifier(small_cnn(width=width, augmentation=recipe_layer(recipe, strength, seed)),
                                   soft_labels=mixup)  # mixup's labels are mixed one-hot vectors
        model(x[:1])
        return model

    def train(model):
        data = make_dataset(x, y, batch_size=batch_size, seed=seed)
        if mixup:
            data = augment.mixup_dataset(data, mixup_alpha, seed=seed)
        return fit(model, data, epochs=epochs, batch_size=batch_size)  # scored once at the end, not every epoch

    settings = {"data": store.fingerprint(x, y), "epochs": epochs, "batch_size": batch_size,
                "recipe": "none" if recipe is None else recipe, "strength": strength,
                "mixup_alpha": mixup_alpha if mixup else None}
    run = store.trained(name, build, train, settings=settings, seed=seed, retrain=retrain, control=False,
                        verbose=False)
    val_accuracy = run.model.evaluate(x_val, y_val_fit, batch_size=500, verbose=0, return_dict=True)["accuracy"]
    h, source = run.history, run.source
    del run
    gc.collect()  # the model's graph goes now, not at some later collection: fifteen runs must not pile up
    return {"val_accuracy": float(val_accuracy), "train_accuracy": float(h["accuracy"][-1]), "history": h,
            "source": source}


def spread(values) -> tuple[float, float, float]:
    """``(mean, min, max)`` of per-seed scores (chapter 02 §4)."""
    values = np.asarray(list(values), dtype=float)
    if values.size == 0:
        raise ValueError("no scores to summarise: run at least one seed.")
    return float(values.mean()), float(values.min()), float(values.max())
