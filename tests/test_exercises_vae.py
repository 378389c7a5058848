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


# ------------------------------------------------------------------ the end-of-chapter questions
def test_q1_the_kl_formula_passes_and_matches_the_courses_gaussian_kl():
    assert ex.q1_kl_1d(ex.reference_kl_1d, quiet=True).passed
    assert ex.q1_kl_1d(lambda mu, var: -0.5 * (1 + np.log(var) - mu ** 2 - var), quiet=True).passed  # rearranged
    assert ex.q1_kl_1d(lambda mu, var: ops.convert_to_numpy(
        L.gaussian_kl(np.array([[mu]], "float32"), np.log(np.array([[var]], "float32"))))[0], quiet=True).passed
    assert ex.reference_kl_1d(1.5, 0.25) == pytest.approx(0.5 * (2.25 + 0.25 - 1 + np.log(4)))  # by hand


def test_q1_scaffold_and_none_are_not_attempted():
    def scaffold(mu, var):
        raise NotImplementedError()

    assert ex.q1_kl_1d(scaffold, quiet=True).status == "not attempted"
    assert ex.q1_kl_1d(None, quiet=True).status == "not attempted"


@pytest.mark.parametrize("mistake", ex.KL_1D_MISTAKES, ids=[m.name for m in ex.KL_1D_MISTAKES])
def test_q1_each_kl_mistake_gets_its_own_hint_without_the_value(mistake):
    verdict = ex.q1_kl_1d(mistake.wrong, quiet=True)
    assert verdict.mistakes == (mistake.name,) and mistake.hint in verdict.message
    for mu, var in ex.KL_1D_CASES:
        value = ex.reference_kl_1d(mu, var)
        assert value == 0 or (f"{value:.2f}" not in verdict.message and f"{value:.3g}" not in verdict.message)


BETA_RUNS = {  # KL falls and reconstruction rises with β, except that β = 4 has the largest KL (for "highest")
    0.25: {"reconstruction": 80.0, "kl": 30.0, "neg_elbo": 110.0},
    1.0: {"reconstruction": 90.0, "kl": 18.0, "neg_elbo": 108.0},
    4.0: {"reconstruction": 120.0, "kl": 35.0, "neg_elbo": 155.0},
    8.0: {"reconstruction": 130.0, "kl": 5.0, "neg_elbo": 135.0},
}


def test_q2_the_right_pair_passes_and_none_is_not_attempted():
    assert ex.q2_beta_extremes((8.0, 0.25), BETA_RUNS, quiet=True).passed
    assert ex.q2_beta_extremes([8, 0.25], BETA_RUNS, quiet=True).passed
    assert ex.q2_beta_extremes(None, BETA_RUNS, quiet=True).status == "not attempted"
    assert ex.q2_beta_extremes((1.0, 1.0), {1.0: BETA_RUNS[1.0]}, quiet=True).passed  # smoke mode: one β


@pytest.mark.parametrize("answer, name", [
    ((0.25, 8.0), "swapped"), ((5.0, 80.0), "values_not_betas"), ((1.0, 1.0), "lowest_neg_elbo"),
    ((4.0, 8.0), "highest"), ((8.0, 0.5), "not_a_beta"),
])
def test_q2_each_wrong_pair_gets_its_own_hint_without_the_answer(answer, name):
    verdict = ex.q2_beta_extremes(answer, BETA_RUNS, quiet=True)
    assert verdict.mistakes == (name,), verdict.message
    assert "(8.0, 0.25)" not in verdict.message and "8, 0.25" not in verdict.message


@pytest.fixture(scope="module")
def tiny_vae_and_images():
    from helpers.models.vae import VAE

    x = (np.random.default_rng(0).random((200, 28, 28, 1)) < 0.2).astype("float32")
    vae = VAE(latent_dim=2, hidden=(16,), seed=0)
    vae.to_moments.bias.assign([3.0, 3.0, -2.0, -2.0])  # codes far from the prior: a KL of about 10 nats per image
    return vae, x


def test_q3_the_k1_estimate_passes_with_any_seed_and_the_elbo_is_within_noise(tiny_vae_and_images):
    vae, x = tiny_vae_and_images
    assert ex.q3_one_importance_sample(vae.importance_nll(x, k=1), vae, x, quiet=True).passed
    assert ex.q3_one_importance_sample(vae.importance_nll(x, k=1, seed=3), vae, x, quiet=True).passed
    assert ex.q3_one_importance_sample(vae.negative_elbo(x)["neg_elbo"], vae, x, quiet=True).passed
    assert ex.q3_one_importance_sample(None, vae, x, quiet=True).status == "not attempted"


@pytest.mark.parametrize("name", ["sign", "reconstruction_only", "kl_only", "many_samples"])
def test_q3_each_wrong_estimate_gets_its_own_hint_without_the_answer(tiny_vae_and_images, name):
    vae, x = tiny_vae_and_images
    want, scores = vae.importance_nll(x, k=1), vae.negative_elbo(x)
    answer = {"sign": -want, "reconstruction_only": scores["reconstruction"], "kl_only": scores["kl"],
              "many_samples": want - 20.0}[name]
    verdict = ex.q3_one_importance_sample(answer, vae, x, quiet=True)
    assert verdict.mistakes == (name,), verdict.message
    assert f"{want:.1f}" not in verdict.message and f"{want:.0f}" not in verdict.message
