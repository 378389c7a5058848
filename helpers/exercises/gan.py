"""Chapter 05's build-it exercises: the non-saturating GAN losses, and the DCGAN's two-player ``train_step``.

``check_gan_losses(fn)`` judges ``gan_losses(real_logits, fake_logits) -> (d_loss, g_loss)`` against
:mod:`helpers.models.gan.losses` (including logits of ±100, where a naive ``log(sigmoid(l))`` breaks).
``check_train_step(cls)`` builds the learner's ``DCGAN`` subclass and the course's from the same weights, takes one
step on the same batch and compares both players' weights and the reported losses.
The end-of-chapter questions have one check each (``q1_broken_generator_shape`` ... ``q6_code_information_bound``):
each computes its reference from the chapter's objects it is given and never prints it.
"""

from __future__ import annotations

import numpy as np

from ..models.gan import losses as L
from .core import HINT, PASS, TODO, Mistake, Verdict, WrongValue, announce, check, check_value, hint, to_numpy


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


# ------------------------------------------------------------------ the end-of-chapter questions
Q1, Q2, Q3 = "Q1 (shapes in the broken listing)", "Q2 (the optimal discriminator)", "Q3 (label smoothing)"
Q4, Q5, Q6 = "Q4 (a remedy, measured again)", "Q5 (a class the generator gets wrong)", "Q6 (code information)"
IMG_SHAPE = (28, 28, 1)


def q1_broken_generator_shape(answer, batch: int = 16, quiet: bool = False) -> Verdict:
    """Chapter 05, Q1: the shape the broken listing's ``Generator.call`` returns for ``batch`` noise vectors."""
    reshaped = np.zeros((batch, *IMG_SHAPE), "float32")       # Reshape(img_shape): the batch axis stays in front
    want = tuple(np.expand_dims(reshaped, axis=0).shape)         # then call() applies tf.expand_dims(img, axis=0)
    wrong = [WrongValue("reshape_only", (batch, *IMG_SHAPE), "that is what `Reshape(img_shape)` returns; `call()` "
                                                              "then applies `tf.expand_dims(img, axis=0)` to it."),
             WrongValue("axis_at_end", (batch, *IMG_SHAPE, 1), "`axis=0` inserts the new axis at position 0, in "
                                                                "front, not at the end."),
             WrongValue("batch_replaced", (1, *IMG_SHAPE), "`expand_dims` *adds* an axis of length 1; the batch "
                                                           "axis is still there."),
             WrongValue("dense_output", (batch, int(np.prod(IMG_SHAPE))), "that is the last `Dense` layer's output; "
                                                                          "`Reshape(img_shape)` and `call()` come "
                                                                          "after it."),
             WrongValue("one_image", IMG_SHAPE, "`img_shape` is the shape of one image; Keras layers keep the batch "
                                                "axis in front of it.")]
    return check_value(Q1, answer, want, wrong, what="your shape", rtol=0, atol=0, quiet=quiet)


def q2_perfect_generator(answer, quiet: bool = False) -> Verdict:
    """Chapter 05, Q2: ``(D*(x), V(D*, G))`` when ``p_g = p_data``, natural logs (two numbers)."""
    if answer is None or answer is Ellipsis or (isinstance(answer, (tuple, list)) and all(a is None for a in answer)):
        return check_value(Q2, None, 0.0, quiet=quiet)  # "not attempted yet"
    got = to_numpy(answer)
    if got is None or got.shape != (2,):
        return announce(hint(Q2, "give two numbers, `(D*(x), V(D*, G))`, as a tuple.", "not_two_numbers"), quiet)
    d_star = 0.5                                              # p / (p + p), whatever p is
    value = float(np.log(d_star) + np.log(1 - d_star))        # E_data[log D*] + E_g[log(1 − D*)], each density sums to 1
    if not np.isclose(got[0], d_star, rtol=1e-3, atol=1e-6):
        wrong_d = [WrongValue("certain", 1.0, "D*(x) = 1 calls every image real; when p_g = p_data nothing tells a "
                                               "real image from a fake: put p_g = p_data into "
                                               "D*(x) = p_data/(p_data + p_g)."),
                   WrongValue("log_d", float(np.log(d_star)), "that is log D*(x); the first number is D*(x) itself, "
                                                              "a probability.")]
        return check_value(Q2, float(got[0]), d_star, wrong_d, what="your D*(x)", quiet=quiet)
    wrong_v = [WrongValue("no_constant", 0.0, "the JSD term vanishes at p_g = p_data, but V has more than that term: "
                                              "evaluate E[log D*(x)] + E[log(1 − D*(G(z)))] with your D*."),
               WrongValue("one_term", float(np.log(d_star)), "V has two expectations, over real images and over "
                                                             "fakes: each contributes its log; add both."),
               WrongValue("sign", -value, "a log of a probability is negative: V(D*, G) is a sum of two of them."),
               WrongValue("bits", float(2 * np.log2(d_star)), "that uses log base 2; the chapter's logs are natural "
                                                             "logs.")]
    return check_value(Q2, float(got[1]), value, wrong_v, what="your V(D*, G)", quiet=quiet)


def reference_d_star(p_data, p_g, smoothing=0.0):
    """The best discriminator under one-sided label smoothing: real target ``t = 1 − smoothing`` (chapter 05, Q3).

    Maximising ``p_data·[t log d + (1 − t) log(1 − d)] + p_g·log(1 − d)`` over ``d`` gives ``t·p_data/(p_data + p_g)``.
    """
    p, q = np.asarray(p_data, np.float64), np.asarray(p_g, np.float64)
    return (1.0 - smoothing) * p / (p + q)


def _d(a, b):  # the maximiser of a·log d + b·log(1 − d)
    return a / (a + b)


D_STAR_MISTAKES = (
    Mistake("unsmoothed", lambda p, q, s: _d(p, q),
            "your D* ignores the smoothing: with the real target t = 1 − smoothing, the real images' term is "
            "t·log D + (1 − t)·log(1 − D)."),
    Mistake("target_is_smoothing", lambda p, q, s: s * p / (p + q),
            "you used the smoothing itself as the real target; the target is 1 − smoothing."),
    Mistake("dropped_real_term", lambda p, q, s: _d((1 - s) * p, q),
            "you dropped the (1 − t)·log(1 − D) part of the real images' term: with a soft target, real images also "
            "pull D towards 'fake', with weight 1 − t."),
    Mistake("keras_target", lambda p, q, s: (1 - s / 2) * p / (p + q),
            "you gave real images the target 1 − smoothing/2: that is keras' convention "
            "(`BinaryCrossentropy(label_smoothing=s)` maps a target y to y(1 − s) + s/2); the course's "
            "`gan.discriminator_loss` gives them 1 − smoothing."),
    Mistake("two_sided", lambda p, q, s: _d((1 - s) * p + s * q, s * p + (1 - s) * q),
            "you smoothed the fakes' target too (to the smoothing instead of 0); one-sided smoothing softens only the "
            "real target."),
    Mistake("keras_two_sided", lambda p, q, s: _d((1 - s / 2) * p + s / 2 * q, s / 2 * p + (1 - s / 2) * q),
            "that is keras' `BinaryCrossentropy(label_smoothing=s)` applied to both batches (reals 1 − s/2, fakes "
            "s/2); the course's one-sided smoothing gives reals 1 − smoothing and leaves the fakes at 0."),
)


def d_star_cases(seed: int = 5) -> list[tuple]:
    """``(p_data, p_g, smoothing)`` cases: random densities with smoothing 0.1, equal densities, no and 0.25 (tests)."""
    rng = np.random.default_rng(seed)
    p, q = rng.uniform(0.05, 2.0, (2, 6))
    return [(p, q, 0.1), (np.ones(3), np.ones(3), 0.1), (q, p, 0.0), (p, q, 0.25)]


def q3_smoothed_d_star(fn, quiet: bool = False) -> Verdict:
    """Chapter 05, Q3: is ``fn(p_data, p_g, smoothing)`` the optimal discriminator under one-sided label smoothing?"""
    return check(Q3, fn, reference_d_star, d_star_cases(), D_STAR_MISTAKES, what="your D*", rtol=1e-5, atol=1e-7,
                 quiet=quiet)


def smoothed_optimum(loss_fn, smoothing: float) -> float:
    """D = σ(l) at the logit ``l`` minimising ``loss_fn(l, l, label_smoothing=smoothing)`` (chapter 05, Q3).

    One logit for real and fake images alike: the best discriminator when ``p_g = p_data``.
    """
    from scipy.optimize import minimize_scalar

    def loss(logit):
        x = np.float64([logit])  # float64: the loss is flat near its minimum
        return float(loss_fn(x, x, label_smoothing=smoothing))

    best = minimize_scalar(loss, bounds=(-10.0, 10.0), method="bounded", options={"xatol": 1e-5}).x
    return float(1 / (1 + np.exp(-best)))


def _run_settings(entry) -> dict | None:
    """The settings of one ``demo(...)`` result ``(model, run, row)`` that decide its training, or ``None``."""
    try:
        model, run, row = entry
        config = {k: v for k, v in model.get_config().items() if k not in ("name", "trainable", "dtype")}
        return {**config, **(model.get_compile_config() or {}), "batches": int(run.batches),
                "frechet_ratio": float(row["frechet_ratio"])}
    except Exception:  # noqa: BLE001 - anything that is not a demo(...) result
        return None


#: Q4's two runs (section 5's collapsing run, without and with the remedy) and the seed the learner trains them with.
Q4_RUNS, Q4_SEED = ("D too slow", "D too slow + smoothing 0.2"), 2


def _seed0(entry):
    """Section 5 keeps a list of ``demo(...)`` results per run, one per seed: the seed-0 one (or ``entry`` itself)."""
    if isinstance(entry, list):
        return next((e for e in entry if (_run_settings(e) or {}).get("seed") == 0), entry[0] if entry else None)
    return entry


def q4_smoothing_two_seeds(answer, my_runs, runs, quiet: bool = False) -> Verdict:
    """Chapter 05, Q4: ``(seed 0, seed 2)`` differences in Fréchet ratio, the collapsing run with smoothing minus without.

    ``runs`` are section 5's (``{name: [demo(...) per seed]}``); ``my_runs`` the learner's
    ``{"D too slow": demo(...), "D too slow + smoothing 0.2": demo(...)}`` with ``seed=2``
    (:data:`Q4_RUNS`, :data:`Q4_SEED`). The check reads the runs' settings and scores, and trains nothing.
    """
    plain, smoothed = Q4_RUNS
    if answer is None or answer is Ellipsis:
        return check_value(Q4, None, 0.0, quiet=quiet)
    mine = {n: _run_settings(my_runs.get(n)) for n in Q4_RUNS} if isinstance(my_runs, dict) else {}
    if any(mine.get(n) is None for n in Q4_RUNS):
        return announce(hint(Q4, f"keep your two seed-{Q4_SEED} results in `my_runs`, as "
                                 f"`{{\"{plain}\": demo(...), \"{smoothed}\": demo(...)}}`, so the check can read "
                                 "their settings.", "no_runs"), quiet)
    seed0 = {n: _seed0(runs[n]) for n in Q4_RUNS}
    ours = {n: _run_settings(seed0[n]) for n in Q4_RUNS}
    for n in Q4_RUNS:
        if mine[n]["seed"] != Q4_SEED:
            return announce(hint(Q4, f"your {n!r} run was trained with seed {mine[n]['seed']}: pass `seed={Q4_SEED}` "
                                     f"to `demo`.", "seed"), quiet)
    if mine[smoothed]["label_smoothing"] != ours[smoothed]["label_smoothing"]:
        return announce(hint(Q4, f"your {smoothed!r} run has label_smoothing = "
                                 f"{mine[smoothed]['label_smoothing']:g}: `demo`'s first argument is only a "
                                 f"name; pass the settings as section 5 does.", "no_smoothing"), quiet)
    for n in Q4_RUNS:
        differ = sorted(k for k in ours[n] if k not in ("seed", "frechet_ratio") and mine[n].get(k) != ours[n][k])
        if differ:
            return announce(hint(Q4, f"your {n!r} run differs from section 5's in more than the seed "
                                     f"({', '.join(differ)}): change only the seed.", "other_settings"), quiet)
    d0 = ours[smoothed]["frechet_ratio"] - ours[plain]["frechet_ratio"]
    d1 = mine[smoothed]["frechet_ratio"] - mine[plain]["frechet_ratio"]
    wrong = [WrongValue("inverted", (-d0, -d1), "you subtracted the wrong way round: with smoothing minus without (a "
                                                "negative difference then means smoothing helped)."),
             WrongValue("seed_order", (d1, d0), f"first seed 0's difference (section 5's `runs`), then seed "
                                                f"{Q4_SEED}'s (your `my_runs`)."),
             WrongValue("seed0_twice", (d0, d0), f"both numbers are seed 0's difference: the second comes from your "
                                                 f"seed-{Q4_SEED} runs."),
             WrongValue("frechet_not_ratio",
                        tuple(r[smoothed][2]["frechet"] - r[plain][2]["frechet"] for r in (seed0, my_runs)),
                        "you subtracted Fréchet distances; the question compares `frechet_ratio` (the distance "
                        "divided by the real-vs-real baseline).")]
    return check_value(Q4, answer, (d0, d1), wrong, what="your differences", rtol=1e-2, atol=1e-2, quiet=quiet)


def q5_least_faithful_class(answer, cgan_scores, quiet: bool = False) -> Verdict:
    """Chapter 05, Q5: the requested digit the conditional GAN draws least faithfully (any of a tie passes)."""
    per_class = {int(k): float(v) for k, v in cgan_scores["label_fidelity_per_class"].items()}
    if answer is None or answer is Ellipsis:
        return check_value(Q5, None, 0, quiet=quiet)
    lowest = min(per_class.values())
    worst = {c for c, v in per_class.items() if np.isclose(v, lowest, rtol=0, atol=1e-12)}
    best = {c for c, v in per_class.items() if np.isclose(v, max(per_class.values()), rtol=0, atol=1e-12)}
    if isinstance(answer, (bool, np.bool_)):
        digit = None
    elif isinstance(answer, (int, np.integer)):
        digit = int(answer)
    elif isinstance(answer, (float, np.floating)) and float(answer).is_integer():
        digit = int(answer)
    elif isinstance(answer, str) and answer.strip().isdigit():
        digit = int(answer.strip())
    else:
        digit = None
    if digit is None:
        if isinstance(answer, (float, np.floating)) and 0.0 <= float(answer) <= 1.0:
            return announce(hint(Q5, "that is a share (a label fidelity), not a digit: answer with the dictionary's "
                                     "key.", "a_share"), quiet)
        return announce(hint(Q5, f"your answer is a {type(answer).__name__}; the answer is one digit, 0-9.",
                             "not_a_digit"), quiet)
    if digit not in per_class:
        return announce(hint(Q5, f"{digit} is not one of the requested digits (the dictionary's keys).",
                             "not_a_class"), quiet)
    if digit in worst:
        return announce(Verdict(Q5, PASS, f"{Q5}: pass ✓"), quiet)
    if digit == min(per_class):
        return announce(hint(Q5, "`min` of a dictionary compares its keys (the digits), not their values: look for "
                                 "the digit whose fidelity is smallest.", "min_of_keys"), quiet)
    if digit in best:
        return announce(hint(Q5, "that is the digit the generator draws *most* faithfully; the question asks for the "
                                 "least.", "best_class"), quiet)
    return announce(hint(Q5, f"digit {digit} is not the least faithful one: compare the fidelities of all ten "
                             f"requested digits.", "other_class"), quiet)


def _code_cross_entropies(infogan, n: int, seed: int) -> np.ndarray:
    import keras

    codes = np.arange(n) % infogan.num_codes
    _, code_logits = infogan.discriminator(infogan.generate(n, seed=seed, labels=codes), training=False)
    per_sample = keras.losses.sparse_categorical_crossentropy(codes, code_logits, from_logits=True)
    return np.asarray(keras.ops.convert_to_numpy(per_sample), np.float64)


def q6_code_information_bound(answer, infogan, n: int = 1000, seed: int = 5, quiet: bool = False) -> Verdict:
    """Chapter 05, Q6: InfoGAN's lower bound ln 10 − E[−log Q(c | G(z, c))] on I(c; G(z, c)), in nats.

    The check draws its own ``n`` samples; an answer from other noise passes within four standard errors.
    """
    if answer is None or answer is Ellipsis:
        return check_value(Q6, None, 0.0, quiet=quiet)
    ce = _code_cross_entropies(infogan, n, seed)
    entropy = float(np.log(infogan.num_codes))
    bound = entropy - float(ce.mean())
    tolerance = max(4 * float(ce.std()) / np.sqrt(n), 1e-3)
    wrong = [WrongValue("cross_entropy", float(ce.mean()), "that is Q's mean cross-entropy E[−log Q(c | x)]; the "
                                                           "bound is H(c) minus it."),
             WrongValue("sign", -bound, "you subtracted the wrong way round: H(c) minus the cross-entropy."),
             WrongValue("bits", bound / np.log(2), "that is in bits; the question asks for nats (natural logs "
                                                    "throughout)."),
             WrongValue("max_possible", entropy, "that is H(c), the largest value the bound can reach (a Q that is "
                                                 "always right and certain); compute it for the trained model.")]
    return check_value(Q6, answer, bound, wrong, what="your bound", rtol=0, atol=tolerance, quiet=quiet)
