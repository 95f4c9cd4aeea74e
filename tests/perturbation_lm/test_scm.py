"""The synthetic language: exact conditionals (planted), sampler, support split, divergences."""

import numpy as np
import scipy.stats

import jax
import jax.numpy as jnp

import jaxpapers.perturbation_lm as pl
from jaxpapers.perturbation_lm import _study

SCM = pl.make_scm(jax.random.key(0), num_classes=6, class_size=4, order=3, alpha=0.3)


def test_conditionals_are_laws_that_ignore_synonyms():
    x = jax.random.randint(jax.random.key(1), (500, 3), 0, 24, jnp.int32)
    p = pl.true_next_dist(SCM, x)
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-5)
    swapped = pl.perturb_synonym(jax.random.key(2), x, class_size=4, rho=1.0)
    np.testing.assert_allclose(pl.true_next_dist(SCM, swapped), p, atol=1e-7)


def test_conditionals_follow_the_formula():
    x = jnp.array([[1, 9, 22]], jnp.int32)  # classes 0, 2, 5
    expected = np.asarray(SCM.transition)[0, 2, 5][:, None] * np.asarray(SCM.emission)
    np.testing.assert_allclose(pl.true_next_dist(SCM, x)[0], expected.reshape(-1), rtol=1e-6)


def test_synonym_weight_makes_the_last_synonym_matter():
    scm = pl.make_scm(jax.random.key(3), 6, 4, 3, 0.3, synonym_weight=1.0)
    a = pl.true_next_dist(scm, jnp.array([[0, 4, 8]]))
    b = pl.true_next_dist(scm, jnp.array([[0, 4, 9]]))  # same classes, another last synonym
    assert float(jnp.abs(a - b).max()) > 1e-3


def _cell_z(x, y, p):
    """z-scores of sum_t 1[class of x_t's last token = c] (onehot(y_t) - p*(.|x_t)), a
    martingale in t for each cell (c, v), divided by its standard error."""
    group = np.eye(6)[np.asarray(x)[:, -1] // 4]  # (n, 6)
    residual = np.eye(24)[np.asarray(y)] - p
    variance = group.T @ (p * (1 - p))
    return (group.T @ residual) / np.sqrt(np.maximum(variance, 1e-12))


def test_sampler_follows_the_true_conditionals():
    """Planted: every (last class, next token) cell's z-score is below 5 (144 cells: a false
    alarm has probability ~1e-4). A stream shifted by one position fails by far."""
    tokens = pl.sample_scm(jax.random.key(4), SCM, 30_000)
    x, y = pl.context_windows(tokens, 3)
    p = np.asarray(pl.true_next_dist(SCM, x), np.float64)
    assert np.max(np.abs(_cell_z(x, y, p))) < 5
    assert np.max(np.abs(_cell_z(x[:-1], np.asarray(y)[1:], p[:-1]))) > 10


def test_context_windows():
    x, y = pl.context_windows(jnp.arange(6), 3)
    assert x.tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]] and y.tolist() == [3, 4, 5]


def test_split_support_matches_a_python_set():
    train = jax.random.randint(jax.random.key(5), (3000, 3), 0, 24, jnp.int32)
    test = jnp.concatenate(
        [train[:500], jax.random.randint(jax.random.key(6), (1500, 3), 0, 24, jnp.int32)]
    )
    seen = {tuple(r) for r in np.asarray(train).tolist()}
    expected = [tuple(r) in seen for r in np.asarray(test).tolist()]
    got = jax.jit(pl.split_support)(train, test)
    assert got.tolist() == expected and 0 < sum(expected) < 2000


def test_kl_and_js_match_scipy():
    p = jax.random.dirichlet(jax.random.key(7), jnp.ones(24), (5,))
    q = jax.random.dirichlet(jax.random.key(8), jnp.ones(24), (5,))
    np.testing.assert_allclose(
        pl.kl_divergence(p, q), scipy.stats.entropy(np.asarray(p).T, np.asarray(q).T), rtol=1e-4
    )
    js = scipy.spatial.distance.jensenshannon(np.asarray(p).T, np.asarray(q).T) ** 2
    np.testing.assert_allclose(pl.js_divergence(p, q), js, rtol=1e-4)


def test_oracle_scores_zero_kl_and_entropy_nll():
    data = _study.scm_data(jax.random.key(9), SCM, 3000, 1000, 4000)
    ev = _study.score(data.true_probs, data)
    assert abs(float(ev.kl_in)) < 1e-5 and abs(float(ev.kl_oos)) < 1e-5
    assert 0.2 < float(jnp.mean(~data.in_support)) < 0.9  # both sides are populated
    uniform = _study.score(jnp.full_like(data.true_probs, 1 / 24), data)
    assert float(uniform.kl_oos) > 0.5


def test_synonym_swap_changes_exactly_one_synonym():
    x = jax.random.randint(jax.random.key(10), (1000, 3), 0, 24, jnp.int32)
    out = _study.synonym_swap(jax.random.key(11), x, 4)
    assert bool(jnp.all(jnp.sum(out != x, axis=1) == 1))
    np.testing.assert_array_equal(out // 4, x // 4)
