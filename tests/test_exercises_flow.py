"""Chapter 07's checks: the references pass; each typical mistake gets its own hint, never the answer."""

import numpy as np
import pytest
from keras import ops

from helpers.exercises import flow as ex
from helpers.models.flow import process


def _ops_loss(path="straight", target="velocity", reduce="sum", use_t=True):
    def loss(velocity, x, eps, t):
        x, eps = ops.cast(x, "float32"), ops.cast(eps, "float32")
        t_b = ops.reshape(ops.cast(t, "float32"), (-1,) + (1,) * (len(x.shape) - 1))
        x_t = (1 - t_b) * eps + t_b * x if path == "straight" else (1 - t_b) * x + t_b * eps
        want = {"velocity": x - eps, "sign": eps - x, "noise": eps, "data": x}[target]
        err = ops.reshape(velocity(x_t, t if use_t else ops.zeros_like(t)) - want, (ops.shape(x)[0], -1))
        per = ops.sum(ops.square(err), axis=1) if reduce == "sum" else ops.mean(ops.square(err), axis=1)
        return ops.mean(per)
    return loss


def test_the_reference_and_an_ops_rewrite_pass_and_agree_with_the_numpy_maths():
    assert ex.check_flow_matching_loss(ex.reference_flow_matching_loss, quiet=True).passed
    assert ex.check_flow_matching_loss(_ops_loss(), quiet=True).passed
    _, x, eps, t = ex.flow_loss_cases()[0]
    x_t = process.interpolate(x, eps, t)
    v = ops.convert_to_numpy(ex.stand_in_velocity(x_t, t))
    assert float(ex.reference_flow_matching_loss(ex.stand_in_velocity, x, eps, t)) == \
        pytest.approx(process.flow_matching_loss(v, x, eps), rel=1e-5)


@pytest.mark.parametrize(("variant", "mistake"), [
    (dict(path="reversed"), "reversed_path"), (dict(target="sign"), "target_sign"),
    (dict(target="noise"), "noise_target"), (dict(target="data"), "data_target"),
    (dict(reduce="mean"), "mean_over_numbers"), (dict(use_t=False), "no_time")])
def test_each_loss_mistake_gets_its_hint(variant, mistake):
    verdict = ex.check_flow_matching_loss(_ops_loss(**variant), quiet=True)
    assert verdict.mistakes == (mistake,), verdict.message
    assert "ops.mean(ops.sum" not in verdict.message


def test_a_numpy_loss_is_named_and_the_scaffold_is_not_attempted():
    def numpy_loss(velocity, x, eps, t):
        t_b = np.reshape(t, (-1,) + (1,) * (np.ndim(x) - 1))
        x_t = (1 - t_b) * eps + t_b * x
        err = (np.asarray(velocity(x_t, t)) - (x - eps)).reshape(len(x), -1)
        return float(np.mean(np.sum(err ** 2, axis=1)))

    assert "compiled graph" in ex.check_flow_matching_loss(numpy_loss, quiet=True).message

    def scaffold(velocity, x, eps, t):
        raise NotImplementedError()

    assert ex.check_flow_matching_loss(scaffold, quiet=True).status == "not attempted"


def _euler(direction=1, h=None, at_end=False, extra=0, path=False):
    def sampler(velocity, x0, steps):
        x, dt, xs = np.asarray(x0, np.float64), (h or 1.0 / steps), [np.asarray(x0, np.float64)]
        for i in range(steps + extra):
            t = (i + at_end) / steps if direction == 1 else 1 - i / steps
            x = x + direction * dt * np.asarray(velocity(x, t))
            xs.append(x)
        return np.stack(xs) if path else x
    return sampler


def test_the_euler_reference_matches_the_course_sampler_and_passes():
    assert ex.check_euler_sampler(ex.reference_euler_sampler, quiet=True).passed
    assert ex.check_euler_sampler(lambda v, x0, n: process.euler(v, x0, n), quiet=True).passed
    assert ex.check_euler_sampler(_euler(), quiet=True).passed


@pytest.mark.parametrize(("sampler", "mistake"), [
    (_euler(direction=-1), "backwards"), (_euler(h=1.0), "unit_steps"), (_euler(at_end=True), "end_of_step"),
    (_euler(extra=1), "one_step_too_many"), (_euler(extra=-1), "one_step_too_few"),
    (_euler(path=True), "returned_path")])
def test_each_sampler_mistake_gets_its_hint(sampler, mistake):
    verdict = ex.check_euler_sampler(sampler, quiet=True)
    assert verdict.mistakes == (mistake,), verdict.message


def test_training_with_the_reference_loss_matches_the_course_batch_for_batch():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (96, 28, 28), dtype=np.uint8)
    same = ex.train_with_yours(ex.reference_flow_matching_loss, x[:64], x[64:], epochs=1, width=8, batch_size=32,
                               run_eagerly=True)
    assert same["yours_batches"] == same["course_batches"] == 2
    assert same["yours"] == pytest.approx(same["course"], rel=1e-4)
    assert set(same["models"]) == {"yours", "course"}


def test_q1_names_the_variance_the_noise_factor_and_one_step():
    abar = process.alpha_bars(process.linear_betas(1000))
    assert ex.q1_signal_left(np.sqrt(abar[500]), abar, quiet=True).passed
    assert ex.q1_signal_left(None, abar, quiet=True).status == "not attempted"
    for answer, mistake in ((abar[500], "abar_not_sqrt"), (np.sqrt(1 - abar[500]), "noise_share"),
                            (np.sqrt(abar[0]), "one_step")):
        verdict = ex.q1_signal_left(answer, abar, quiet=True)
        assert verdict.mistakes == (mistake,) and f"{np.sqrt(abar[500]):.3f}" not in verdict.message


def test_q2_names_both_wrong_conventions():
    assert ex.q2_guidance_convention(1.5, quiet=True).passed
    assert ex.q2_guidance_convention(0.5, quiet=True).mistakes == ("same_number",)
    assert ex.q2_guidance_convention(-0.5, quiet=True).mistakes == ("wrong_way",)
    assert "too large" in ex.q2_guidance_convention(3.0, quiet=True).message


def test_a_static_batch_size_is_named_because_fit_traces_with_an_unknown_batch():
    def static_shape_loss(velocity, x, eps, t):
        x, eps = ops.cast(x, "float32"), ops.cast(eps, "float32")
        t_b = ops.reshape(ops.cast(t, "float32"), (-1,) + (1,) * (len(x.shape) - 1))
        err = ops.reshape(velocity((1 - t_b) * eps + t_b * x, t) - (x - eps), (x.shape[0], -1))
        return ops.mean(ops.sum(ops.square(err), axis=1))

    assert "ops.shape(x)[0]" in ex.check_flow_matching_loss(static_shape_loss, quiet=True).message
