"""Chapter 05's build-it exercises: the non-saturating GAN losses, and the DCGAN's two-player ``train_step``.

``check_gan_losses(fn)`` judges ``gan_losses(real_logits, fake_logits) -> (d_loss, g_loss)`` against
:mod:`helpers.models.gan.losses` (including logits of ±100, where a naive ``log(sigmoid(l))`` breaks).
``check_train_step(cls)`` builds the learner's ``DCGAN`` subclass and the course's from the same weights, takes one
step on the same batch and compares both players' weights and the reported losses.
"""

from __future__ import annotations

import numpy as np

from ..models.gan import losses as L
from .core import HINT, PASS, TODO, Mistake, Verdict, announce, check, hint


# ------------------------------------------------------------------ exercise 5.1: the losses
def reference_gan_losses(real_logits, fake_logits):
    """``(d_loss, g_loss)``: D's binary cross-entropy and G's non-saturating loss, from logits (chapter 05, 5.1)."""
    return L.discriminator_loss(real_logits, fake_logits), L.generator_loss(fake_logits)


def _sp(x):
    return np.logaddexp(0.0, np.asarray(x, np.float64))


def _naive(real, fake):
    with np.errstate(all="ignore"):
        s_r, s_f = 1 / (1 + np.exp(-np.asarray(real, np.float64))), 1 / (1 + np.exp(-np.asarray(fake, np.float64)))
        return (-np.mean(np.log(s_r)) - np.mean(np.log(1 - s_f)), -np.mean(np.log(s_f)))


GAN_LOSS_MISTAKES = (
    Mistake("minimax_generator", lambda r, f: (np.mean(_sp(-r)) + np.mean(_sp(f)), -np.mean(_sp(f))),
            "your generator loss is the original minimax one, E[log(1 − D(G(z)))], whose gradient vanishes while D "
            "rejects the fakes; the non-saturating loss is −E[log D(G(z))]."),
    Mistake("targets_swapped", lambda r, f: (np.mean(_sp(r)) + np.mean(_sp(-f)), np.mean(_sp(-f))),
            "D's targets are swapped: real images should be pushed towards D(x) = 1 (−log D(x)), fakes towards 0."),
    Mistake("generator_sign", lambda r, f: (np.mean(_sp(-r)) + np.mean(_sp(f)), -np.mean(_sp(-f))),
            "the generator loss has the wrong sign: G *minimises* −log D(G(z))."),
    Mistake("real_term_only", lambda r, f: (np.mean(_sp(-r)), np.mean(_sp(-f))),
            "D's loss misses the fake term −E[log(1 − D(G(z)))]."),
    Mistake("fake_term_only", lambda r, f: (np.mean(_sp(f)), np.mean(_sp(-f))),
            "D's loss misses the real term −E[log D(x)]."),
    Mistake("halved", lambda r, f: ((np.mean(_sp(-r)) + np.mean(_sp(f))) / 2, np.mean(_sp(-f))),
            "you averaged D's two terms; this chapter *adds* them (each a mean over its batch). Halving is a "
            "valid convention elsewhere, but it halves D's learning rate."),
    Mistake("summed", lambda r, f: (np.sum(_sp(-r)) + np.sum(_sp(f)), np.sum(_sp(-f))),
            "you summed over the batch: take the mean, so the step size does not depend on the batch size."),
    Mistake("unstable", _naive,
            "log(sigmoid(l)) overflows for large |l| (the case with logits of ±100 gave inf or NaN): use the stable "
            "forms log σ(l) = −softplus(−l) and log(1 − σ(l)) = −softplus(l)."),
)


def gan_loss_cases(seed: int = 9) -> list[tuple]:
    """Fixed ``(real_logits, fake_logits)`` of shape (8, 1), including extreme logits (tests)."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(1.0, 2.0, (8, 1)).astype("float32"), rng.normal(-1.0, 2.0, (8, 1)).astype("float32")),
            (np.array([[100.0], [-100.0], [3.0], [0.0]], "float32"), np.array([[-100.0], [100.0], [0.5], [-2.0]],
                                                                              "float32"))]


def check_gan_losses(gan_losses, quiet: bool = False) -> Verdict:
    """Chapter 05, exercise 5.1: is ``gan_losses(real_logits, fake_logits)`` the course's ``(d_loss, g_loss)``?"""
    return check("Exercise 5.1 (GAN losses)", gan_losses, reference_gan_losses, gan_loss_cases(), GAN_LOSS_MISTAKES,
                 what="your (d_loss, g_loss)", rtol=1e-5, atol=1e-5, quiet=quiet)


# ------------------------------------------------------------------ exercise 5.2: the train_step
EX_5_2 = "Exercise 5.2 (DCGAN train_step)"
CONFIG = {"latent_dim": 8, "width": 8, "ema": 0.0, "seed": 0}

TRAIN_STEP_HINTS = {
    "no_d_step": "the discriminator did not change: take its gradient step with self.apply(self.d_optimizer, tape, "
                 "d_loss, self.discriminator).",
    "no_g_step": "the generator did not change: its step needs fresh fakes made *inside* its own GradientTape, "
                 "then self.apply(self.g_optimizer, tape, g_loss, self.generator).",
    "no_gradient": "no gradient reached a player's weights: compute each loss inside that player's own "
                   "GradientTape (G's from fresh fakes, self.fakes(n), made inside its tape) and apply it to that "
                   "player's weights only.",
    "wrong_loss": "both players moved, but not as the course's do: check each loss against the objective above "
                  "(exercise 5.1's functions are the ones to use).",
    "no_tracking": "the weights are right but the reported losses are not: end with self.track(real_logits, "
                   "fake_logits, d_loss=d_loss, g_loss=g_loss).",
}


def _one_step(cls):
    import keras

    from ..models.gan import DCGAN
    from ..seeding import seeded

    with seeded(0):
        model, start = cls(**CONFIG), DCGAN(**CONFIG)
    model.set_weights(start.get_weights())
    model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05), run_eagerly=True)
    x = np.random.default_rng(2).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    logs = model.train_on_batch(x, return_dict=True)
    return model, {k: float(v) for k, v in logs.items()}, start


def _same(a, b) -> bool:
    return all(np.allclose(u, v, rtol=1e-4, atol=1e-6) for u, v in zip(a, b, strict=True))


def check_train_step(cls, quiet: bool = False) -> Verdict:
    """Chapter 05, exercise 5.2: does ``cls.train_step`` make the course's D step and G step?"""
    return announce(_judge_train_step(cls), quiet)


def _hint(name: str) -> Verdict:
    return hint(EX_5_2, TRAIN_STEP_HINTS[name], name)


def _judge_train_step(cls) -> Verdict:
    from ..models.gan import DCGAN

    if not isinstance(cls, type) or not issubclass(cls, DCGAN):
        return Verdict(EX_5_2, TODO, f"{EX_5_2}: not attempted yet — define `class MyDCGAN(gan.DCGAN)` with its "
                                     f"train_step above and run that cell.")
    try:
        model, logs, start = _one_step(cls)
    except NotImplementedError:
        return Verdict(EX_5_2, TODO, f"{EX_5_2}: not attempted yet — replace the `raise NotImplementedError()` in "
                                     f"train_step with your code, then re-run.")
    except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything; say which
        message = str(exc).splitlines()[0][:200] if str(exc) else ""
        if "gradient" in message.lower():
            return _hint("no_gradient")
        return Verdict(EX_5_2, HINT, f"{EX_5_2}: your train_step raised {exc.__class__.__name__}: {message}".rstrip(": "))
    reference, ref_logs, _ = _one_step(DCGAN)
    def trained(net):  # trainable weights only: batch-norm statistics move in any forward pass in training mode
        return [w.numpy() for w in net.trainable_weights]

    d_moved = not _same(trained(model.discriminator), trained(start.discriminator))
    g_moved = not _same(trained(model.generator), trained(start.generator))
    d_right = _same(model.discriminator.get_weights(), reference.discriminator.get_weights())
    g_right = _same(model.generator.get_weights(), reference.generator.get_weights())
    if d_right and g_right:
        keys = ("d_loss", "g_loss", "d_real", "d_fake")
        if all(k in logs and np.isclose(logs[k], ref_logs[k], rtol=1e-4, atol=1e-6) for k in keys):
            return Verdict(EX_5_2, PASS, f"{EX_5_2}: pass ✓")
        return _hint("no_tracking")
    if not d_moved and not g_moved:
        return _hint("no_d_step")
    if not d_moved:
        return _hint("no_d_step")
    if not g_moved:
        return _hint("no_g_step")
    return _hint("wrong_loss")


# ------------------------------------------------------------------ using the learner's train_step
def train_with_yours(cls, x_train, steps: int = 200, n_eval: int = 1000, seed: int = 0, **gan_kwargs) -> dict:
    """Train the learner's DCGAN subclass and the course's for the same batches from the same weights (chapter 05).

    Returns ``{"yours": scores, "course": scores, "samples": {...}}``: the Fréchet distance and its real-vs-real
    baseline on ``n_eval`` samples of each, and 20 samples of each to look at. Nothing is stored; the learner's
    random state is left as it was.
    """
    import keras

    from .. import metrics
    from ..models.gan import DCGAN, fit_gan, from_gan_range
    from ..models.gan.training import DEFAULTS
    from ..seeding import seeded

    settings = {k: gan_kwargs.pop(k, DEFAULTS[k]) for k in ("latent_dim", "width", "ema")}
    learning_rate = gan_kwargs.pop("learning_rate", DEFAULTS["learning_rate"])
    batch_size = gan_kwargs.pop("batch_size", DEFAULTS["batch_size"])
    out = {"samples": {}}
    for who, model_cls in (("yours", cls), ("course", DCGAN)):
        with seeded(seed):
            model = model_cls(seed=seed, **settings, **gan_kwargs)
            model.compile(keras.optimizers.Adam(learning_rate, beta_1=0.5),
                          keras.optimizers.Adam(learning_rate, beta_1=0.5))
            fit_gan(model, x_train, steps=steps, seed=seed, batch_size=batch_size)
        samples = from_gan_range(model.generate(n_eval, seed=1))
        scores = metrics.evaluate_samples(samples, metrics=("frechet",), n_real=n_eval)
        out[who] = {"frechet_distance": scores["frechet_distance"], "baseline": scores["frechet_distance_real"]}
        out["samples"][who] = samples[:20]
    return out
