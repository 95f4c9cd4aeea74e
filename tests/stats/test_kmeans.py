"""k-means++ seeding and Lloyd iterations (jaxpapers.stats.kmeans) against scikit-learn."""

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

import jax
import jax.numpy as jnp

from jaxpapers.stats import kmeans, kmeans_plus_plus, lloyd


def _blobs(seed, k=5, n=300, d=4):
    rng = np.random.default_rng(seed)
    centres = 4 * rng.standard_normal((k, d))
    truth = rng.integers(0, k, n)
    return (centres[truth] + rng.standard_normal((n, d))).astype(np.float32), truth


def test_kmeans_as_good_as_sklearn_with_its_inertia():
    x, truth = _blobs(3)
    fit = jax.jit(kmeans, static_argnums=2)(jax.random.key(0), x, 5)
    theirs = KMeans(5, n_init=10, random_state=0).fit(x)
    assert bool(fit.converged) and int(fit.num_steps) < 100
    assert adjusted_rand_score(truth, np.asarray(fit.labels)) >= (
        adjusted_rand_score(truth, theirs.labels_) - 0.02
    )
    # the reported inertia is the one of the returned labels and centres, and no worse than
    # scikit-learn's best of 10 (float32 sums: relative 1e-5)
    centers = np.asarray(fit.centers)
    recomputed = np.sum((x - centers[np.asarray(fit.labels)]) ** 2)
    np.testing.assert_allclose(float(fit.inertia), recomputed, rtol=1e-5)
    assert float(fit.inertia) <= theirs.inertia_ * (1 + 1e-4)


def test_plus_plus_never_draws_a_point_twice():
    # with K = n distinct points, D² sampling must pick every point exactly once
    x = jnp.asarray(np.random.default_rng(0).standard_normal((7, 2)), jnp.float32)
    for seed in range(5):
        centers = np.asarray(kmeans_plus_plus(jax.random.key(seed), x, 7))
        assert sorted(map(tuple, centers.round(6))) == sorted(map(tuple, np.asarray(x).round(6)))


def test_lloyd_stops_at_a_fixed_point():
    # started at the means of the true partition of separated blobs, Lloyd stops at once
    x, truth = _blobs(1, k=3)
    x = x + 20 * np.eye(4, dtype=np.float32)[truth]  # blob k moved 20 along axis k
    means = jnp.stack([jnp.mean(x[truth == k], axis=0) for k in range(3)])
    fit = lloyd(jnp.asarray(x), means, 50)
    assert bool(fit.converged) and int(fit.num_steps) == 1
    np.testing.assert_array_equal(np.asarray(fit.labels), truth)
    np.testing.assert_allclose(np.asarray(fit.centers), np.asarray(means), atol=1e-5)


def test_max_steps_bounds_the_iterations():
    x, _ = _blobs(2, k=8, n=400)
    fit = jax.jit(kmeans, static_argnums=(2, 3, 4))(jax.random.key(1), x, 8, 2, 1)
    assert int(fit.num_steps) == 1
