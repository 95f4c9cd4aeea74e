"""The plain-XLA Cholesky, solves and least squares equal LAPACK's and compile without it."""

import numpy as np
import pytest
import scipy.linalg

import jax
import jax.numpy as jnp

from jaxpapers import linalg as _linalg
from tests.helpers import lapack_calls


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


@pytest.mark.parametrize("weighted", [False, True])
def test_lstsq_equals_numpy(key, enable_x64, weighted):
    k1, k2, k3 = jax.random.split(key, 3)
    x = jax.random.normal(k1, (50, 4), jnp.float64) * jnp.array([[1e-3, 1.0, 1e3, 5.0]])
    y = jax.random.normal(k2, (50,), jnp.float64)
    w = jax.random.uniform(k3, (50,), jnp.float64) if weighted else jnp.ones(50)
    root = np.sqrt(np.asarray(w))
    expected = np.linalg.lstsq(np.asarray(x) * root[:, None], np.asarray(y) * root, rcond=None)[0]
    got = _linalg.lstsq(x, y, w if weighted else None)
    np.testing.assert_allclose(got, expected, rtol=1e-8)
    two = _linalg.lstsq(x, jnp.stack([y, 2 * y], axis=1))
    np.testing.assert_allclose(two[:, 1], 2 * two[:, 0], rtol=1e-10)


def test_lstsq_ridge_shrinks_toward_zero(key):
    x = jax.random.normal(key, (30, 3))
    y = x @ jnp.array([1.0, -1.0, 2.0])
    norms = [float(jnp.linalg.norm(_linalg.lstsq(x, y, ridge=r))) for r in (0.0, 10.0, 1e3)]
    assert norms[0] > norms[1] > norms[2]


def test_no_lapack_call_in_batched_solves(key):
    a = jax.vmap(lambda k: _spd(k, 5, jnp.float32))(jax.random.split(key, 4))
    program = jax.jit(jax.vmap(_linalg.spd_solve)).lower(a, jnp.ones((4, 5))).compile()
    assert lapack_calls(program) == []
