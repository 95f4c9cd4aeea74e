"""The clustering step (spec §3.1): K-means or a full-covariance Gaussian mixture."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.grb_clustering._gmm import gmm
from jaxpapers.grb_clustering._types import ALGOS, Clustering, Config
from jaxpapers.stats import kmeans

__all__ = ["check_data", "check_k", "cluster", "cluster_unchecked"]


def _canonical(labels, centers):
    """Renumber clusters by increasing first coordinate of their centre."""
    order = jnp.argsort(centers[:, 0])
    rank = jnp.argsort(order)
    return rank[labels].astype(jnp.int32), centers[order]


def cluster_unchecked(key: PRNGKey, X: Float[Array, "n d"], K: int, algo: str, config: Config):
    """:func:`cluster` without input checks (for use inside vmapped pipelines)."""
    if algo == "kmeans":
        fit = kmeans(key, X, K, config.kmeans_restarts, config.kmeans_steps)
        labels, centers = _canonical(fit.labels, fit.centers)
        return Clustering(labels, centers, fit.inertia, fit.converged, fit.num_steps)
    fit = gmm(
        key, X, K, restarts=config.gmm_restarts, max_steps=config.gmm_steps,
        tol=config.gmm_tol, reg=config.gmm_reg, kmeans_steps=config.kmeans_steps,
    )  # fmt: skip
    labels, centers = _canonical(fit.labels, fit.mixture.means)
    return Clustering(labels, centers, fit.log_likelihood, fit.converged, fit.num_steps)


def check_data(X) -> Float[Array, "n d"]:
    """``X`` as a floating 2-D array, finite, with at least 3 rows."""
    _validate.check_ndim("X", X, 2, "a 2-D array (n points, d features)")
    _validate.check_finite("X", X)
    X = jnp.asarray(X)
    if X.shape[0] < 3:
        raise ValueError(f"X must have at least 3 rows (points), got {X.shape[0]}")
    return X if jnp.issubdtype(X.dtype, jnp.floating) else X.astype(jnp.result_type(float))


def check_k(name: str, K, n: int) -> int:
    """``K`` as an int with 2 ≤ K < n."""
    K = _validate.check_integer(name, K, minimum=2)
    if K >= n:
        raise ValueError(f"{name} must be smaller than the number of points ({n}), got {K}")
    return K


def cluster(
    key: PRNGKey,
    X: Float[ArrayLike, "n d"],
    K: int,
    algo: str = "kmeans",
    *,
    config: Config | None = None,
) -> Clustering:
    """Partition the rows of X into K groups with K-means or a Gaussian mixture.

    ``"kmeans"``: Lloyd's algorithm from k-means++ seeds, ``config.kmeans_restarts`` restarts
    (vmapped over keys), the smallest inertia wins. ``"gmm"``: EM for a K-component Gaussian
    mixture with full covariances, each of ``config.gmm_restarts`` restarts started from one
    K-means run; the highest log-likelihood wins; labels are the most responsible component.
    Clusters are numbered by increasing mean of the first feature.

    Args:
        key: a typed PRNG key (restart seeds).
        X: ``(n, d)`` features (standardised).
        K: number of clusters, 2 ≤ K < n (static).
        algo: ``"kmeans"`` or ``"gmm"``.
        config: iteration budgets, restarts, tolerance (:class:`Config`).

    Returns:
        :class:`Clustering` (labels, centres, objective, ``converged``, ``num_steps``).

    >>> import jax
    >>> X = jnp.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0], [5.1, 5.0], [5.0, 5.1]])
    >>> fit = cluster(jax.random.key(0), X, 2)
    >>> fit.labels.tolist(), bool(fit.converged)
    ([0, 0, 0, 1, 1, 1], True)
    """
    config = Config() if config is None else config
    _validate.check_choice("algo", algo, ALGOS)
    X = check_data(X)
    K = check_k("K", K, X.shape[0])
    return _cluster_jit(key, X, K, algo, config)


_cluster_jit = jax.jit(cluster_unchecked, static_argnums=(2, 3, 4))
