"""Rubin's rules and Barnard–Rubin degrees of freedom against a NumPy transcription (spec C1)."""

import numpy as np
import pytest
from scipy import stats

import jax.numpy as jnp

from jaxpapers.stats import barnard_rubin_df, rubin_pool, student_t_sf


def _reference(fold_means: np.ndarray):
    """The formulas of spec §3 steps 6–8, written out in NumPy (float64)."""
    m, k = fold_means.shape
    q = fold_means.mean(axis=1)
    u = (1 / k + 1 / (k - 1)) * fold_means.var(axis=1, ddof=1)
    q_bar, u_bar, b = q.mean(), u.mean(), q.var(ddof=1)
    t_total = u_bar + (1 + 1 / m) * b
    dfc = k - 1
    r = (1 + 1 / m) * b / u_bar
    df_old = (m - 1) * (1 + 1 / r) ** 2
    lam = (1 + 1 / m) * b / t_total
    df_obs = (dfc + 1) / (dfc + 3) * dfc * (1 - lam)
    return q, u, q_bar, u_bar, b, t_total, df_old * df_obs / (df_old + df_obs)


HAND_MADE = np.array(  # (m = 3 imputations, K = 4 folds)
    [[0.12, -0.05, 0.30, 0.08], [0.02, 0.11, 0.25, -0.01], [0.20, 0.04, 0.18, 0.09]]
)


def test_pooling_matches_reference_to_1e12(enable_x64):
    q, u, q_bar, u_bar, b, total, df = _reference(HAND_MADE)
    res = rubin_pool(jnp.asarray(q), jnp.asarray(u), 3.0)
    for ours, ref in [
        (res.estimate, q_bar), (res.within, u_bar), (res.between, b), (res.total, total),
        (res.df, df), (res.statistic, q_bar / np.sqrt(total)),
    ]:  # fmt: skip
        assert abs(float(ours) - ref) <= 1e-12 * max(1.0, abs(ref))


def test_zero_between_variance_gives_complete_df_and_no_nan(enable_x64):
    res = rubin_pool(jnp.full(4, 0.3), jnp.full(4, 0.02), 9.0)
    assert float(res.between) == 0.0 and float(res.df) == 9.0
    assert np.isfinite(float(res.statistic))
    assert float(barnard_rubin_df(jnp.asarray(0.1), jnp.asarray(0.0), 5, 4.0)) == 4.0


def test_zero_total_variance_gives_zero_statistic():
    res = rubin_pool(jnp.zeros(3), jnp.zeros(3), 4.0)
    assert float(res.statistic) == 0.0 and np.isfinite(float(res.df))


def test_single_imputation_is_the_complete_data_answer():
    res = rubin_pool(jnp.array([0.4]), jnp.array([0.04]), 9.0)
    assert float(res.total) == pytest.approx(0.04) and float(res.df) == 9.0


def test_df_never_exceeds_the_complete_data_df(enable_x64):
    rng = np.random.default_rng(0)
    for _ in range(20):
        q = rng.normal(size=5)
        res = rubin_pool(jnp.asarray(q), jnp.asarray(rng.uniform(0.1, 2.0, 5)), 9.0)
        assert 0.0 < float(res.df) <= 9.0


@pytest.mark.parametrize("df", [1.0, 2.7, 9.0, 80.0])
def test_student_t_sf_matches_scipy(df, enable_x64):
    t = np.linspace(-6, 6, 41)
    ours = student_t_sf(jnp.asarray(t), jnp.full(t.shape, df))
    np.testing.assert_allclose(np.asarray(ours), stats.t.sf(t, df), rtol=1e-9, atol=1e-12)


def test_tiny_between_variance_gives_finite_df_near_the_observed_data_df():
    # B ≪ Ū: ν_old ~ 1e32 (it overflows to inf for smaller B, which gave NaN before the harmonic
    # form); the limit is ν_obs = (ν_c + 1)/(ν_c + 3) · ν_c = 5/7 · 4.
    df = barnard_rubin_df(jnp.asarray(0.02, jnp.float32), jnp.asarray(1e-18, jnp.float32), 2, 4.0)
    assert float(df) == pytest.approx(5 / 7 * 4, rel=1e-4)
