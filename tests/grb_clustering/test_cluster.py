"""K-means and GMM: scikit-learn agreement, numpyro densities, convergence flags, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

import jax
import jax.numpy as jnp
import numpyro.distributions as dist

import jaxpapers.grb_clustering as grb
from jaxpapers import linalg
from jaxpapers.grb_clustering._gmm import gaussian_log_density
from tests.conformance import check_conformance
from tests.helpers import lapack_calls


@pytest.fixture(scope="module")
def batse():
    with jax.enable_x64(True):
        return np.asarray(grb.standardise(grb.load_batse().X))


def test_kmeans_and_gmm_agree_with_scikit_learn_on_t2(enable_x64):
    # spec §7: labels agree with scikit-learn (ARI ≥ 0.99) on the two-cluster design
    X, _ = grb.simulate(jax.random.key(0), 400, "two_clusters")
    X = np.asarray(X)
    ours = grb.cluster(jax.random.key(1), X, 2)
    theirs = KMeans(2, n_init=10, random_state=0).fit(X)
    assert adjusted_rand_score(theirs.labels_, ours.labels) >= 0.99
    assert float(ours.objective) <= theirs.inertia_ * (1 + 1e-9)  # as good a local optimum
    gmm = grb.cluster(jax.random.key(2), X, 2, "gmm")
    reference = GaussianMixture(2, n_init=3, random_state=0).fit(X)
    assert adjusted_rand_score(reference.predict(X), gmm.labels) >= 0.99
    # the objective is the mean log-likelihood per point: scikit-learn's score()
    assert float(gmm.objective) == pytest.approx(reference.score(X), abs=1e-3)


@pytest.mark.parametrize("algo", ["kmeans", "gmm"])
def test_batse_partitions_agree_with_scikit_learn(enable_x64, batse, algo):
    # spec §7: ARI ≥ 0.99 on BATSE 3-var (K = 2)
    ours = grb.cluster(jax.random.key(3), batse, 2, algo)
    if algo == "kmeans":
        reference = KMeans(2, n_init=10, random_state=0).fit_predict(batse)
    else:
        reference = GaussianMixture(2, n_init=3, random_state=0).fit(batse).predict(batse)
    assert adjusted_rand_score(reference, ours.labels) >= 0.99
    assert bool(ours.converged) and int(ours.num_steps) >= 1
    # clusters are numbered by their centre's first feature: label 0 holds the short bursts
    assert np.all(np.diff(np.asarray(ours.centers[:, 0])) > 0)
    assert np.mean(batse[np.asarray(ours.labels) == 0, 0]) < 0


def test_gaussian_log_density_is_numpyros_and_scipys(enable_x64):
    key_x, key_a = jax.random.split(jax.random.key(4))
    X = jax.random.normal(key_x, (7, 3))
    a = jax.random.normal(key_a, (3, 3))
    covariance = a @ a.T + 0.5 * jnp.eye(3)
    mean = jnp.array([0.3, -1.0, 2.0])
    ours = jax.jit(gaussian_log_density)(X, mean, jax.jit(linalg.cholesky)(covariance))
    with jax.numpy_rank_promotion("allow"):  # numpyro broadcasts loc against the batch
        numpyro = dist.MultivariateNormal(mean, covariance_matrix=covariance).log_prob(X)
    np.testing.assert_allclose(ours, numpyro, rtol=1e-12)
    np.testing.assert_allclose(
        ours, scipy.stats.multivariate_normal(mean, covariance).logpdf(X), rtol=1e-12
    )


def test_budget_exhaustion_is_reported_as_not_converged(enable_x64, batse):
    config = grb.Config(kmeans_steps=1, gmm_steps=1)
    for algo in ("kmeans", "gmm"):
        program = jax.jit(lambda k, x, a=algo: grb.cluster(k, x, 3, a, config=config))
        compiled = program.lower(jax.random.key(5), batse[:300]).compile()
        # batched Cholesky / triangular solves go through jaxpapers.linalg: LAPACK custom calls
        # can deadlock XLA:CPU on two cores
        assert lapack_calls(compiled) == []
        fit = compiled(jax.random.key(5), batse[:300])
        assert not bool(fit.converged) and int(fit.num_steps) == 1


def test_cluster_conformance(key):
    X, _ = grb.simulate(jax.random.key(6), 60, "two_clusters")
    check_conformance(lambda k, x: grb.cluster(k, x, 2), X, key=key)


# ----- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("K", [1, 0])
def test_k_below_2_is_an_error(own_validation, K):
    with pytest.raises(ValueError, match="K must be an integer >= 2"):
        grb.cluster(jax.random.key(0), jnp.ones((5, 2)), K)


@pytest.mark.parametrize("K", [5, 9])
def test_k_at_least_n_is_an_error(own_validation, K):
    with pytest.raises(ValueError, match=r"K must be smaller than the number of points \(5\)"):
        grb.cluster(jax.random.key(0), jnp.ones((5, 2)), K)


def test_non_integer_k_is_an_error(own_validation):
    with pytest.raises(TypeError, match="K must be an integer"):
        grb.cluster(jax.random.key(0), jnp.ones((5, 2)), 2.0)


def test_unknown_algorithm_is_an_error(own_validation):
    with pytest.raises(ValueError, match="algo must be one of"):
        grb.cluster(jax.random.key(0), jnp.ones((5, 2)), 2, "dbscan")


def test_nan_features_are_an_error(own_validation):
    with pytest.raises(ValueError, match="X must be finite"):
        grb.cluster(jax.random.key(0), jnp.array([[0.0], [jnp.nan], [1.0]]), 2)


def test_one_dimensional_features_are_an_error(own_validation):
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        grb.cluster(jax.random.key(0), jnp.ones(5), 2)


@pytest.mark.parametrize(
    "field,value,match",
    [
        ("kmeans_restarts", 0, "Config.kmeans_restarts must be an integer >= 1"),
        ("gmm_tol", -1.0, "Config.gmm_tol must be > 0"),
        ("between", "some", "Config.between must be one of"),
        ("rule", "stouffer", "Config.rule must be one of"),
    ],
)
def test_bad_config_is_an_error(own_validation, field, value, match):
    with pytest.raises((ValueError, TypeError), match=match):
        grb.Config(**{field: value})
