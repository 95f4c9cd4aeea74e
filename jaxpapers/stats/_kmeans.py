"""K-means: k-means++ seeding and Lloyd iterations, restarts vmapped over keys.

k-means++ (Arthur & Vassilvitskii 2007) draws the first centre uniformly and each next one with
probability ∝ D(x)², the squared distance to the nearest centre drawn so far. Lloyd's algorithm
then alternates

    ℓ_i = argmin_k ‖x_i − μ_k‖²,        μ_k = mean{x_i : ℓ_i = k}

until no assignment changes (converged) or ``max_steps`` iterations; an emptied cluster keeps
its centre. Of several restarts the one with the smallest inertia Σ_i ‖x_i − μ_{ℓ_i}‖² wins.

Used by grb_clustering (K-means partitions and GMM starts) and fl_sailer (clustering of
embeddings); tests compare both with scikit-learn.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Bool, Float, Int

from jaxpapers._typing import PRNGKey

__all__ = ["KMeansFit", "kmeans", "kmeans_plus_plus", "lloyd"]


class KMeansFit(NamedTuple):
    """One K-means run: labels, centres, inertia, convergence and iterations."""

    labels: Int[Array, " n"]
    centers: Float[Array, "K d"]
    inertia: Float[Array, ""]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]


def _sq_distances(X: Float[Array, "n d"], centers: Float[Array, "K d"]) -> Float[Array, "n K"]:
    return jnp.sum((X[:, None, :] - centers[None, :, :]) ** 2, axis=-1)


def kmeans_plus_plus(key: PRNGKey, X: Float[Array, "n d"], K: int) -> Float[Array, "K d"]:
    """K initial centres by D² sampling (k-means++)."""
    keys = jax.random.split(key, K)
    first = X[jax.random.randint(keys[0], (), 0, X.shape[0])]
    centers = jnp.zeros((K, X.shape[1]), X.dtype).at[0].set(first)
    nearest = jnp.sum((X - first[None, :]) ** 2, axis=1)

    def draw(k, carry):
        centers, nearest = carry
        # log(0) = -inf: points on a centre are never drawn again
        pick = X[jax.random.categorical(keys[k], jnp.log(nearest))]
        nearest = jnp.minimum(nearest, jnp.sum((X - pick[None, :]) ** 2, axis=1))
        return centers.at[k].set(pick), nearest

    return lax.fori_loop(1, K, draw, (centers, nearest))[0]


def _update(X, labels, centers):
    ks = jnp.arange(centers.shape[0], dtype=labels.dtype)
    onehot = (labels[:, None] == ks[None, :]).astype(X.dtype)
    counts = jnp.sum(onehot, axis=0)
    means = (onehot.T @ X) / jnp.maximum(counts, 1.0)[:, None]
    return jnp.where(counts[:, None] > 0, means, centers)


def lloyd(X: Float[Array, "n d"], centers: Float[Array, "K d"], max_steps: int) -> KMeansFit:
    """Lloyd iterations from ``centers`` until no assignment changes or ``max_steps``."""

    def keep_going(state):
        _, _, step, changed = state
        return changed & (step < max_steps)

    def step(state):
        centers, labels, count, _ = state
        centers = _update(X, labels, centers)
        new = jnp.argmin(_sq_distances(X, centers), axis=1)
        return centers, new, count + 1, jnp.any(new != labels)

    labels = jnp.argmin(_sq_distances(X, centers), axis=1)
    start = (centers, labels, jnp.zeros((), jnp.int32), jnp.ones((), bool))
    centers, labels, count, changed = lax.while_loop(keep_going, step, start)
    inertia = jnp.sum(jnp.min(_sq_distances(X, centers), axis=1))
    return KMeansFit(labels.astype(jnp.int32), centers, inertia, ~changed, count)


def kmeans(
    key: PRNGKey, X: Float[Array, "n d"], K: int, restarts: int = 10, max_steps: int = 100
) -> KMeansFit:
    """Best of ``restarts`` k-means++ + Lloyd runs (smallest inertia), vmapped over keys.

    Args:
        key: seeds the restarts.
        X: points, n × d.
        K: number of clusters (static).
        restarts: independent k-means++ starts, ``vmap``-ped (static).
        max_steps: Lloyd iterations at most per start.

    Returns:
        the :class:`KMeansFit` of the run with the smallest inertia.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> X = jnp.array([[0.0], [0.1], [5.0], [5.1]])
        >>> fit = kmeans(jax.random.key(0), X, 2)
        >>> bool(fit.labels[0] == fit.labels[1] != fit.labels[2]), bool(fit.converged)
        (True, True)
    """

    def one(k):
        return lloyd(X, kmeans_plus_plus(k, X, K), max_steps)

    fits = jax.vmap(one)(jax.random.split(key, restarts))
    best = jnp.argmin(fits.inertia)
    return jax.tree.map(lambda leaf: leaf[best], fits)
