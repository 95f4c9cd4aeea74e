"""Spec §3 checks 7–9: orientation blindness (T1), the asymmetry coefficient G (T3), and the
tightness of the Lipschitz converse (T2)."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.attention_transport as at
from tests.attention_transport import reference

INV_SQRT2 = 1 / np.sqrt(2)


def _random_head(n=64, seed=0, dtype=np.float64):
    return jnp.asarray(reference.random_causal_softmax(n, np.random.default_rng(seed)), dtype)


def _sym_spectrum(A):
    S, _ = at.sym_antisym(at.degree_normalize(A))
    return jnp.linalg.eigvalsh(S)


def test_7_orientation_blindness_float64(enable_x64):
    A = _random_head()
    np.testing.assert_allclose(at.degree_normalize(A.T), at.degree_normalize(A).T, atol=1e-15)
    np.testing.assert_allclose(_sym_spectrum(A), _sym_spectrum(A.T), rtol=0, atol=1e-12)
    assert float(at.prefix_landscape(A).phi_min) == pytest.approx(
        float(at.prefix_landscape(A.T).phi_min), abs=1e-12
    )
    forward, backward = at.spectral_cheeger(A), at.spectral_cheeger(A.T)
    assert float(forward.lambda2) == pytest.approx(float(backward.lambda2), abs=1e-12)
    np.testing.assert_allclose(
        at.top_k_sym_eigvals(A, 10), at.top_k_sym_eigvals(A.T, 10), rtol=0, atol=1e-12
    )


def test_7_orientation_blindness_float32():
    A = _random_head(dtype=np.float32)
    np.testing.assert_allclose(_sym_spectrum(A), _sym_spectrum(A.T), rtol=0, atol=1e-5)
    np.testing.assert_allclose(
        at.top_k_sym_eigvals(A, 10), at.top_k_sym_eigvals(A.T, 10), rtol=0, atol=1e-5
    )


def test_7_lapeigvals_is_not_transpose_invariant(enable_x64):
    # spec §4 note: the LapEigvals degree uses column sums only, so T1 does not cover it
    A = _random_head()
    assert float(jnp.max(jnp.abs(at.lapeigvals(A, 10) - at.lapeigvals(A.T, 10)))) > 1e-3


def test_8_asymmetry_coefficient(enable_x64, key):
    A = _random_head()
    W = 0.5 * (A + A.T)
    assert float(at.asymmetry_coeff(W)) <= 1e-12
    assert float(at.asymmetry_coeff(A)) == pytest.approx(float(at.asymmetry_coeff(A.T)), abs=1e-14)
    # 1000 random nonnegative matrices of mixed sparsity
    values = jax.random.uniform(key, (1000, 16, 16), jnp.float64)
    keep = jax.random.bernoulli(jax.random.fold_in(key, 1), 0.3, (1000, 16, 16))
    g = at.asymmetry_coeff(jnp.where(keep, values, 0.0) + 1e-3 * jnp.eye(16)[None])
    assert float(jnp.max(g)) <= INV_SQRT2 + 1e-12


def test_8_strictly_causal_zero_diagonal_attains_the_bound(enable_x64):
    A = np.array(at.uniform_causal_attention(64))
    np.fill_diagonal(A, 0.0)
    assert float(at.asymmetry_coeff(jnp.asarray(A))) == pytest.approx(INV_SQRT2, abs=1e-12)


def test_8_causal_identity_and_uniform_values(enable_x64):
    N = at.degree_normalize(_random_head(seed=3))
    g = float(at.asymmetry_coeff(_random_head(seed=3)))
    identity = 0.5 - float(jnp.sum(jnp.diagonal(N) ** 2)) / (2 * float(jnp.sum(N**2)))
    assert g**2 == pytest.approx(identity, abs=1e-12)
    assert float(at.asymmetry_coeff(at.uniform_causal_attention(256))) == pytest.approx(
        0.6785, abs=1e-4
    )
    assert float(at.asymmetry_coeff(at.uniform_causal_attention(512))) == pytest.approx(
        0.6851, abs=1e-4
    )


def test_8_orthogonal_split(enable_x64):
    N = at.degree_normalize(_random_head(seed=5))
    S, K = at.sym_antisym(N)
    assert float(jnp.sum(S * K)) == pytest.approx(0.0, abs=1e-13)
    assert float(jnp.sum(N**2)) == pytest.approx(float(jnp.sum(S**2) + jnp.sum(K**2)), rel=1e-13)


def test_9_lipschitz_converse_is_tight(enable_x64, key):
    A = _random_head()  # the prototype's head: numpy default_rng(0), n = 64
    N = at.degree_normalize(A)
    _, K = at.sym_antisym(N)
    U = K / jnp.linalg.norm(K)
    sensitivity = abs(float(jnp.sum(N * U) - jnp.sum(N.T * U)))
    bound = float(jnp.linalg.norm(N - N.T))
    assert sensitivity == pytest.approx(bound, abs=1e-12)
    g = float(at.asymmetry_coeff(A))
    assert bound == pytest.approx(2 * g * float(jnp.linalg.norm(N)), abs=1e-12)
    assert bound == pytest.approx(2.916105, abs=1e-6)  # the prototype's printed value
    directions = jax.random.normal(key, (100, 64, 64), jnp.float64)
    directions = directions / jnp.linalg.norm(directions, axis=(1, 2), keepdims=True)
    moves = jnp.abs(jnp.sum(directions * (N - N.T)[None], axis=(1, 2)))
    assert float(jnp.max(moves)) <= bound + 1e-12
