"""Building blocks of PAIR-CI checked against exact identities and reference implementations."""

import numpy as np
import pytest
from scipy import stats

import jax
import jax.numpy as jnp

import jaxpapers.pair_ci as pc
from jaxpapers.pair_ci._impute import within_group_permutation
from jaxpapers.pair_ci._learners import categorical_loss, linear_loss, rff_loss

SMALL = pc.Config(n_folds=3, n_imputations=2, imputation_sweeps=1)  # shared: one compilation


def test_within_group_permutation_keeps_rows_in_their_group(key):
    group = (jnp.arange(50) % 3 == 0).astype(jnp.int32)
    perm = np.asarray(within_group_permutation(key, group))
    assert sorted(perm) == list(range(50))
    np.testing.assert_array_equal(np.asarray(group)[perm], np.asarray(group))
    assert (perm != np.arange(50)).any()


def test_imputation_keeps_observed_cells_and_fills_the_rest(key):
    data = pc.simulate_confounder(key, 400, mechanism="mnar")
    completed, converged = pc.impute_chained(jax.random.key(1), data, jnp.ones(400, bool),
                                             pc.Config())  # fmt: skip
    assert bool(converged)
    observed = ~np.isnan(np.asarray(data))
    assert np.isfinite(np.asarray(completed)).all()
    np.testing.assert_array_equal(np.asarray(completed)[observed], np.asarray(data)[observed])


def test_imputation_is_proper_draws_differ_and_regression_is_recovered(key):
    # Z = 0.8 W + 0.6 e; with Z missing completely at random, imputed Z regressed on W must
    # recover the slope (0.8, here after the standardisation the imputer undoes), and two draws
    # must differ (parameter + residual noise).
    data = pc.simulate_confounder(key, 4000, mechanism="mcar")
    train = jnp.ones(4000, bool)
    a = np.asarray(pc.impute_chained(jax.random.key(1), data, train, pc.Config())[0])
    b = np.asarray(pc.impute_chained(jax.random.key(2), data, train, pc.Config())[0])
    missing = np.isnan(np.asarray(data[:, 2]))
    assert np.abs(a[missing, 2] - b[missing, 2]).mean() > 0.3
    slope = np.polyfit(a[:, 3], a[:, 2], 1)[0]
    assert abs(slope - 0.8) < 0.06  # se of the slope ≈ 0.6/√4000 ≈ 0.01; 6 se


def test_fisher_z_matches_partial_correlation_and_scipy(key):
    data = np.asarray(pc.simulate_confounder(key, 500, mechanism="none", beta=0.1))
    res = pc.fisher_z_test(jnp.asarray(data), 1, 0, jnp.array([2, 3]))
    design = np.column_stack([np.ones(500), data[:, 2:4]])
    rx = data[:, 1] - design @ np.linalg.lstsq(design, data[:, 1], rcond=None)[0]
    ry = data[:, 0] - design @ np.linalg.lstsq(design, data[:, 0], rcond=None)[0]
    r = np.corrcoef(rx, ry)[0, 1]
    assert float(res.partial_correlation) == pytest.approx(r, abs=1e-4)
    z = np.sqrt(500 - 2 - 3) * np.arctanh(r)
    assert float(res.pvalue) == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-3, abs=1e-6)


def test_fisher_z_padding_is_ignored(key):
    data = pc.simulate_confounder(key, 300, mechanism="none")
    plain = pc.fisher_z_test(data, 1, 0, jnp.array([2]))
    padded = pc.fisher_z_test(data, 1, 0, jnp.array([2, 3]), jnp.array([True, False]))
    assert float(plain.pvalue) == pytest.approx(float(padded.pvalue), rel=1e-5)


def test_g_test_matches_scipy_log_likelihood_ratio(key):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, 600)
    y = (x + rng.integers(0, 2, 600)) % 4
    data = jnp.asarray(np.column_stack([x, y]).astype(np.float32))
    table = np.zeros((3, 4))
    np.add.at(table, (x, y), 1)
    g, pvalue, dof, _ = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
    ours = pc.g_test(data, jnp.asarray(0), jnp.asarray(1), jnp.zeros(1, jnp.int32),
                     jnp.zeros(1, bool), 4)  # fmt: skip
    assert float(ours) == pytest.approx(pvalue, rel=1e-3, abs=1e-30)


def test_linear_learner_matches_least_squares(key):
    rng = np.random.default_rng(1)
    features = rng.normal(size=(200, 3))
    target = features @ np.array([1.0, -2.0, 0.5]) + 0.3 + rng.normal(size=200)
    train = (np.arange(200) < 150).astype(np.float32)
    cfg = pc.Config(ridge=1e-6)
    loss = linear_loss(key, jnp.asarray(features, jnp.float32), jnp.asarray(target, jnp.float32),
                       jnp.asarray(train), cfg).loss  # fmt: skip
    design = np.column_stack([np.ones(150), features[:150]])
    coef = np.linalg.lstsq(design, target[:150], rcond=None)[0]
    ref = (target - np.column_stack([np.ones(200), features]) @ coef) ** 2
    np.testing.assert_allclose(np.asarray(loss), ref, rtol=1e-3, atol=1e-3)


def test_rff_learner_fits_a_nonlinear_function_better_than_linear(key):
    rng = np.random.default_rng(2)
    features = rng.normal(size=(600, 1)).astype(np.float32)
    target = (np.sin(2 * features[:, 0]) + 0.1 * rng.normal(size=600)).astype(np.float32)
    train = (np.arange(600) < 450).astype(np.float32)
    args = (jnp.asarray(features), jnp.asarray(target), jnp.asarray(train), pc.Config(ridge=1.0))
    test = np.arange(600) >= 450
    assert (
        np.asarray(rff_loss(key, *args).loss)[test].mean()
        < 0.5 * np.asarray(linear_loss(key, *args).loss)[test].mean()
    )


def test_categorical_learner_matches_sklearn_multinomial_logistic_regression(key):
    # A 3-state target under a static bound of 5 states: classes 3 and 4 never occur and are
    # masked; on the others the fit is scikit-learn's (L2 on coefficients, C = 1/λ, free
    # intercepts), out of sample on the rows with train = 0.
    sklearn = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(3)
    x = rng.integers(0, 4, 900)
    y = np.where(rng.random(900) < 0.6, x % 3, rng.integers(0, 3, 900))
    train = (np.arange(900) < 700).astype(np.float32)
    cfg = pc.Config(logistic_steps=500, logistic_tol=1e-6, logistic_ridge=0.5)
    fit = categorical_loss(key, jnp.asarray(x[:, None], jnp.float32), jnp.asarray(y, jnp.float32),
                           jnp.asarray(train), cfg, 5)  # fmt: skip
    onehot = np.eye(5)[x]
    model = sklearn.LogisticRegression(C=2.0, max_iter=5000, tol=1e-10)
    model.fit(onehot[:700], y[:700])
    ref = -np.log(model.predict_proba(onehot)[np.arange(900), y])
    assert bool(fit.converged) and int(fit.num_steps) < 500
    np.testing.assert_allclose(np.asarray(fit.loss), ref, atol=2e-3)  # float32 vs float64


def test_multinomial_imputer_recovers_a_planted_conditional_table():
    # y | x ~ a planted table; y missing completely at random (30 %). Imputed cells must follow
    # the table: about 3000 draws per state of x, from a model fitted on about 7000 observed
    # rows per state (its Bayesian-bootstrap draw adds that much variance); 4 standard errors.
    table = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    rng = np.random.default_rng(5)
    x = rng.integers(0, 2, 20000)
    y = (rng.random(20000)[:, None] > np.cumsum(table[x], axis=1)).sum(axis=1)
    data = np.column_stack([x, y]).astype(np.float32)
    data[rng.random(20000) < 0.3, 1] = np.nan
    cfg = pc.Config(imputation_sweeps=1)
    completed, converged = pc.impute_chained(jax.random.key(3), jnp.asarray(data),
                                             jnp.ones(20000, bool), cfg, (2, 3))  # fmt: skip
    completed = np.asarray(completed).astype(int)
    missing = np.isnan(data[:, 1])
    assert bool(converged)
    for state in (0, 1):
        rows = missing & (x == state)
        fitted_on = (~missing & (x == state)).sum()
        freq = np.bincount(completed[rows, 1], minlength=3) / rows.sum()
        variance = table[state] * (1 - table[state]) * (1 / rows.sum() + 1 / fitted_on)
        np.testing.assert_array_less(np.abs(freq - table[state]), 4 * np.sqrt(variance))


def test_multinomial_imputations_are_proper_draws_differ():
    # Two Bayesian-bootstrap draws give different fitted models, hence different imputations.
    rng = np.random.default_rng(6)
    codes = rng.integers(0, 3, (300, 3)).astype(np.float32)
    codes[rng.random(300) < 0.3, 0] = np.nan
    args = (jnp.asarray(codes), jnp.ones(300, bool), pc.Config(imputation_sweeps=1), (3, 3, 3))
    a = np.asarray(pc.impute_chained(jax.random.key(1), *args)[0])
    b = np.asarray(pc.impute_chained(jax.random.key(2), *args)[0])
    assert (a[:, 0] != b[:, 0]).sum() > 30 and set(np.unique(a)) <= {0.0, 1.0, 2.0}


def test_negative_effect_never_rejects(key):
    # A candidate that only adds noise gives Q̄ ≤ 0 more often than not; p must then be ≥ 0.5.
    data = pc.simulate_confounder(key, 120, mechanism="mcar")
    res = pc.pair_ci_test(jax.random.key(5), data, 1, 0, [2, 3], config=SMALL)
    if float(res.estimate) <= 0:
        assert float(res.pvalue) >= 0.5
    else:
        assert float(res.pvalue) < 0.5


def test_constant_target_gives_p_one(key):
    data = pc.simulate_confounder(key, 120, mechanism="mcar").at[:, 0].set(1.0)
    res = pc.pair_ci_test(jax.random.key(5), data, 1, 0, [2, 3], config=SMALL)
    assert float(res.pvalue) == 1.0 and np.isfinite(float(res.df))
