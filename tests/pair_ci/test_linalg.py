"""The plain-XLA Cholesky solves equal LAPACK's, and PAIR-CI programs contain no LAPACK calls."""

import numpy as np
import pytest
import scipy.linalg

import jax
import jax.numpy as jnp

import jaxpapers.pair_ci as pc
from jaxpapers.pair_ci import _linalg


def _spd(key, d, dtype):
    m = jax.random.normal(key, (d + 4, d), dtype)
    return m.T @ m + 0.1 * jnp.eye(d, dtype=dtype)


@pytest.mark.parametrize("d", [1, 2, 7, 33])
def test_cholesky_and_solves_equal_scipy(key, enable_x64, d):
    a = _spd(key, d, jnp.float64)
    b = jax.random.normal(jax.random.key(1), (d, 3), jnp.float64)
    factor = _linalg.cholesky(a)
    a_np, b_np = np.asarray(a), np.asarray(b)
    reference = scipy.linalg.cholesky(a_np, lower=True)
    np.testing.assert_allclose(factor, reference, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        _linalg.solve_lower(factor, b), scipy.linalg.solve_triangular(reference, b_np, lower=True),
        rtol=1e-10, atol=1e-12,
    )  # fmt: skip
    np.testing.assert_allclose(
        _linalg.solve_upper(factor, b), scipy.linalg.solve_triangular(reference.T, b_np),
        rtol=1e-10, atol=1e-12,
    )  # fmt: skip
    np.testing.assert_allclose(
        _linalg.spd_solve(a, b[:, 0]), np.linalg.solve(a_np, b_np[:, 0]), rtol=1e-9, atol=1e-12
    )


def test_cholesky_of_an_indefinite_matrix_is_nan():
    assert np.isnan(np.asarray(_linalg.cholesky(jnp.array([[1.0, 2.0], [2.0, 1.0]])))).any()


def test_batched_solves_under_vmap_equal_one_at_a_time(key):
    a = jax.vmap(lambda k: _spd(k, 5, jnp.float32))(jax.random.split(key, 6))
    b = jax.random.normal(key, (6, 5))
    batched = jax.vmap(_linalg.spd_solve)(a, b)
    for i in range(6):
        np.testing.assert_allclose(batched[i], np.linalg.solve(a[i], b[i]), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("learner", ["linear", "rff"])
def test_compiled_pair_ci_batch_has_no_lapack_custom_calls(key, learner):
    # Two LAPACK calls ready at once deadlock XLA:CPU's 2-thread pool (module _linalg); the
    # batched, symmetric PAIR-CI program must not contain any.
    data = pc.simulate_confounder(key, 60, mechanism="mnar")
    config = pc.Config(n_folds=3, n_imputations=2, imputation_sweeps=1, learner=learner)
    tester = pc.pair_ci_tester(jax.random.key(1), data, config)
    batched = jax.jit(jax.vmap(tester.pvalue, in_axes=(None, 0, 0, 0, 0)))
    args = (jnp.array([0, 1]), jnp.array([1, 2]), jnp.array([[2], [3]]), jnp.ones((2, 1), bool))
    text = batched.lower(tester.state, *args).compile().as_text()
    assert 'custom_call_target="lapack' not in text
    assert np.isfinite(np.asarray(batched(tester.state, *args))).all()
