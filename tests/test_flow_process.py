"""Chapter 07's maths: the noising process, the flow-matching target and loss, guidance and the samplers."""

import math

import numpy as np
import pytest

from helpers.models.flow import process as P


@pytest.mark.parametrize("betas", [P.linear_betas(200), P.cosine_betas(200)], ids=["linear", "cosine"])
def test_the_closed_form_is_the_iterated_steps(betas):
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1, 1, 4)
    abar = P.alpha_bars(betas)
    # Without noise the steps shrink x0 by sqrt(abar_t) exactly ...
    x = x0.copy()
    for beta in betas:
        x = P.noise_step(x, beta, np.zeros_like(x0))
    np.testing.assert_allclose(x, P.noise_closed_form(x0, abar[-1], 0.0), rtol=1e-12)
    # ... and the noise variance follows v_t = (1 - beta_t) v_{t-1} + beta_t = 1 - abar_t.
    var = 0.0
    for t, beta in enumerate(betas):
        var = (1 - beta) * var + beta
        assert math.isclose(var, 1 - abar[t], rel_tol=1e-9)
    # ... and 50 steps on 200,000 noisy copies match the closed form's mean and spread.
    xs = np.full(200_000, 0.7)
    for beta in betas[:50]:
        xs = P.noise_step(xs, beta, rng.standard_normal(xs.shape))
    assert abs(xs.mean() - math.sqrt(abar[49]) * 0.7) < 0.01
    assert abs(xs.std() - math.sqrt(1 - abar[49])) < 0.01


def test_the_schedules_start_near_data_and_end_near_noise_and_the_cosine_one_is_gentler():
    lin, cos = P.alpha_bars(P.linear_betas(1000)), P.alpha_bars(P.cosine_betas(1000))
    assert lin[0] > 0.999 and cos[0] > 0.999 and lin[-1] < 1e-4 and cos[-1] < 1e-4
    assert np.all(np.diff(lin) < 0) and np.all(np.diff(cos) < 0)
    # The linear schedule has destroyed most of the signal by mid-way; the cosine one keeps more.
    assert cos[500] > 2 * lin[500]
    assert P.signal_to_noise(np.array([0.5]))[0] == pytest.approx(1.0)


def test_the_straight_path_its_velocity_and_the_loss_by_hand():
    x, eps = np.array([[1.0, 3.0]]), np.array([[-1.0, 1.0]])
    np.testing.assert_allclose(P.interpolate(x, eps, 0.0), eps)
    np.testing.assert_allclose(P.interpolate(x, eps, 1.0), x)
    np.testing.assert_allclose(P.interpolate(x, eps, 0.25), [[-0.5, 1.5]])
    np.testing.assert_allclose(P.velocity_target(x, eps), [[2.0, 2.0]])
    # (3 - 2)^2 + (0 - 2)^2 = 5 for the first sample, (2-2)^2 + (2-2)^2 = 0 for the second: mean 2.5.
    v = np.array([[3.0, 0.0], [2.0, 2.0]])
    assert P.flow_matching_loss(v, np.vstack([x, x]), np.vstack([eps, eps])) == pytest.approx(2.5)


def test_the_velocity_implies_the_noise_and_the_data_it_came_from():
    rng = np.random.default_rng(1)
    x, eps = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    x_t = P.interpolate(x, eps, 0.3)
    eps_hat, x_hat = P.implied_noise_and_data(x_t, P.velocity_target(x, eps), 0.3)
    np.testing.assert_allclose(eps_hat, eps, atol=1e-12)
    np.testing.assert_allclose(x_hat, x, atol=1e-12)


def test_guidance_convention_w1_is_conditional_w0_unconditional():
    cond, uncond = np.array([2.0]), np.array([1.0])
    assert P.guided(cond, uncond, 1.0)[0] == 2.0 and P.guided(cond, uncond, 0.0)[0] == 1.0
    assert P.guided(cond, uncond, 3.0)[0] == 4.0  # = Ho & Salimans' (1 + 2) cond - 2 uncond


def test_samplers_integrate_known_fields_to_the_known_answers():
    x0 = np.array([1.0, -2.0], np.float32)
    # dx/dt = x: x(1) = e x0; Euler gives (1 + 1/n)^n, Heun (1 + h + h^2/2)^n.
    np.testing.assert_allclose(P.euler(lambda x, t: x, x0, 10), (1.1 ** 10) * x0, rtol=1e-5)
    np.testing.assert_allclose(P.heun(lambda x, t: x, x0, 10), (1 + 0.1 + 0.005) ** 10 * x0, rtol=1e-5)
    assert abs(P.heun(lambda x, t: x, x0, 10)[0] - math.e) < abs(P.euler(lambda x, t: x, x0, 10)[0] - math.e) / 20
    # dx/dt = 2t: x(1) = x0 + 1; Euler misses by 1/n, Heun (the trapezoid rule) is exact for a linear slope.
    np.testing.assert_allclose(P.euler(lambda x, t: np.full_like(x, 2 * t), x0, 4), x0 + 0.75, rtol=1e-6)
    np.testing.assert_allclose(P.heun(lambda x, t: np.full_like(x, 2 * t), x0, 4), x0 + 1.0, rtol=1e-6)
    _, path = P.euler(lambda x, t: x, x0, 5, trajectory=True)
    assert path.shape == (6, 2) and np.allclose(path[0], x0)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        P.time_grid(0)


def test_one_euler_step_suffices_when_the_paths_are_straight():
    """For a single data point the exact velocity (x* - x_t) / (1 - t) carries noise to x* in one step."""
    target = np.array([0.3, -0.8], np.float32)
    exact = lambda x, t: (target - x) / (1.0 - t)  # noqa: E731
    noise = np.random.default_rng(2).standard_normal((4, 2)).astype(np.float32)
    np.testing.assert_allclose(P.euler(exact, noise, 1), np.tile(target, (4, 1)), atol=1e-6)


def test_ddim_is_the_euler_step_and_ancestral_steps_keep_the_noise_level():
    rng = np.random.default_rng(3)
    x_t, v, fresh = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    np.testing.assert_allclose(P.ddim_step(x_t, v, 0.2, 0.5), x_t + 0.3 * v, atol=1e-12)
    np.testing.assert_allclose(P.ancestral_step(x_t, v, 0.2, 0.5, fresh, churn=0.0), P.ddim_step(x_t, v, 0.2, 0.5))
    eps_hat, x_hat = P.implied_noise_and_data(x_t, v, 0.2)
    np.testing.assert_allclose(P.ancestral_step(x_t, v, 0.2, 0.5, fresh, churn=1.0), 0.5 * fresh + 0.5 * x_hat)
