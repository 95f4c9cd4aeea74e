"""STLSQ, sweeps and collinearity diagnostics against planted truths and NumPy references."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from jaxpapers import sparse
from tests.conformance import check_conformance


def _planted(seed=0, rows=200, noise=1e-3):
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((rows, 6))
    xi = np.array([1.5, 0.0, -2.0, 0.0, 0.0, 0.7])
    b = G @ xi + noise * rng.standard_normal(rows)
    return G, b, xi


def _reference_stlsq(G, b, lam, iters=20):
    """Slow NumPy transcription of relative-threshold STLSQ (no ridge)."""
    scales = np.linalg.norm(G, axis=0)
    Gn = G / scales
    support = np.ones(G.shape[1], bool)
    for _ in range(iters):
        coef = np.zeros(G.shape[1])
        coef[support] = np.linalg.lstsq(Gn[:, support], b, rcond=None)[0]
        keep = support & (np.abs(coef) >= lam * np.abs(coef).max())
        if (keep == support).all():
            break
        support = keep
    return coef / scales, support


def test_recovers_planted_support_and_coefficients(enable_x64):
    G, b, xi = _planted()
    fit = sparse.stlsq(jnp.asarray(G), jnp.asarray(b), 0.1)
    np.testing.assert_array_equal(np.asarray(fit.support), xi != 0)
    # noise 1e-3 on 200 rows: coefficient errors ~1e-4; 1e-2 is far outside that
    np.testing.assert_allclose(np.asarray(fit.coefficients), xi, atol=1e-2)
    assert bool(fit.converged)


@pytest.mark.parametrize("lam", [0.0, 0.3, 0.6])
def test_matches_numpy_reference(lam, enable_x64):
    G, b, _ = _planted(seed=1, noise=0.3)
    ref_coef, ref_support = _reference_stlsq(G, b, lam)
    fit = sparse.stlsq(jnp.asarray(G), jnp.asarray(b), lam, ridge=0.0)
    np.testing.assert_array_equal(np.asarray(fit.support), ref_support)
    np.testing.assert_allclose(np.asarray(fit.coefficients), ref_coef, rtol=1e-10, atol=1e-12)


def test_zero_threshold_is_least_squares(enable_x64):
    G, b, _ = _planted(seed=2, noise=0.5)
    fit = sparse.stlsq(jnp.asarray(G), jnp.asarray(b), 0.0, ridge=0.0)
    np.testing.assert_allclose(np.asarray(fit.coefficients), np.linalg.lstsq(G, b)[0], rtol=1e-10)


def test_integer_row_weights_equal_repeated_rows(enable_x64):
    G, b, _ = _planted(seed=3, noise=0.5)
    counts = np.random.default_rng(0).integers(0, 3, G.shape[0])
    weighted = sparse.stlsq(
        jnp.asarray(G), jnp.asarray(b), 0.2, row_weights=jnp.asarray(counts, float)
    )
    repeated = sparse.stlsq(
        jnp.asarray(np.repeat(G, counts, 0)), jnp.asarray(np.repeat(b, counts)), 0.2
    )
    np.testing.assert_allclose(weighted.coefficients, repeated.coefficients, rtol=1e-9)


def test_active_mask_excludes_columns():
    G, b, _ = _planted()
    active = jnp.array([True, True, False, True, True, True])
    fit = sparse.stlsq(jnp.asarray(G, jnp.float32), jnp.asarray(b, jnp.float32), 0.0, active=active)
    assert float(fit.coefficients[2]) == 0.0 and not bool(fit.support[2])


def test_conformance_and_vmap_over_thresholds():
    G, b, _ = _planted()
    G, b = jnp.asarray(G, jnp.float32), jnp.asarray(b, jnp.float32)
    check_conformance(lambda g, y: sparse.stlsq(g, y, 0.1), G, b, keyed=False)
    lams = jnp.array([0.0, 0.1, 0.5, 1.0])
    batched = jax.vmap(lambda lam: sparse.stlsq(G, b, lam))(lams)
    for i, lam in enumerate(lams):
        single = sparse.stlsq(G, b, lam)
        np.testing.assert_allclose(batched.coefficients[i], single.coefficients, rtol=1e-5)


def test_sweep_and_mstls_pick_the_planted_support(enable_x64):
    G, b, xi = _planted(noise=0.05)
    lams = jnp.logspace(-3, 0, 30)
    sweep = sparse.threshold_sweep(jnp.asarray(G), jnp.asarray(b), lams)
    assert int(sweep.num_terms[0]) == 6 and int(sweep.num_terms[-1]) == 1
    assert np.all(np.diff(np.asarray(sweep.num_terms)) <= 0)
    result, lam = sparse.mstls(jnp.asarray(G), jnp.asarray(b), lams)
    np.testing.assert_array_equal(np.asarray(result.support), xi != 0)
    runs = sparse.distinct_supports(sweep, ("a", "b", "c", "d", "e", "f"))
    assert runs[0][0] == ("a", "b", "c", "d", "e", "f") and len(runs[-1][0]) == 1
    assert ("a", "c", "f") in [terms for terms, _, _ in runs]
    assert runs[0][1] == pytest.approx(1e-3)


def test_collinearity_against_numpy(enable_x64):
    rng = np.random.default_rng(4)
    G = rng.standard_normal((100, 3))
    G = np.column_stack([G, G[:, 0] - 2 * G[:, 1] + 1e-4 * rng.standard_normal(100)])
    diag = sparse.collinearity(jnp.asarray(G))
    Gn = G / np.linalg.norm(G, axis=0)
    np.testing.assert_allclose(float(diag.condition_number), np.linalg.cond(Gn), rtol=1e-8)
    # VIF_j = 1/(1 - R_j^2) from the uncentred regression of column j on the others
    for j in range(4):
        others = np.delete(Gn, j, axis=1)
        fitted = others @ np.linalg.lstsq(others, Gn[:, j], rcond=None)[0]
        r2 = 1 - np.sum((Gn[:, j] - fitted) ** 2) / np.sum(Gn[:, j] ** 2)
        np.testing.assert_allclose(float(diag.vif[j]), 1 / (1 - r2), rtol=1e-6)
    identity = np.array([1.0, -2.0, 0.0, -1.0]) * np.linalg.norm(G, axis=0)
    identity /= np.linalg.norm(identity)
    assert abs(float(jnp.dot(diag.null_direction, jnp.asarray(identity)))) > 0.999
