"""Chapter 04's build-it exercises: the negative ELBO and the reparameterisation trick.

``check_negative_elbo(fn)`` and ``check_reparameterize(fn)`` judge the learner's functions against
:mod:`helpers.models.vae`'s, naming the usual mistakes; :func:`train_with_yours` then trains a VAE with the
learner's pieces and the same one with the course's, for the same epochs and seed, so the two can be
compared on the validation split.
The end-of-chapter questions have one check each (``q1_kl_1d`` ...), which never prints the answer: Q1 runs the
learner's ``kl_1d(mu, var)`` on several pairs, Q2 and Q3 compute their reference from the chapter's models.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from ..models.vae import losses as L
from .core import HINT, Mistake, Verdict, WrongValue, announce, check, check_value, hint, to_numpy

PIXELS = 784


# ------------------------------------------------------------------ exercise 4.1: the negative ELBO
def reference_negative_elbo(x, logits, mu, log_var):
    """``-log p(x|z) + KL(q(z|x) || N(0, I))`` per image, in nats (chapter 04, exercise 4.1's reference)."""
    return L.bernoulli_nll(x, logits) + L.gaussian_kl(mu, log_var)


def _flat(a):
    a = np.asarray(a, np.float64)
    return a.reshape(len(a), -1)


def _np_bce_sum(x, logits):
    x, lg = _flat(x), _flat(logits)
    return np.sum(np.logaddexp(0, lg) - x * lg, axis=1)


def _np_kl(mu, log_var, half=0.5, use_exp=True):
    mu, lv = np.asarray(mu, np.float64), np.asarray(log_var, np.float64)
    var = np.exp(lv) if use_exp else lv
    return half * np.sum(mu ** 2 + var - 1 - lv, axis=1)


def _bce_on_logits_as_probabilities(x, logits):
    x, p = _flat(x), np.clip(_flat(logits), 1e-7, 1 - 1e-7)
    return np.sum(-(x * np.log(p) + (1 - x) * np.log(1 - p)), axis=1)


def _squared_error(x, logits):
    return np.sum((_flat(x) - 1 / (1 + np.exp(-_flat(logits)))) ** 2, axis=1)


ELBO_MISTAKES = (
    Mistake("mean_over_pixels", lambda x, lg, m, v: _np_bce_sum(x, lg) / PIXELS + _np_kl(m, v),
            "your reconstruction term is the *mean* over pixels; −log p(x|z) is a product of 784 coin flips, "
            "so its log is a *sum* over the pixels (a factor of 784)."),
    Mistake("no_kl", lambda x, lg, m, v: _np_bce_sum(x, lg),
            "only the reconstruction term is there: the KL term of q(z|x) against the prior N(0, I) is missing."),
    Mistake("kl_sign", lambda x, lg, m, v: _np_bce_sum(x, lg) - _np_kl(m, v),
            "the KL term has the wrong sign: the ELBO is E[log p(x|z)] − KL, so its negative *adds* the KL."),
    Mistake("kl_no_half", lambda x, lg, m, v: _np_bce_sum(x, lg) + _np_kl(m, v, half=1.0),
            "the KL term is twice too large: look at the factor in front of the closed form."),
    Mistake("kl_no_exp", lambda x, lg, m, v: _np_bce_sum(x, lg) + _np_kl(m, v, use_exp=False),
            "in the KL term you used log_var where the variance σ² = exp(log_var) belongs."),
    Mistake("logits_as_probabilities", lambda x, lg, m, v: _bce_on_logits_as_probabilities(x, lg) + _np_kl(m, v),
            "the decoder returns logits, not probabilities: use a cross-entropy *from logits* "
            "(or apply the sigmoid first; softplus(l) − x·l is the stable form)."),
    Mistake("squared_error", lambda x, lg, m, v: _squared_error(x, lg) + _np_kl(m, v),
            "that is a squared-error reconstruction term (a Gaussian decoder); this chapter's decoder is "
            "Bernoulli, so −log p(x|z) is the binary cross-entropy summed over pixels."),
    Mistake("batch_mean", lambda x, lg, m, v: np.mean(_np_bce_sum(x, lg) + _np_kl(m, v)),
            "you returned one number for the whole batch; return one value per image, shape (N,) — the "
            "training step takes the mean over the batch itself."),
    Mistake("batch_sum", lambda x, lg, m, v: np.sum(_np_bce_sum(x, lg) + _np_kl(m, v)),
            "you summed over the batch as well; return one value per image, shape (N,)."),
)


def elbo_cases(seed: int = 4) -> list[tuple]:
    """Fixed inputs for exercise 4.1: binary and grey images, their logits, a 3-D latent (tests)."""
    rng = np.random.default_rng(seed)
    cases = []
    for n, d, binary in ((4, 3, True), (3, 2, False)):
        x = rng.random((n, 28, 28, 1)).astype("float32")
        if binary:
            x = (x < 0.3).astype("float32")
        logits = rng.normal(0.0, 2.0, (n, 28, 28, 1)).astype("float32")
        mu = rng.normal(0.0, 1.0, (n, d)).astype("float32")
        log_var = rng.normal(-0.5, 0.7, (n, d)).astype("float32")
        cases.append(tuple(ops.convert_to_tensor(a) for a in (x, logits, mu, log_var)))
    return cases


def check_negative_elbo(negative_elbo, quiet: bool = False) -> Verdict:
    """Chapter 04, exercise 4.1: is ``negative_elbo(x, logits, mu, log_var)`` the per-image negative ELBO?"""
    return check("Exercise 4.1 (negative ELBO)", negative_elbo, reference_negative_elbo, elbo_cases(),
                 ELBO_MISTAKES, what="your negative ELBO", rtol=1e-4, atol=1e-3,
                 factors={1 / PIXELS: "a mean over the 784 pixels instead of a sum?", -1.0: "a flipped sign?"},
                 quiet=quiet)


# ------------------------------------------------------------------ exercise 4.2: the reparameterisation
def reference_reparameterize(mu, log_var, eps):
    """``z = mu + exp(log_var / 2) * eps`` (chapter 04, exercise 4.2's reference)."""
    return mu + ops.exp(0.5 * log_var) * eps


REPARAMETERIZE_MISTAKES = (
    Mistake("variance_not_std", lambda m, v, e: np.asarray(m) + np.exp(np.asarray(v)) * np.asarray(e),
            "you scaled the noise by the variance exp(log_var); z needs the standard deviation σ = exp(log_var / 2)."),
    Mistake("log_var_as_std", lambda m, v, e: np.asarray(m) + np.asarray(v) * np.asarray(e),
            "log_var is the *logarithm* of the variance: turn it into a standard deviation before scaling eps."),
    Mistake("no_mean", lambda m, v, e: np.exp(0.5 * np.asarray(v)) * np.asarray(e),
            "z must be centred on mu: the mean is missing."),
    Mistake("no_noise", lambda m, v, e: np.asarray(m) + np.exp(0.5 * np.asarray(v)),
            "the noise eps is missing: without it z is not a sample from q(z|x)."),
)


def reparameterize_cases(seed: int = 5) -> list[tuple]:
    """Fixed ``(mu, log_var, eps)`` for exercise 4.2 (tests)."""
    rng = np.random.default_rng(seed)
    return [tuple(ops.convert_to_tensor(rng.normal(c, s, (4, 3)).astype("float32"))
                  for c, s in ((0.5, 1.0), (-0.3, 0.8), (0.0, 1.0)))]


def _gradient_problem(reparameterize) -> str | None:
    """``None`` when d z / d mu and d z / d log_var are the reparameterisation's; else a hint."""
    import tensorflow as tf

    mu, log_var, eps = reparameterize_cases()[0]
    mu, log_var = tf.Variable(mu), tf.Variable(log_var)
    with tf.GradientTape() as tape:
        z = reparameterize(mu, log_var, eps)
        total = tf.reduce_sum(z)
    d_mu, d_log_var = tape.gradient(total, [mu, log_var])
    if d_mu is None or d_log_var is None:
        return ("no gradient reaches mu or log_var: compute z with keras.ops (not NumPy, not .numpy()), or the "
                "encoder cannot learn from the loss — that is the whole point of the trick.")
    if not np.allclose(d_mu.numpy(), 1.0, atol=1e-5):
        return "the gradient of z with respect to mu should be 1: does mu enter z once, unscaled?"
    return None


def check_reparameterize(reparameterize, quiet: bool = False) -> Verdict:
    """Chapter 04, exercise 4.2: is ``reparameterize(mu, log_var, eps)`` the reparameterisation trick?"""
    verdict = _own_noise(reparameterize)
    if verdict is None:
        verdict = check("Exercise 4.2 (reparameterisation)", reparameterize, reference_reparameterize,
                        reparameterize_cases(), REPARAMETERIZE_MISTAKES, what="your z", extra=_gradient_problem,
                        quiet=True)
    return announce(verdict, quiet)


def _own_noise(reparameterize) -> Verdict | None:
    """A hint when two calls with the same inputs disagree: the learner draws noise instead of using eps."""
    if not callable(reparameterize):
        return None
    case = reparameterize_cases()[0]
    try:
        first, second = (np.asarray(reparameterize(*case), np.float64) for _ in range(2))
    except Exception:  # noqa: BLE001 - the main check reports exceptions and "not attempted"
        return None
    if first.shape == second.shape and not np.allclose(first, second):
        return Verdict("Exercise 4.2 (reparameterisation)", "hint",
                       "Exercise 4.2 (reparameterisation): not yet — two calls with the same inputs gave different "
                       "z: use the eps you are given instead of drawing new noise (the training step draws it).",
                       ("own_noise",))
    return None


# ------------------------------------------------------------------ using the learner's pieces
def vae_with_your_pieces(negative_elbo=None, reparameterize=None):
    """A :class:`~helpers.models.vae.VAE` subclass whose ``train_step`` uses the learner's functions (chapter 04).

    Either piece may be ``None`` (the course's is used). Randomness is drawn exactly as the course's VAE
    draws it, so with correct pieces both train to the same weights.
    """
    import keras

    from ..models.vae import VAE

    loss_fn = negative_elbo or reference_negative_elbo
    reparam_fn = reparameterize or reference_reparameterize

    class VAEWithYourPieces(VAE):
        """The chapter's VAE, trained with the learner's negative ELBO and reparameterisation."""

        def reparameterize(self, mu, log_var, seed=None):
            eps = keras.random.normal(ops.shape(mu), seed=self.seed_generator if seed is None else seed)
            return reparam_fn(mu, log_var, eps)

        def train_step(self, data):
            import tensorflow as tf

            x, labels = self._prepare(data)
            with tf.GradientTape() as tape:
                mu, log_var = self.encode(x, labels)
                logits = self.decode_logits(self.reparameterize(mu, log_var), labels)
                loss = ops.mean(loss_fn(x, logits, mu, log_var))
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
            return self._update(L.bernoulli_nll(x, logits), L.gaussian_kl(mu, log_var), loss)

    return VAEWithYourPieces


def train_with_yours(negative_elbo, reparameterize, x_train, x_val, epochs: int = 2, latent_dim: int = 16,
                     batch_size: int = 128, seed: int = 0) -> dict:
    """Train the chapter's VAE once with the learner's pieces and once with the course's; validation −ELBO of each.

    Same architecture, data, epochs and seed; nothing is stored (chapter 04, after exercises 4.1-4.2).
    Returns ``{"yours": nats, "course": nats}`` on ``x_val`` (binarised once, seed 0).
    """
    from ..models.vae import VAE, compile_vae, fit_vae
    from ..seeding import seeded

    x_val_bin = L.binarize(x_val, seed=0)
    results = {}
    for who, cls in (("yours", vae_with_your_pieces(negative_elbo, reparameterize)), ("course", VAE)):
        with seeded(seed):  # the same initial weights for both; the learner's random state is left as it was
            model = compile_vae(cls(latent_dim=latent_dim, seed=seed))
            fit_vae(model, x_train, epochs=epochs, batch_size=batch_size, seed=seed)
            results[who] = float(model.negative_elbo(x_val_bin, seed=0)["neg_elbo"])
    return results


# ------------------------------------------------------------------ the end-of-chapter questions
Q1, Q2, Q3 = "Q1 (the KL of a Gaussian)", "Q2 (what β does)", "Q3 (one importance sample)"


def reference_kl_1d(mu, var):
    """``KL(N(mu, var) || N(0, 1))`` in nats, one dimension, from the variance (chapter 04, Q1's reference)."""
    return 0.5 * (mu ** 2 + var - 1.0 - np.log(var))


KL_1D_MISTAKES = (
    Mistake("log_sigma", lambda m, v: 0.5 * (m ** 2 + v - 1 - 0.5 * np.log(v)),
            "the log term is the log of the *variance*, log σ² = log var; you used log σ (half of it)."),
    Mistake("no_half", lambda m, v: m ** 2 + v - 1 - np.log(v),
            "your KL is twice too large: the expectation of each log-density brings a factor in front."),
    Mistake("negated", lambda m, v: -reference_kl_1d(m, v),
            "your KL is negative: a KL divergence is never below 0. Which density goes first, E_q[log q − log p]?"),
    Mistake("log_sign", lambda m, v: 0.5 * (m ** 2 + v - 1 + np.log(v)),
            "the log term has the wrong sign: −log σ² comes from E_q[log q], the entropy side, so a *narrow* q "
            "(small σ²) must cost more, not less."),
    Mistake("no_minus_one", lambda m, v: 0.5 * (m ** 2 + v - np.log(v)),
            "your KL is not 0 for q = p (μ = 0, σ² = 1): a constant is missing — E_q[(z − μ)²/σ²] = 1 brings it."),
    Mistake("mu_not_squared", lambda m, v: 0.5 * (m + v - 1 - np.log(v)),
            "the mean enters through E_q[z²] = μ² + σ²: square it (a negative μ costs as much as a positive one)."),
    Mistake("var_as_std", lambda m, v: 0.5 * (m ** 2 + v ** 2 - 1 - np.log(v ** 2)),
            "you treated `var` as the standard deviation σ; it is the variance σ² itself."),
    Mistake("var_as_log_var", lambda m, v: 0.5 * (m ** 2 + np.exp(v) - 1 - v),
            "you treated `var` as log σ² (what V.gaussian_kl takes); here it is the variance σ² itself."),
)
KL_1D_CASES = ((1.5, 0.25), (-0.8, 2.0), (0.0, 1.0), (0.3, 0.05), (-2.0, 4.0))


def q1_kl_1d(kl_1d, quiet: bool = False) -> Verdict:
    """Chapter 04, Q1: is ``kl_1d(mu, var)`` the KL of ``N(mu, var)`` from ``N(0, 1)``, tried on several pairs?"""
    return check(Q1, kl_1d, reference_kl_1d, KL_1D_CASES, KL_1D_MISTAKES, what="your KL", rtol=1e-4, atol=1e-6,
                 factors={-1.0: "a flipped sign?", 2.0: "a missing factor?"}, quiet=quiet)


def _refine(verdict: Verdict, better: Verdict | None) -> Verdict:
    """A generic hint (no named mistake) replaced by a more specific one when the question's check has one."""
    if verdict.status == HINT and not verdict.mistakes and better is not None:
        return better
    return verdict


def q2_beta_extremes(answer, beta_runs: dict, quiet: bool = False) -> Verdict:
    """Chapter 04, Q2: ``(β with the lowest KL, β with the lowest reconstruction error)`` among ``beta_runs``.

    ``beta_runs`` is the chapter's ``{β: model.negative_elbo(x_test_bin)}`` of section 5.
    """
    betas = sorted(beta_runs)

    def lowest(term):
        return min(betas, key=lambda b: beta_runs[b][term])

    want = (lowest("kl"), lowest("reconstruction"))
    wrong = [WrongValue("swapped", want[::-1], "the first number is the β with the lowest *KL*, the second the β with "
                                               "the lowest *reconstruction error*: check which column you read for "
                                               "which."),
             WrongValue("values_not_betas", (beta_runs[want[0]]["kl"], beta_runs[want[1]]["reconstruction"]),
                        "those are the lowest KL and reconstruction values; the question asks *which β* gives them."),
             WrongValue("lowest_neg_elbo", (lowest("neg_elbo"),) * 2,
                        "that is the β with the lowest −ELBO for both; look at the KL and the reconstruction columns "
                        "separately."),
             WrongValue("highest", (max(betas, key=lambda b: beta_runs[b]["kl"]),
                                    max(betas, key=lambda b: beta_runs[b]["reconstruction"])),
                        "those give the *highest* KL and reconstruction error; the question asks for the lowest.")]
    verdict = check_value(Q2, answer, want, wrong, what="your pair of β values", rtol=1e-6, atol=1e-9, quiet=True)
    got = to_numpy(answer)
    if got is not None and got.shape == (2,) and not all(np.any(np.isclose(b, betas)) for b in got):
        verdict = _refine(verdict, hint(Q2, "one of your values is not a β of section 5's runs (`BETAS`); answer "
                                            "with two of those β values.", "not_a_beta"))
    return announce(verdict, quiet)


def _one_sample_spread(vae, x, seed: int = 1) -> float:
    """The standard error (nats) of a one-sample estimate of the mean −ELBO over ``x``, from one draw per image."""
    import keras

    x = np.asarray(x, np.float32)
    mu, log_var = vae.encode(x)
    z = vae.reparameterize(mu, log_var, seed=keras.random.SeedGenerator(seed))
    log_w = (-L.bernoulli_nll(x, vae.decode_logits(z)) + L.gaussian_log_density(z, ops.zeros_like(z), ops.zeros_like(z))
             - L.gaussian_log_density(z, mu, log_var))
    log_w = ops.convert_to_numpy(log_w).astype(np.float64)
    return float(np.std(log_w, ddof=1) / np.sqrt(len(log_w)))


def q3_one_importance_sample(answer, vae, x, quiet: bool = False) -> Verdict:
    """Chapter 04, Q3: the importance-weighted NLL of ``x`` with k = 1 (any seed: within its sampling noise passes).

    ``vae`` is the chapter's model and ``x`` the binary test images of the question (``x_test_bin[:500]``).
    """
    want = vae.importance_nll(x, k=1)
    scores = vae.negative_elbo(x)
    atol = max(0.25, 5.0 * _one_sample_spread(vae, x))  # another seed differs by about √2 standard errors
    wrong = [WrongValue("sign", -want, "that is log p(x), a negative number: `importance_nll` returns the "
                                       "*negative* log-likelihood, nats per image."),
             WrongValue("reconstruction_only", scores["reconstruction"],
                        "that is the reconstruction term alone; the one-sample estimate log p(x|z) + log p(z) − "
                        "log q(z|x) includes the KL part as well."),
             WrongValue("kl_only", scores["kl"], "that is the KL term alone; the estimate includes the "
                                                 "reconstruction term as well.")]
    verdict = check_value(Q3, answer, want, wrong, what="your estimate", rtol=0, atol=atol, quiet=True)
    got = to_numpy(answer)
    if got is not None and got.size == 1 and 0 < float(got.ravel()[0]) < want - atol:
        verdict = _refine(verdict, hint(Q3, "your estimate is lower than a one-sample estimate can be, beyond its "
                                            "noise: with more than one importance sample per image (the default "
                                            "k is 100) the bound tightens. The question asks for k = 1.",
                                        "many_samples"))
    return announce(verdict, quiet)
