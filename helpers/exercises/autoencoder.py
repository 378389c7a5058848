"""Chapter 03's build-it exercises: the autoencoder's ``train_step``, and a PCA-baseline reconstruction error.

``check_train_step(cls)`` builds the learner's ``Autoencoder`` subclass and the course's from the same weights,
takes two training steps on the same batch with the same optimiser, and compares the weights and the reported
loss: it names an optimiser that never applies the gradients, a loss computed outside the tape, a loss that is
summed or absolute instead of the mean squared error, a denoising input that was left out, parameters that were
left out of the update, and a tracker that was never updated.
``check_reconstruction_mse(fn)`` judges the per-pixel reconstruction error the chapter compares models with.
The end-of-chapter questions have one check each (``q1_pca_every_component`` ...), which never prints the answer.
"""

from __future__ import annotations

import numpy as np

from .core import HINT, PASS, TODO, Mistake, Verdict, WrongValue, announce, check, check_value, hint

CONFIG = {"latent_dim": 4, "arch": "dense", "noise_std": 0.3, "seed": 0}
LEARNING_RATE = 0.05
EX_3_1 = "Exercise 3.1 (autoencoder train_step)"


def _batch(seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).random((8, 28, 28, 1)).astype("float32")


def _two_steps(cls):
    """Build ``cls`` from the course's initial weights, take two SGD steps; return (model, losses, initial loss)."""
    import keras

    from ..models.autoencoder import Autoencoder
    from ..seeding import seeded

    with seeded(0):
        model = cls(**CONFIG)
        reference_start = Autoencoder(**CONFIG)
    model.set_weights(reference_start.get_weights())
    model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), run_eagerly=True)
    x = _batch()
    losses = [float(model.train_on_batch(x, return_dict=True)["loss"]) for _ in range(2)]
    return model, losses, reference_start


def _loss_variants(start, x) -> dict[str, float]:
    """What the first step's loss would be for each typical objective, on the initial weights."""
    import keras
    from keras import ops

    noise = keras.random.SeedGenerator(CONFIG["seed"])  # the model's own generator starts from this seed
    x_tilde = ops.clip(x + CONFIG["noise_std"] * keras.random.normal(ops.shape(x), seed=noise), 0.0, 1.0)
    x_hat = ops.convert_to_numpy(start.decode(start.encode(x_tilde)))
    clean_hat = ops.convert_to_numpy(start.decode(start.encode(x)))
    return {
        "mse": float(np.mean((x - x_hat) ** 2)),
        "sum": float(np.sum((x - x_hat) ** 2)),
        "sum_per_image": float(np.mean(np.sum((x - x_hat) ** 2, axis=(1, 2, 3)))),
        "mae": float(np.mean(np.abs(x - x_hat))),
        "no_corruption": float(np.mean((x - clean_hat) ** 2)),
    }


TRAIN_STEP_HINTS = {
    "not_applied": "the weights did not change: compute the gradients with tape.gradient(loss, "
                   "self.trainable_weights) and apply them with self.optimizer.apply_gradients(zip(grads, ...)).",
    "outside_tape": "no gradient reached the weights: the forward pass and the loss must be computed *inside* the "
                    "`with tf.GradientTape() as tape:` block.",
    "sum": "your loss is the *sum* of squared errors over the batch and the pixels; the objective is the mean "
           "(ops.mean), so the step size does not depend on the batch size.",
    "sum_per_image": "your loss sums over the pixels of each image; the chapter's objective is the mean squared error "
                     "per pixel (ops.mean over everything), which is what the PCA comparison measures.",
    "mae": "that is the mean *absolute* error; the objective is the mean *squared* error, ops.square(x - x_hat).",
    "no_corruption": "the encoder saw the clean x: a denoising autoencoder encodes self.corrupt(x) and compares the "
                     "reconstruction with the clean x (for noise_std = 0, corrupt returns x unchanged).",
    "part_of_the_weights": "only part of the network learned: take the gradient with respect to all of "
                           "self.trainable_weights (encoder and decoder).",
    "no_tracker": "the weights are right but the reported loss is not: call self.loss_tracker.update_state(loss) "
                  "(fit's progress bar and history read it).",
}


def check_train_step(cls, quiet: bool = False) -> Verdict:
    """Chapter 03, exercise 3.1: does ``cls.train_step`` train like the course's autoencoder?"""
    return announce(_judge_train_step(cls), quiet)


def _hint(name: str) -> Verdict:
    return hint(EX_3_1, TRAIN_STEP_HINTS[name], name)


def _judge_train_step(cls) -> Verdict:
    from ..models.autoencoder import Autoencoder

    if not isinstance(cls, type) or not issubclass(cls, Autoencoder):
        return Verdict(EX_3_1, TODO, f"{EX_3_1}: not attempted yet — define `class MyAutoencoder(ae.Autoencoder)` "
                                     f"with its train_step above and run that cell.")
    try:
        model, losses, start = _two_steps(cls)
    except NotImplementedError:
        return Verdict(EX_3_1, TODO, f"{EX_3_1}: not attempted yet — replace the `raise NotImplementedError()` in "
                                     f"train_step with your code, then re-run.")
    except ValueError as exc:
        if "gradient" in str(exc).lower():
            return _hint("outside_tape")
        return Verdict(EX_3_1, HINT, f"{EX_3_1}: your train_step raised ValueError: {str(exc).splitlines()[0][:200]}")
    except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything; say which
        return Verdict(EX_3_1, HINT, f"{EX_3_1}: your train_step raised {exc.__class__.__name__}: "
                                     f"{str(exc).splitlines()[0][:200] if str(exc) else ''}".rstrip(": "))
    reference, ref_losses, _ = _two_steps(Autoencoder)
    got, want, initial = model.get_weights(), reference.get_weights(), start.get_weights()
    weights_right = all(np.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(got, want, strict=True))
    if weights_right:
        if not np.allclose(losses, ref_losses, rtol=1e-4, atol=1e-6):
            return _hint("no_tracker")
        return Verdict(EX_3_1, PASS, f"{EX_3_1}: pass ✓")
    changed = [not np.array_equal(a, b) for a, b in zip(got, initial, strict=True)]
    trainable = [i for i, w in enumerate(start.weights) if w.trainable]
    if not any(changed[i] for i in trainable):
        return _hint("not_applied")
    variants = _loss_variants(start, _batch())
    for name in ("sum", "sum_per_image", "mae", "no_corruption"):
        if np.isclose(losses[0], variants[name], rtol=1e-4) and not np.isclose(variants[name], variants["mse"]):
            return _hint(name)
    if not all(changed[i] for i in trainable):
        return _hint("part_of_the_weights")
    return Verdict(EX_3_1, HINT, f"{EX_3_1}: not yet — the weights after two steps differ from the course's "
                                 f"autoencoder: compare your loss with the objective above, term by term.")


# ------------------------------------------------------------------ exercise 3.2: reconstruction error
def reference_reconstruction_mse(x, x_hat):
    """Mean squared error per pixel, averaged over all images (chapter 03, exercise 3.2's reference)."""
    return float(np.mean((np.asarray(x, np.float64) - np.asarray(x_hat, np.float64)) ** 2))


MSE_MISTAKES = (
    Mistake("sum_over_pixels", lambda x, h: float(np.mean(np.sum((np.asarray(x) - h) ** 2, axis=(1, 2, 3)))),
            "you summed over the pixels of each image: the chapter reports the error *per pixel* (a factor of 784)."),
    Mistake("root", lambda x, h: float(np.sqrt(np.mean((np.asarray(x) - h) ** 2))),
            "that is the *root* mean squared error; report the mean squared error itself (no square root)."),
    Mistake("absolute", lambda x, h: float(np.mean(np.abs(np.asarray(x) - h))),
            "that is the mean absolute error; square the differences instead."),
    Mistake("uint8_scale", lambda x, h: float(np.mean((np.asarray(x) * 255.0 - np.asarray(h) * 255.0) ** 2)),
            "your error is on the 0-255 scale; the images are floats in [0, 1] (a factor of 255² = 65,025)."),
)


def mse_cases(seed: int = 8) -> list[tuple]:
    """Fixed ``(x, x_hat)`` pairs of float images in [0, 1] (tests)."""
    rng = np.random.default_rng(seed)
    x = rng.random((5, 28, 28, 1)).astype("float32")
    return [(x, np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1).astype("float32")),
            (x[:2], rng.random((2, 28, 28, 1)).astype("float32"))]


def check_reconstruction_mse(reconstruction_mse, quiet: bool = False) -> Verdict:
    """Chapter 03, exercise 3.2: is ``reconstruction_mse(x, x_hat)`` the per-pixel mean squared error?"""
    return check("Exercise 3.2 (reconstruction error)", reconstruction_mse, reference_reconstruction_mse,
                 mse_cases(), MSE_MISTAKES, what="your error", rtol=1e-5, atol=1e-8,
                 factors={784.0: "a sum over the 784 pixels instead of a mean?"}, quiet=quiet)


# ------------------------------------------------------------------ using the learner's train_step
def train_with_yours(cls, x_train, x_val, epochs: int = 1, latent_dim: int = 32, arch: str = "dense",
                     batch_size: int = 128, learning_rate: float = 2e-3, seed: int = 0) -> dict:
    """Train the learner's ``Autoencoder`` subclass and the course's from the same weights; validation MSE of each.

    Same data, epochs, optimiser and seed; nothing is stored (chapter 03, after exercise 3.1). Returns
    ``{"yours": mse, "course": mse}`` per pixel on ``x_val``; the learner's random state is left as it was.
    """
    from ..models.autoencoder import Autoencoder, compile_autoencoder, fit_autoencoder, reconstruction_mse
    from ..seeding import seeded

    results = {}
    for who, model_cls in (("yours", cls), ("course", Autoencoder)):
        with seeded(seed):
            model = compile_autoencoder(model_cls(latent_dim=latent_dim, arch=arch, seed=seed), learning_rate)
            fit_autoencoder(model, x_train, epochs=epochs, batch_size=batch_size)
        results[who] = float(reconstruction_mse(model, x_val))
    return results


# ------------------------------------------------------------------ the end-of-chapter questions
Q1, Q2, Q3 = "Q1 (PCA with every component)", "Q2 (a detector that guesses)", "Q3 (compression ratio)"


def q1_pca_every_component(answer, pca, x_test, latent_dim: int = 32, quiet: bool = False) -> Verdict:
    """Chapter 03, Q1: PCA's test MSE with all 784 components (round-off only); ``pca`` is the chapter's fit."""
    wrong = [WrongValue("chapters_components", pca.mse(x_test, latent_dim),
                        f"that is the error with the chapter's {latent_dim} components; the question asks for all "
                        f"of them (how many pixels does an image have?).")]
    return check_value(Q1, answer, pca.mse(x_test, 784), wrong, what="your MSE", rtol=0, atol=1e-6, quiet=quiet)


def q2_random_auc(answer, quiet: bool = False) -> Verdict:
    """Chapter 03, Q2: the AUC of random scores (any value within sampling noise of the truth passes)."""
    if answer is not None and not isinstance(answer, str) and np.ndim(answer) == 0 and np.isfinite(answer):
        if not 0.0 <= float(answer) <= 1.0:
            return announce(hint(Q2, "an AUC is a probability, between 0 and 1: take the third value that "
                                     "`ae.roc_curve` returns.", "not_an_auc"), quiet)
        if float(answer) > 0.8:
            return announce(hint(Q2, "an AUC that high means the scores separate digits from clothes; a random "
                                     "score knows nothing about the image. Did you use the autoencoder's errors?",
                                 "model_scores"), quiet)
    return check_value(Q2, answer, 0.5, what="your AUC", rtol=0, atol=0.05, quiet=quiet)


def q3_compression_ratio(answer, latent_dim: int = 32, quiet: bool = False) -> Verdict:
    """Chapter 03, Q3: how many times fewer numbers the code stores than the image (numbers, not bytes)."""
    pixels = 28 * 28
    wrong = [WrongValue("inverted", latent_dim / pixels, "you divided the code by the image; the ratio asked "
                                                         "for is image over code, a number above 1."),
             WrongValue("bytes", pixels / (4 * latent_dim), "that counts bytes (float32 codes, uint8 pixels); the "
                                                            "question counts numbers."),
             WrongValue("one_side", 28 / latent_dim, "an image has 28 × 28 numbers, not 28.")]
    return check_value(Q3, answer, pixels / latent_dim, wrong, what="your ratio", quiet=quiet)
