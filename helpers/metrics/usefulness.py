"""Usefulness: train on synthetic, test on real (TSTR), with one fixed classifier recipe.

The recipe (:func:`train_fixed_cnn`) is the same for every model so that
numbers compare. Its randomness is explicit: ``seed`` seeds the network's
initialisers and dropout (``small_cnn(seed=...)``) and a NumPy generator that
shuffles the batches. Nothing here seeds or reads Python's, NumPy's, Keras's
or TensorFlow's global random state, or switches TensorFlow's op determinism:
scoring a model in a notebook leaves the learner's session as it was.
"""

from __future__ import annotations

import numpy as np

from ..memory import INFERENCE_BATCH_SIZE, release_free_memory
from .features import (
    MetricsError,
    as_images,
    as_labels,
    canonical_dataset,
    checked_images,
    classifier_accuracy,
    real_data,
)

# Fixed train-on-synthetic-test-on-real recipe (the same for every model, so numbers compare).
TSTR_EPOCHS = 5
TSTR_BATCH_SIZE = 128
TSTR_LEARNING_RATE = 1e-3
TSTR_SEED = 0
EVAL_BATCH_SIZE = INFERENCE_BATCH_SIZE  # test images per inference step (helpers.memory)


def _batch_rows(n: int, batch_size: int, seed: int, epochs: int, steps: int | None = None) -> list:
    """Per epoch, the rows of each batch: shuffles drawn from ``seed`` alone, never from global state.

    ``steps=None``: ``epochs`` passes, each a fresh permutation of the ``n`` rows (the last batch may be short).
    ``steps=s``: one epoch of ``s`` batches cut from back-to-back permutations (batches may straddle two passes).
    """
    rng = np.random.default_rng(seed)
    if steps is not None:
        passes = -(-int(steps) * batch_size // n)
        order = np.concatenate([rng.permutation(n) for _ in range(passes)])
        return [[order[i * batch_size:(i + 1) * batch_size] for i in range(int(steps))]]
    rng.permutation(n)  # drawn and dropped: the orders stay those of the course's earlier PyDataset, whose first
    out = []            # permutation Keras discarded (it peeked at two batches, then called on_epoch_end)
    for _ in range(int(epochs)):
        order = rng.permutation(n)
        out.append([order[i:i + batch_size] for i in range(0, n, batch_size)])
    return out


def train_fixed_cnn(x, y, epochs: int = TSTR_EPOCHS, batch_size: int = TSTR_BATCH_SIZE,
                    seed: int = TSTR_SEED, steps: int | None = None, augmentation=None, verbose: int = 0,
                    width: int = 32):
    """The fixed TSTR classifier: ``small_cnn`` + ``compile_classifier``, fixed recipe, explicit ``seed``.

    ``steps``: train for exactly this many batches instead of ``epochs``, so
    training sets of different sizes get the same amount of training (fair
    comparisons). ``augmentation``: Keras layers applied during training only
    (seed them yourself). ``width``: ``small_cnn``'s width; TSTR always uses
    the default 32, chapter 04 §8 a cheaper 16 for its runs over several seeds.
    Chapter 06 §6 (and :func:`tstr`).
    """
    from ..classifiers import compile_classifier, small_cnn

    model = compile_classifier(small_cnn(num_classes=10, width=width, augmentation=augmentation, seed=seed),
                               learning_rate=TSTR_LEARNING_RATE)
    images, value_range = checked_images(x)  # each batch is converted on its own: no float copy of the set
    labels = as_labels(y, len(images))
    # One train_on_batch per batch, in the seeded order. Not fit() on a keras.utils.PyDataset: in Keras 3.15 every
    # such fit kept about 190 MB resident after it returned (chapter 04's twelve classifiers reached 4.3 GB).
    for epoch, batches in enumerate(_batch_rows(len(images), batch_size, seed, epochs, steps), start=1):
        for rows in batches:
            logs = model.train_on_batch(as_images(images[rows], value_range), labels[rows], return_dict=True)
        if verbose:
            print(f"epoch {epoch}: " + " · ".join(f"{k} {float(v):.4f}" for k, v in logs.items()), flush=True)
    return model


def test_accuracy(model, dataset: str = "mnist", n: int | None = None) -> float:
    """Accuracy of a classifier on the real test set of ``dataset`` (its first ``n`` images if given).

    Chapter 06 §6.
    """
    (_, _), (x_test, y_test) = real_data(canonical_dataset(dataset))
    return classifier_accuracy(model, x_test[:n], y_test[:n], batch_size=EVAL_BATCH_SIZE, name="x_test")


test_accuracy.__test__ = False  # not a pytest test despite its name


def tstr(x_synthetic, y_synthetic, x_real_train, y_real_train, x_test, y_test,
         epochs: int = TSTR_EPOCHS, batch_size: int = TSTR_BATCH_SIZE, seed: int = TSTR_SEED,
         trtr_acc: float | None = None) -> dict:
    """Train-on-synthetic, test-on-real, beside train-on-real-test-on-real.

    The same fixed CNN is trained (a) on the labelled synthetic samples and
    (b) on as many real training images, drawn at random with ``seed``, then
    both are tested on the real test set. ``tstr_acc`` close to ``trtr_acc``
    means the synthetic data is as useful as the same amount of real data.
    Pass ``trtr_acc`` from an earlier call with the same ``n`` and seed to
    skip retraining on real data. Same ``seed``, same scores; global random
    state is left alone. Chapter 04 §7, chapters 05 §6 and 06 §3 (via
    ``evaluate_samples``).
    """
    xs = as_images(x_synthetic, name="x_synthetic")
    ys = as_labels(y_synthetic, len(xs), name="y_synthetic")
    x_real_train = np.asarray(x_real_train)  # converted only for the n images drawn: no float copy of all 60,000
    yr = as_labels(y_real_train, len(x_real_train), name="y_real_train")
    xt, test_range = checked_images(x_test, name="x_test")  # checked now, converted a batch at a time when scored
    yt = as_labels(y_test, len(xt), name="y_test")
    n = len(xs)
    if n > len(x_real_train):
        raise MetricsError(f"{n} synthetic samples but only {len(x_real_train)} real training images to compare with.")
    idx = np.random.default_rng(seed).choice(len(x_real_train), size=n, replace=False)
    results = {"tstr_n": n, "tstr_epochs": epochs}
    runs = {"tstr_acc": (xs, ys)}
    if trtr_acc is None:
        runs["trtr_acc"] = (as_images(x_real_train[idx], name="x_real_train"), yr[idx])
    else:
        results["trtr_acc"] = float(trtr_acc)
    for key, (x, y) in runs.items():
        model = train_fixed_cnn(x, y, epochs=epochs, batch_size=batch_size, seed=seed)
        results[key] = classifier_accuracy(model, xt, yt, batch_size=EVAL_BATCH_SIZE, value_range=test_range,
                                           name="x_test")
        del model
        release_free_memory()  # the first CNN's buffers go before the second one trains (helpers.memory)
    return results
