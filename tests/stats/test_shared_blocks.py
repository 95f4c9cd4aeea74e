"""Cross-fitting, logistic regression and Monte Carlo summaries against references."""

import numpy as np
import pytest
import scipy.stats
from sklearn.linear_model import LogisticRegression

import jax
import jax.numpy as jnp

from jaxpapers import stats
from tests.helpers import lapack_calls


def _binary(key, n=300, f=3):
    kx, ky = jax.random.split(key)
    dtype = jnp.asarray(1.0).dtype  # float64 under enable_x64, else float32
    x = jax.random.normal(kx, (n, f), dtype)
    logit = x @ jnp.arange(1.0, f + 1.0, dtype=dtype) * 0.7 - 0.3
    y = (jax.random.uniform(ky, (n,), dtype) < jax.nn.sigmoid(logit)).astype(jnp.int32)
    return x, y


@pytest.mark.parametrize("solver", ["newton", "mm"])
def test_binary_logistic_equals_sklearn(key, enable_x64, solver):
    x, y = _binary(key)
    weight = jnp.where(y == 1, 2.0, 1.0)
    fit = stats.logistic_regression(
        x, y, l2=0.5, sample_weight=weight, solver=solver, max_steps=2000, tol=1e-12
    )
    ref = LogisticRegression(C=2.0, tol=1e-12, max_iter=10_000).fit(
        np.asarray(x), np.asarray(y), sample_weight=np.asarray(weight)
    )
    assert bool(fit.converged)
    np.testing.assert_allclose(fit.coef, ref.coef_[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fit.intercept, ref.intercept_[0], rtol=1e-6, atol=1e-8)
    assert solver == "mm" or int(fit.num_steps) < 15  # Newton: quadratic convergence


@pytest.mark.parametrize("solver", ["newton", "mm"])
def test_float32_fits_converge_at_the_default_tolerance(solver):
    # A fixed 1e-8 relative change is below float32's resolution: Newton's iterate then
    # jitters by an ulp and "converged" depended on the CPU's rounding. The default now
    # scales with the dtype; every fit of five data sets converges and lands on the float64 fit.
    for seed in range(5):
        x, y = _binary(jax.random.key(seed))
        fit = stats.logistic_regression(x, y, solver=solver, max_steps=500)
        assert bool(fit.converged), (seed, int(fit.num_steps))
        with jax.enable_x64(True):
            wide = stats.logistic_regression(
                jnp.asarray(x, jnp.float64), y, solver=solver, max_steps=500
            )
        np.testing.assert_allclose(fit.coef, wide.coef, rtol=1e-4, atol=1e-5)


def test_multinomial_logistic_equals_sklearn(key, enable_x64):
    kx, ky = jax.random.split(key)
    x = jax.random.normal(kx, (400, 2), jnp.float64)
    logits = x @ jnp.array([[1.0, -1.0, 0.0], [0.5, 0.5, -1.0]], jnp.float64)
    y = jax.random.categorical(ky, logits)
    fit = stats.logistic_regression(
        x, y, num_classes=3, l2=1.0, solver="mm", max_steps=5000, tol=1e-13
    )
    ref = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(np.asarray(x), np.asarray(y))
    assert bool(fit.converged)
    # softmax logits are identified up to a per-row constant: compare centred predictions
    ours = np.asarray(stats.logistic_predict(fit, x))
    theirs = ref.decision_function(np.asarray(x))
    centred = lambda z: z - z.mean(axis=1, keepdims=True)  # noqa: E731
    np.testing.assert_allclose(centred(ours), centred(theirs), rtol=1e-5, atol=1e-6)


def test_non_convergence_is_reported(key):
    x, y = _binary(key)
    fit = stats.logistic_regression(x, y, solver="mm", max_steps=2, tol=1e-12)
    assert not bool(fit.converged) and int(fit.num_steps) == 2


def test_batched_logistic_fits_have_no_lapack_call(key):
    x, y = _binary(key)
    weights = jax.random.uniform(key, (4, x.shape[0]))
    fit = jax.jit(jax.vmap(lambda w: stats.logistic_regression(x, y, sample_weight=w).coef))
    assert lapack_calls(fit.lower(weights).compile()) == []


def test_bad_logistic_input_is_named(key, own_validation):
    x, y = _binary(key)
    with pytest.raises(ValueError, match="solver"):
        stats.logistic_regression(x, y, solver="lbfgs")
    with pytest.raises(ValueError, match="labels"):
        stats.logistic_regression(x, y[:-1])
    with pytest.raises(ValueError, match="binary"):
        stats.logistic_regression(x, y, num_classes=3, solver="newton")


def test_fold_assignment_balances_rows_and_groups(key):
    folds = stats.fold_assignment(key, 103, 5)
    counts = np.bincount(np.asarray(folds), minlength=5)
    assert counts.max() - counts.min() <= 1
    groups = jnp.repeat(jnp.arange(20), 3)
    grouped = np.asarray(stats.fold_assignment(key, 60, 4, groups, num_groups=20))
    for g in range(20):
        assert len(set(grouped[3 * g : 3 * g + 3])) == 1
    assert np.bincount(grouped, minlength=4).tolist() == [15, 15, 15, 15]
    with pytest.raises(ValueError, match="num_folds"):
        stats.fold_assignment(key, 3, 5)


def test_crossfit_predict_equals_a_loop_over_folds(key, enable_x64):
    x, y = _binary(key, n=90)
    folds = stats.fold_assignment(jax.random.key(3), 90, 3)

    def fit(features, target, sample_weight):
        return stats.logistic_regression(features, target, sample_weight=sample_weight)

    out = stats.crossfit_predict(fit, stats.logistic_predict, x, y, folds, 3)
    for k in range(3):
        train = np.asarray(folds) != k
        alone = stats.logistic_regression(x[train], y[train])
        held = ~train
        np.testing.assert_allclose(
            out[held], stats.logistic_predict(alone, x[held]), rtol=1e-8, atol=1e-10
        )


def test_mean_se_equals_scipy():
    values = np.array([1.0, 4.0, 2.5, 7.0, 3.0])
    result = stats.mean_se(values)
    np.testing.assert_allclose(result.mean, values.mean(), rtol=1e-6)
    np.testing.assert_allclose(result.se, scipy.stats.sem(values), rtol=1e-6)
    with pytest.raises(ValueError, match="2 replicates"):
        stats.mean_se([1.0])


def test_resampling_pvalue_floor_and_exactness(key):
    null = jnp.arange(99.0)
    assert float(stats.resampling_pvalue(1e9, null)) == pytest.approx(1 / 100)
    assert float(stats.resampling_pvalue(-1e9, null)) == pytest.approx(1.0)
    assert float(stats.resampling_pvalue(-1e9, null, "less")) == pytest.approx(1 / 100)
    # under the null the p-value is uniform on {1/(B+1), ..., 1}: P(p <= 0.05) = 5/100 exactly
    draws = jax.random.normal(key, (4000, 100))
    p = jax.vmap(lambda d: stats.resampling_pvalue(d[0], d[1:]))(draws)
    rate = float(jnp.mean(p <= 0.05))
    assert abs(rate - 0.05) < 4 * np.sqrt(0.05 * 0.95 / 4000)  # 4 standard errors
