"""Bad inputs get clear errors naming the argument (one test per case)."""

import functools

import pytest

import jax
import jax.numpy as jnp

import jaxpapers.perturbation_lm as pl

KEY = jax.random.key(0)
TOKENS = jnp.arange(8, dtype=jnp.int32)
TABLE = pl.class_synonyms(8, 2)


@pytest.mark.parametrize("rho", [-0.1, 1.5])
def test_rho_outside_unit_interval(own_validation, rho):
    with pytest.raises(ValueError, match="rho must"):
        pl.perturb_synonym(KEY, TOKENS, class_size=2, rho=rho)


@pytest.mark.parametrize("field", ["replace", "insert", "swap", "delete"])
def test_eda_rate_outside_unit_interval(own_validation, field):
    with pytest.raises(ValueError, match=f"rates.{field} must"):
        pl.perturb_eda(KEY, TOKENS, jnp.ones(8, bool), TABLE, pl.EDARates(**{field: 1.2}))


def test_traced_bad_rate_fails_at_run_time():
    f = jax.jit(lambda rho: pl.perturb_synonym(KEY, TOKENS, class_size=2, rho=rho))
    with pytest.raises(Exception, match="rho must lie in"):
        jax.block_until_ready(f(jnp.float32(2.0)))


def test_token_outside_vocabulary_synonym(own_validation):
    with pytest.raises(ValueError, match=r"tokens must hold token ids in \[0, 8\)"):
        pl.perturb_synonym(KEY, TOKENS + 1, class_size=2, rho=0.5, vocab_size=8)


def test_token_outside_vocabulary_eda(own_validation):
    with pytest.raises(ValueError, match=r"tokens must hold token ids in \[0, 8\)"):
        pl.perturb_eda(KEY, TOKENS.at[0].set(-1), jnp.ones(8, bool), TABLE, pl.EDARates())


def test_token_outside_vocabulary_scm(own_validation):
    scm = pl.make_scm(KEY, 3, 2, 2, 0.5)
    with pytest.raises(ValueError, match=r"contexts must hold token ids in \[0, 6\)"):
        pl.true_next_dist(scm, jnp.array([[0, 6]]))


def test_target_outside_vocabulary(own_validation):
    kernel = functools.partial(pl.perturb_synonym, class_size=2, rho=0.0)
    with pytest.raises(ValueError, match=r"y must hold token ids in \[0, 4\)"):
        pl.aug_nll(jnp.zeros((4, 4)), lambda w, x: w[x[:, -1]], KEY, jnp.zeros((2, 2), jnp.int32),
                   jnp.array([0, 4]), kernel)  # fmt: skip


@pytest.mark.parametrize("fn", ["predict_marginal", "perturbed_copies"])
def test_num_samples_below_one(own_validation, fn):
    kernel = functools.partial(pl.perturb_synonym, class_size=2, rho=0.5)
    x = jnp.zeros((2, 2), jnp.int32)
    with pytest.raises(ValueError, match="num_samples must be an integer >= 1, got 0"):
        if fn == "predict_marginal":
            pl.predict_marginal(jnp.zeros((4, 4)), lambda w, x: w[x[:, -1]], KEY, x, kernel, 0)
        else:
            pl.perturbed_copies(KEY, x, kernel, 0)


def test_config_num_samples_below_one(own_validation):
    with pytest.raises(ValueError, match="num_samples must be an integer >= 1"):
        pl.Config(num_samples=0)


def test_class_size_that_does_not_divide_the_vocabulary(own_validation):
    with pytest.raises(ValueError, match="class_size must divide the vocabulary size 10, got 4"):
        pl.perturb_synonym(KEY, TOKENS, class_size=4, rho=0.5, vocab_size=10)


def test_class_synonyms_class_size_that_does_not_divide(own_validation):
    with pytest.raises(ValueError, match="class_size must divide the vocabulary size 9, got 2"):
        pl.class_synonyms(9, 2)


def test_unknown_objective(own_validation):
    with pytest.raises(ValueError, match="objective must be"):
        pl.Config(objective="elbo")


def test_float_tokens(own_validation):
    with pytest.raises(TypeError, match="tokens must hold integer token ids"):
        pl.perturb_synonym(KEY, jnp.zeros(3), class_size=2, rho=0.5)


def test_mismatched_context_lengths(own_validation):
    with pytest.raises(ValueError, match="same context length"):
        pl.split_support(jnp.zeros((3, 2), jnp.int32), jnp.zeros((3, 3), jnp.int32))
