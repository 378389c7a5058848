"""Chapter 04's checks: the reference passes, each typical mistake gets its own hint, nothing leaks the answer."""

import numpy as np
import pytest
from keras import ops

from helpers.exercises import vae as ex
from helpers.models.vae import losses as L


def _ops_version(mistake):
    """The numpy wrong version, returned as a tensor (learners write keras.ops code)."""
    return lambda *args: ops.convert_to_tensor(np.asarray(mistake.wrong(*args), np.float32))


def test_reference_passes_and_matches_a_hand_computed_value(capsys):
    assert ex.check_negative_elbo(ex.reference_negative_elbo).passed
    assert capsys.readouterr().out.strip() == "Exercise 4.1 (negative ELBO): pass ✓"
    # One pixel-free sanity value by hand: logits 0 → each of 784 pixels costs log 2; mu=0, log_var=0 → KL 0.
    x, logits = np.ones((1, 28, 28, 1), "float32"), np.zeros((1, 28, 28, 1), "float32")
    value = ex.reference_negative_elbo(x, logits, np.zeros((1, 2), "float32"), np.zeros((1, 2), "float32"))
    assert np.allclose(ops.convert_to_numpy(value), [784 * np.log(2)], rtol=1e-5)
    # mu=1, log_var=0 in 2-D → KL = 0.5 * (1 + 1) = 1 nat.
    kl = L.gaussian_kl(np.ones((1, 2), "float32"), np.zeros((1, 2), "float32"))
    assert np.allclose(ops.convert_to_numpy(kl), [1.0])


def test_a_keras_ops_solution_written_differently_passes():
    def mine(x, logits, mu, log_var):
        x = ops.reshape(x, (ops.shape(x)[0], -1))
        logits = ops.reshape(logits, (ops.shape(logits)[0], -1))
        bce = ops.sum(ops.maximum(logits, 0) - logits * x + ops.log1p(ops.exp(-ops.abs(logits))), axis=1)
        kl = -0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=1)
        return bce + kl

    assert ex.check_negative_elbo(mine, quiet=True).passed


@pytest.mark.parametrize("mistake", ex.ELBO_MISTAKES, ids=[m.name for m in ex.ELBO_MISTAKES])
def test_each_elbo_mistake_gets_its_own_hint(mistake):
    verdict = ex.check_negative_elbo(_ops_version(mistake), quiet=True)
    assert verdict.status == "hint" and verdict.mistakes[:1] == (mistake.name,)
    assert mistake.hint in verdict.message


def test_not_attempted_does_not_raise():
    def scaffold(x, logits, mu, log_var):
        raise NotImplementedError  # TODO

    verdict = ex.check_negative_elbo(scaffold, quiet=True)
    assert verdict.status == "not attempted" and not verdict
    assert ex.check_negative_elbo(lambda *a: None, quiet=True).status == "not attempted"
    assert ex.check_negative_elbo(None, quiet=True).status == "not attempted"


def test_generic_hints_wrong_shape_nan_and_exceptions():
    flat = ex.check_negative_elbo(lambda x, lg, m, v: ops.reshape(lg, (ops.shape(lg)[0], -1)), quiet=True)
    assert "has shape" in flat.message and "expected" in flat.message
    nan = ex.check_negative_elbo(lambda x, lg, m, v: ex.reference_negative_elbo(x, lg, m, v) * np.nan, quiet=True)
    assert "NaN" in nan.message
    boom = ex.check_negative_elbo(lambda x, lg, m, v: x.no_such_thing, quiet=True)
    assert boom.status == "hint" and "AttributeError" in boom.message


def test_hints_never_show_the_reference_value():
    for mistake in ex.ELBO_MISTAKES:
        message = ex.check_negative_elbo(_ops_version(mistake), quiet=True).message
        for case in ex.elbo_cases():
            for value in np.ravel(ops.convert_to_numpy(ex.reference_negative_elbo(*case))):
                assert f"{value:.1f}" not in message and f"{value:.3g}" not in message


# ------------------------------------------------------------------ exercise 4.2
def test_reparameterize_reference_passes():
    assert ex.check_reparameterize(ex.reference_reparameterize, quiet=True).passed


@pytest.mark.parametrize("mistake", ex.REPARAMETERIZE_MISTAKES, ids=[m.name for m in ex.REPARAMETERIZE_MISTAKES])
def test_each_reparameterize_mistake_gets_its_own_hint(mistake):
    verdict = ex.check_reparameterize(_ops_version(mistake), quiet=True)
    assert verdict.mistakes[:1] == (mistake.name,) and mistake.hint in verdict.message


def test_reparameterize_in_numpy_is_caught_because_no_gradient_flows():
    def numpy_version(mu, log_var, eps):
        return ops.convert_to_tensor(np.asarray(mu) + np.exp(0.5 * np.asarray(log_var)) * np.asarray(eps))

    verdict = ex.check_reparameterize(numpy_version, quiet=True)
    assert verdict.status == "hint" and "no gradient reaches mu or log_var" in verdict.message


def test_reparameterize_that_draws_its_own_noise_is_caught():
    import keras

    verdict = ex.check_reparameterize(
        lambda mu, log_var, eps: mu + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mu)), quiet=True)
    assert verdict.mistakes == ("own_noise",) and "use the eps you are given" in verdict.message


def test_training_with_correct_pieces_matches_the_course_vae(tmp_path):
    rng = np.random.default_rng(0)
    x = (rng.random((512, 28, 28)) < 0.2).astype("float32")
    result = ex.train_with_yours(ex.reference_negative_elbo, ex.reference_reparameterize, x[:384], x[384:],
                                 epochs=1, latent_dim=4, batch_size=128)
    assert np.isclose(result["yours"], result["course"], rtol=1e-4)
    wrong = ex.train_with_yours(lambda x, lg, m, v: L.bernoulli_nll(x, lg) / 784 + L.gaussian_kl(m, v), None,
                                x[:384], x[384:], epochs=1, latent_dim=4, batch_size=128)
    assert not np.isclose(wrong["yours"], wrong["course"], rtol=1e-3)
