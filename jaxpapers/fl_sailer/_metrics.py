"""Clustering and batch-mixing metrics (spec §3.1): ARI, NMI, iLISI, batch ASW.

ARI and NMI (arithmetic normalisation) are computed from the contingency table and equal
scikit-learn's ``adjusted_rand_score`` / ``normalized_mutual_info_score``. iLISI is the
inverse Simpson index of the batch labels among each cell's k nearest neighbours (the cell
itself included, as the spec's prototype computes it with ``NearestNeighbors.kneighbors``),
averaged over cells: 1 (no mixing) to #batches. Batch ASW follows scib: within each cell type,
the silhouette of the batch labels s_i, turned into 1 − |s_i|, averaged per type and then over
types (1 = well mixed). These are host-side evaluation helpers; tests check them against
scikit-learn. The reproduction clusters embeddings with :func:`jaxpapers.stats.kmeans`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Float, Int

from jaxpapers import _validate

__all__ = ["adjusted_rand_index", "batch_asw", "ilisi", "normalized_mutual_info"]


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
