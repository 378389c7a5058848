"""The maths of diffusion and flow matching, on NumPy arrays (chapter 07 §1-§4): no network, no Keras.

Two ways of turning noise into data share one picture, a path from a data point ``x`` to Gaussian noise
``eps``:

* **The DDPM forward process** (Ho et al., 2020): ``T`` small noising steps
  ``x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps_t``. Composed, they have a closed form,
  ``x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps`` with ``abar_t = prod_{s<=t} (1 - beta_s)``
  (:func:`noise_closed_form`, checked against :func:`noise_step` applied ``t`` times).
* **Flow matching / rectified flow** (Lipman et al., 2023; Liu et al., 2023): the straight path
  ``x_t = (1 - t) eps + t x`` for continuous ``t`` in [0, 1]. **Convention of this course: t = 0 is noise,
  t = 1 is data.** Its velocity ``dx_t/dt = x - eps`` (:func:`velocity_target`) is what the network learns;
  a sample is the ODE ``dx/dt = v(x, t)`` integrated from noise at t = 0 to data at t = 1
  (:func:`euler`, :func:`heun`).

A velocity prediction ``v`` at ``(x_t, t)`` also gives the noise and the data it implies
(:func:`implied_noise_and_data`), so the same network serves the DDIM step (deterministic) and an
ancestral DDPM-style step (stochastic) on this path (:func:`ddim_step`, :func:`ancestral_step`).

**Classifier-free guidance** (Ho & Salimans, 2022) mixes the conditional and the unconditional prediction,
``v = v_uncond + w (v_cond - v_uncond)`` (:func:`guided`). Convention of this course: ``w = 1`` is the plain
conditional model and ``w = 0`` the unconditional one; Ho & Salimans write ``(1 + w') v_cond - w' v_uncond``,
so their ``w'`` is our ``w - 1``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


# ------------------------------------------------------------------ the DDPM forward process (discrete t)
def linear_betas(steps: int = 1000, start: float = 1e-4, end: float = 0.02) -> np.ndarray:
    """Ho et al.'s schedule: ``beta_t`` rising linearly, ``steps`` values (chapter 07 §1)."""
    return np.linspace(start, end, steps, dtype=np.float64)


def cosine_betas(steps: int = 1000, offset: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """Nichol & Dhariwal's cosine schedule: ``abar_t = cos^2(((t/T + s)/(1 + s)) pi/2)`` (chapter 07 §1).

    It destroys information more evenly over the steps than the linear one, whose last few hundred steps
    see almost pure noise."""
    t = np.arange(steps + 1, dtype=np.float64) / steps
    abar = np.cos((t + offset) / (1 + offset) * np.pi / 2) ** 2
    return np.clip(1 - abar[1:] / abar[:-1], 0, max_beta)


def alpha_bars(betas) -> np.ndarray:
    """``abar_t = prod_{s<=t} (1 - beta_s)``: how much of ``x_0`` is left after ``t`` steps (chapter 07 §1)."""
    return np.cumprod(1.0 - np.asarray(betas, np.float64))


def noise_step(x_prev, beta: float, eps) -> np.ndarray:
    """One forward step ``x_t = sqrt(1 - beta) x_{t-1} + sqrt(beta) eps`` (chapter 07 §1)."""
    return np.sqrt(1.0 - beta) * np.asarray(x_prev) + np.sqrt(beta) * np.asarray(eps)


def noise_closed_form(x0, abar: float, eps) -> np.ndarray:
    """``x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps``: ``t`` forward steps in one (chapter 07 §1)."""
    return np.sqrt(abar) * np.asarray(x0) + np.sqrt(1.0 - abar) * np.asarray(eps)


def signal_to_noise(abar) -> np.ndarray:
    """``SNR_t = abar_t / (1 - abar_t)`` (chapter 07 §1): the schedules compared on one axis."""
    abar = np.asarray(abar, np.float64)
    return abar / (1.0 - abar)


# ------------------------------------------------------------------ the straight path (continuous t)
def interpolate(x, eps, t) -> np.ndarray:
    """``x_t = (1 - t) eps + t x``, ``t`` broadcast over the trailing axes of ``x`` (chapter 07 §2)."""
    x, eps = np.asarray(x), np.asarray(eps)
    t = np.reshape(np.asarray(t, x.dtype if x.dtype.kind == "f" else np.float64), (-1,) + (1,) * (x.ndim - 1))
    return (1.0 - t) * eps + t * x


def velocity_target(x, eps) -> np.ndarray:
    """``dx_t/dt = x - eps``, the flow-matching regression target (chapter 07 §2)."""
    return np.asarray(x) - np.asarray(eps)


def flow_matching_loss(v_pred, x, eps) -> float:
    """Mean over the batch of the squared error summed over each sample's numbers (chapter 07 §2).

    Summing per sample (not averaging over the numbers) keeps the scale of the objective independent of how
    many numbers an image has; the optimum, ``v(x_t, t) = E[x - eps | x_t]``, is the same either way."""
    err = np.asarray(v_pred, np.float64) - velocity_target(x, eps)
    return float(np.mean(np.sum(err.reshape(len(err), -1) ** 2, axis=1)))


def implied_noise_and_data(x_t, v, t) -> tuple[np.ndarray, np.ndarray]:
    """The ``(eps, x)`` that a velocity ``v`` at ``(x_t, t)`` implies: ``eps = x_t - t v``, ``x = x_t + (1 - t) v``.

    From ``x_t = (1 - t) eps + t x`` and ``v = x - eps`` (chapter 07 §3)."""
    x_t, v = np.asarray(x_t), np.asarray(v)
    return x_t - t * v, x_t + (1.0 - t) * v


def guided(v_cond, v_uncond, w: float) -> np.ndarray:
    """Classifier-free guidance ``v_uncond + w (v_cond - v_uncond)``; ``w = 1``: conditional (chapter 07 §5)."""
    v_cond, v_uncond = np.asarray(v_cond), np.asarray(v_uncond)
    return v_uncond + w * (v_cond - v_uncond)


# ------------------------------------------------------------------ samplers: from t = 0 (noise) to t = 1
Velocity = Callable[[np.ndarray, float], np.ndarray]


def time_grid(steps: int) -> np.ndarray:
    """``steps + 1`` evenly spaced times from 0 to 1 (chapter 07 §3)."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    return np.linspace(0.0, 1.0, steps + 1)


def euler(velocity: Velocity, x0, steps: int, trajectory: bool = False):
    """Integrate ``dx/dt = velocity(x, t)`` from ``t = 0`` to 1 with ``steps`` Euler steps (chapter 07 §3).

    One network call per step. With ``trajectory=True`` returns every intermediate ``x`` too."""
    x, grid, path = np.asarray(x0, np.float32), time_grid(steps), []
    for t0, t1 in zip(grid[:-1], grid[1:], strict=True):
        path.append(x)
        x = x + (t1 - t0) * np.asarray(velocity(x, float(t0)), np.float32)
    return (x, np.stack(path + [x])) if trajectory else x


def heun(velocity: Velocity, x0, steps: int, trajectory: bool = False):
    """Heun's method: an Euler step, then the average of the slopes at both of its ends (chapter 07 §3).

    Two network calls per step but second order: the error falls as 1/steps^2 instead of 1/steps."""
    x, grid, path = np.asarray(x0, np.float32), time_grid(steps), []
    for t0, t1 in zip(grid[:-1], grid[1:], strict=True):
        path.append(x)
        h = t1 - t0
        k1 = np.asarray(velocity(x, float(t0)), np.float32)
        k2 = np.asarray(velocity(x + h * k1, float(t1)), np.float32)
        x = x + h * 0.5 * (k1 + k2)
    return (x, np.stack(path + [x])) if trajectory else x


def ddim_step(x_t, v, t: float, t_next: float) -> np.ndarray:
    """Deterministic DDIM step on the straight path: keep the implied noise, move to ``t_next`` (chapter 07 §3).

    ``x_{t'} = (1 - t') eps_hat + t' x_hat``. On this path it equals the Euler step exactly: a useful check."""
    eps_hat, x_hat = implied_noise_and_data(x_t, v, t)
    return (1.0 - t_next) * eps_hat + t_next * x_hat


def ancestral_step(x_t, v, t: float, t_next: float, fresh_noise, churn: float = 1.0) -> np.ndarray:
    """A stochastic step: re-noise the implied data with part fresh noise (chapter 07 §3).

    ``churn`` in [0, 1] is the share of the noise *variance* that is drawn afresh: 0 is the DDIM step; 1
    forgets the implied noise entirely (each step re-noises the prediction from scratch, like DDPM's
    ancestral sampler with its maximal variance). The total noise level ``1 - t'`` is kept either way."""
    eps_hat, x_hat = implied_noise_and_data(x_t, v, t)
    noise = np.sqrt(1.0 - churn) * eps_hat + np.sqrt(churn) * np.asarray(fresh_noise)
    return (1.0 - t_next) * noise + t_next * x_hat
