"""Agreement with independent implementations: statsmodels OLS/WLS (naive, IPW), scikit-learn
(imputation), and the slow numpy transcription in ``reference.py`` (tilt, every estimator, the
plug-in and the stacked sandwich SE). All in float64."""

import numpy as np
import pytest

import jax

import jaxpapers.transfer_regression as tr
from jaxpapers.transfer_regression._fit import estimate_all
from tests.transfer_regression import reference

sm = pytest.importorskip("statsmodels.api")
linear_model = pytest.importorskip("sklearn.linear_model")


def _as_numpy(source, target):
    return tuple(np.asarray(a) for a in source), tuple(np.asarray(a) for a in target)


@pytest.fixture(scope="module")
def fitted():
    """S1 and S3 data (n_S = 300, n_T = 250), all estimators with both variance types."""
    out = {}
    with jax.enable_x64(True):
        full = jax.jit(lambda s, t: estimate_all(s, t, tr.Config(variance="full")))
        plugin = jax.jit(lambda s, t: estimate_all(s, t, tr.Config(variance="plugin")))
        for scenario in ("S1", "S3"):
            source, target = tr.simulate(jax.random.key(21), scenario, 300, 250)
            out[scenario] = (*_as_numpy(source, target), full(source, target),
                             plugin(source, target))  # fmt: skip
    return out


def test_naive_is_statsmodels_ols_with_hc0(fitted):
    (y, x, z), _, full, _ = fitted["S1"]
    ols = sm.OLS(y, sm.add_constant(np.column_stack([x, z]))).fit(cov_type="HC0")
    n = len(y)
    np.testing.assert_allclose(full.beta[0], ols.params, atol=1e-10)
    # our meat uses the covariance with ddof = 1: HC0 × √(n / (n − 1))
    np.testing.assert_allclose(full.se[0], ols.bse * np.sqrt(n / (n - 1)), rtol=1e-9)


def test_ipw_is_statsmodels_wls_with_the_tilt_weights(fitted):
    (y, x, z), _, full, plugin = fitted["S1"]
    weights = np.asarray(full.weights)
    wls = sm.WLS(y, sm.add_constant(np.column_stack([x, z])), weights=weights).fit(cov_type="HC0")
    n = len(y)
    np.testing.assert_allclose(full.beta[1], wls.params, atol=1e-10)
    # the plug-in SE treats ŵ as known, as WLS does
    np.testing.assert_allclose(plugin.se[1], wls.bse * np.sqrt(n / (n - 1)), rtol=1e-9)


def test_imputation_is_scikit_learn_least_squares():
    with jax.enable_x64(True):
        (y, x, z), _ = _as_numpy(*tr.simulate(jax.random.key(4), "S3", 500, 100))
        fit = tr.fit_imputation(np.column_stack([y, x]), z)
    lm = linear_model.LinearRegression().fit(np.column_stack([y, x]), z)
    np.testing.assert_allclose(fit.coef[0], lm.intercept_, atol=1e-10)
    np.testing.assert_allclose(fit.coef[1:], lm.coef_.T, atol=1e-10)
    residual = z - lm.predict(np.column_stack([y, x]))
    np.testing.assert_allclose(fit.residual_cov, residual.T @ residual / len(z), atol=1e-12)


def test_tilt_weights_match_the_numpy_newton(fitted):
    (y, x, z), (y_t, x_t), full, _ = fitted["S3"]
    theta = reference.tilt_weights(reference.design(y, x), reference.design(y_t, x_t))
    w = np.exp(reference.design(y, x) @ theta)
    np.testing.assert_allclose(full.weights, w / w.mean(), rtol=1e-9)


@pytest.mark.parametrize("scenario", ["S1", "S3"])
def test_every_estimator_matches_the_numpy_transcription(fitted, scenario):
    # β̂ from the estimating-equation form, the plug-in SE of spec §6, and the SE of the
    # stacked M-estimator (θ, Γ, Σ, β) from a finite-difference Jacobian inverted whole.
    source, target, full, plugin = fitted[scenario]
    for i, name in enumerate(tr.ESTIMATORS):
        beta, plugin_se, full_se, _ = reference.fit(source, target, name)
        np.testing.assert_allclose(full.beta[i], beta, atol=1e-10, err_msg=name)
        np.testing.assert_allclose(plugin.se[i], plugin_se, rtol=1e-8, err_msg=name)
        # finite differences (step 1e-6) carry ~1e-8 relative error
        np.testing.assert_allclose(full.se[i], full_se, rtol=1e-6, err_msg=name)


def test_default_variance_is_plugin_for_dr_and_full_otherwise(fitted):
    source, target, full, plugin = fitted["S3"]
    with jax.enable_x64(True):
        auto = jax.jit(estimate_all)(source, target)
    np.testing.assert_allclose(auto.se[3], plugin.se[3], rtol=1e-12)
    np.testing.assert_allclose(auto.se[:3], full.se[:3], rtol=1e-12)


def test_float32_agrees_with_float64(fitted):
    source, target, full, _ = fitted["S1"]
    single = jax.jit(lambda s, t: estimate_all(s, t, tr.Config(variance="full")))(
        tuple(a.astype(np.float32) for a in source), tuple(a.astype(np.float32) for a in target)
    )
    # float32 rounding of means over a few hundred rows: ~1e-5 relative
    np.testing.assert_allclose(single.beta, full.beta, rtol=2e-4, atol=2e-4)
    np.testing.assert_allclose(single.se, full.se, rtol=2e-3)
