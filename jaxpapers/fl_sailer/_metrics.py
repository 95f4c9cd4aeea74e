"""Clustering and batch-mixing metrics (spec §3.1): ARI, NMI, iLISI, batch ASW, k-means.

ARI and NMI (arithmetic normalisation) are computed from the contingency table and equal
scikit-learn's ``adjusted_rand_score`` / ``normalized_mutual_info_score``. iLISI is the
inverse Simpson index of the batch labels among each cell's k nearest neighbours (the cell
itself included, as the spec's prototype computes it with ``NearestNeighbors.kneighbors``),
averaged over cells: 1 (no mixing) to #batches. Batch ASW follows scib: within each cell type,
the silhouette of the batch labels s_i, turned into 1 − |s_i|, averaged per type and then over
types (1 = well mixed). k-means: k-means++ seeding and Lloyd iterations, best of several
restarts (``vmap`` over keys). These are host-side evaluation helpers; tests check them against
scikit-learn.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Float, Int

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey

__all__ = ["adjusted_rand_index", "batch_asw", "ilisi", "kmeans", "normalized_mutual_info"]


def _contingency(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    a, b = np.asarray(a).ravel(), np.asarray(b).ravel()
    if a.shape != b.shape:
        raise ValueError(f"labels must have the same length, got {a.size} and {b.size}")
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1), np.int64)
    np.add.at(table, (ia, ib), 1)
    return table


def adjusted_rand_index(labels_true: ArrayLike, labels_pred: ArrayLike) -> float:
    """Hubert–Arabie adjusted Rand index (1 = same partition, ≈ 0 = chance).

    Args:
        labels_true: reference labels.
        labels_pred: predicted labels (any integer or string codes).

    Returns:
        the ARI.

    Examples:
        >>> adjusted_rand_index([0, 0, 1, 1], [1, 1, 0, 0])
        1.0
    """
    table = _contingency(labels_true, labels_pred)
    n = table.sum()

    def pairs(v):
        return float(np.sum(v * (v - 1)) / 2)

    index, rows, cols = pairs(table), pairs(table.sum(1)), pairs(table.sum(0))
    expected = rows * cols / (n * (n - 1) / 2)
    top = (rows + cols) / 2
    if top == expected:
        return 1.0
    return float((index - expected) / (top - expected))


def normalized_mutual_info(labels_true: ArrayLike, labels_pred: ArrayLike) -> float:
    """Mutual information over the arithmetic mean of the two entropies (sklearn's default).

    Args:
        labels_true: reference labels.
        labels_pred: predicted labels.

    Returns:
        the NMI in [0, 1].

    Examples:
        >>> normalized_mutual_info([0, 0, 1, 1], [1, 1, 0, 0])
        1.0
    """
    table = _contingency(labels_true, labels_pred).astype(np.float64)
    joint = table / table.sum()
    pa, pb = joint.sum(1), joint.sum(0)
    nz = joint > 0
    mi = float(np.sum(joint[nz] * np.log(joint[nz] / np.outer(pa, pb)[nz])))
    ha = -float(np.sum(pa * np.log(pa)))
    hb = -float(np.sum(pb * np.log(pb)))
    if ha == 0 or hb == 0:
        return 1.0 if ha == hb else 0.0
    return max(mi, 0.0) / ((ha + hb) / 2)


def _sq_distances(x: Array, y: Array) -> Array:
    return jnp.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)


def ilisi(
    embedding: Float[Array, "n d"], batch: Int[Array, " n"], num_batches: int, k: int = 30
) -> Float[Array, ""]:
    """Mean over cells of 1 / Σ_b p_ib², p_ib the share of batch b among the k nearest cells.

    Args:
        embedding: cells × d.
        batch: batch index of each cell.
        num_batches: the number of batches (iLISI's maximum).
        k: neighbours, the cell itself included.

    Returns:
        iLISI in [1, num_batches].

    Examples:
        >>> import jax.numpy as jnp
        >>> x = jnp.array([[0.0], [0.1], [5.0], [5.1]])
        >>> float(ilisi(x, jnp.array([0, 1, 0, 1]), 2, k=2))
        2.0
    """
    _validate.check_ndim("embedding", embedding, 2)
    _validate.check_integer("k", k, minimum=1)
    if k > np.shape(embedding)[0]:
        raise ValueError(f"k must be <= the number of cells {np.shape(embedding)[0]}, got {k}")
    embedding = jnp.asarray(embedding, jnp.float32)
    _, neighbours = lax.top_k(-_sq_distances(embedding, embedding), k)
    onehot = jax.nn.one_hot(jnp.asarray(batch)[neighbours], num_batches, dtype=jnp.float32)
    shares = jnp.mean(onehot, axis=1)
    return jnp.mean(1.0 / jnp.sum(shares**2, axis=1))


def _silhouette_samples(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    dist = np.sqrt(np.maximum(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1), 0.0))
    groups = np.unique(labels)
    onehot = (labels[:, None] == groups[None, :]).astype(np.float64)
    sizes = onehot.sum(0)
    sums = dist @ onehot  # n × groups
    own = labels[:, None] == groups[None, :]
    own_size = sizes[np.argmax(own, axis=1)]
    a = np.where(own_size > 1, (sums * own).sum(1) / np.maximum(own_size - 1, 1), 0.0)
    other = np.where(own, np.inf, sums / sizes[None, :])
    b = other.min(1)
    s = (b - a) / np.maximum(np.maximum(a, b), 1e-300)
    return np.where(own_size > 1, s, 0.0)


def batch_asw(embedding: ArrayLike, batch: ArrayLike, cell_type: ArrayLike) -> float:
    """scib's batch silhouette: mean over cell types of mean_i (1 − |s_i|) within that type.

    Types present in fewer than two batches are skipped.

    Args:
        embedding: cells × d.
        batch: batch of each cell.
        cell_type: cell type of each cell.

    Returns:
        the batch ASW in [0, 1] (NaN if no type spans two batches).

    Examples:
        >>> x = [[0.0], [0.1], [5.0], [5.1]]  # each batch in both clusters: well mixed
        >>> round(batch_asw(x, [0, 1, 0, 1], [0, 0, 0, 0]), 3)
        0.51
    """
    x = np.asarray(embedding, np.float64)
    batch, cell_type = np.asarray(batch), np.asarray(cell_type)
    scores = []
    for t in np.unique(cell_type):
        rows = cell_type == t
        if len(np.unique(batch[rows])) < 2:
            continue
        scores.append(np.mean(1.0 - np.abs(_silhouette_samples(x[rows], batch[rows]))))
    return float(np.mean(scores)) if scores else float("nan")


def _plus_plus(key: PRNGKey, x: Array, k: int) -> Array:
    keys = jax.random.split(key, k)
    first = x[jax.random.randint(keys[0], (), 0, x.shape[0])]
    centres = jnp.zeros((k, x.shape[1]), x.dtype).at[0].set(first)
    nearest = jnp.sum((x - first[None, :]) ** 2, axis=1)

    def draw(i, carry):
        centres, nearest = carry
        pick = x[jax.random.categorical(keys[i], jnp.log(nearest))]
        return centres.at[i].set(pick), jnp.minimum(nearest, jnp.sum((x - pick[None, :]) ** 2, 1))

    return lax.fori_loop(1, k, draw, (centres, nearest))[0]


def _lloyd(x: Array, centres: Array, max_steps: int):
    def assign(c):
        return jnp.argmin(_sq_distances(x, c), axis=1)

    def step(state):
        centres, labels, count, _ = state
        onehot = jax.nn.one_hot(labels, centres.shape[0], dtype=x.dtype)
        size = jnp.sum(onehot, axis=0)
        means = (onehot.T @ x) / jnp.maximum(size, 1.0)[:, None]
        centres = jnp.where(size[:, None] > 0, means, centres)
        new = assign(centres)
        return centres, new, count + 1, jnp.any(new != labels)

    start = (centres, assign(centres), jnp.zeros((), jnp.int32), jnp.ones((), bool))
    centres, labels, count, changed = lax.while_loop(
        lambda s: s[3] & (s[2] < max_steps), step, start
    )
    inertia = jnp.sum(jnp.min(_sq_distances(x, centres), axis=1))
    return labels, inertia, ~changed, count


def kmeans(
    key: PRNGKey, x: Float[Array, "n d"], k: int, *, restarts: int = 10, max_steps: int = 100
) -> tuple[Int[Array, " n"], Array, Array]:
    """Best (least inertia) of ``restarts`` k-means++ + Lloyd runs.

    Args:
        key: seeds the restarts.
        x: points, n × d.
        k: number of clusters.
        restarts: independent k-means++ starts (``vmap``-ped).
        max_steps: Lloyd iterations at most per start.

    Returns:
        (labels, converged, num_steps) of the best run.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> x = jnp.array([[0.0], [0.1], [5.0], [5.1]])
        >>> labels, converged, _ = kmeans(jax.random.key(0), x, 2)
        >>> bool(labels[0] == labels[1]) and bool(labels[0] != labels[2]), bool(converged)
        (True, True)
    """
    x = jnp.asarray(x, jnp.float32)
    runs = jax.vmap(lambda kk: _lloyd(x, _plus_plus(kk, x, k), max_steps))(
        jax.random.split(key, restarts)
    )
    best = jnp.argmin(runs[1])
    return runs[0][best].astype(jnp.int32), runs[2][best], runs[3][best]
