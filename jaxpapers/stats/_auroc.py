"""AUROC as a Mann–Whitney statistic, plain, stratified and length-controlled.

The AUROC of a score for a binary label is the probability that a random positive scores above a
random negative, counting ties as one half:

    AUROC = U / (P·N),    U = Σ_{i: y_i=1} [ #{j: y_j=0, s_j < s_i} + ½ #{j: y_j=0, s_j = s_i} ].

A *stratified* AUROC only compares pairs inside the same stratum and pools them,
AUROC_strat = Σ_b U_b / Σ_b P_b N_b, which is the average of the per-stratum AUROCs weighted by
their numbers of positive×negative pairs. With strata = quantile bins of a length, this is the
length-controlled AUROC (LC-AUROC) used to judge hallucination detectors whose raw score would
otherwise just measure how long the answer is.

Everything runs in O(m log m) with static shapes (sorts and searches, no pairwise matrix), so it
works under ``jit`` and ``vmap`` (e.g. over bootstrap replicates).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxpapers import _validate

__all__ = ["StratifiedAUROC", "auroc", "lc_auroc", "length_bins", "stratified_auroc"]


class StratifiedAUROC(NamedTuple):
    """Result of :func:`stratified_auroc`.

    Attributes:
        auroc: pooled AUROC over the strata that contain both classes (NaN if none does).
        per_stratum: AUROC inside each stratum (NaN where a class is missing).
        n_pos, n_neg: positives and negatives per stratum.
        pairs_retained: fraction of all positive×negative pairs that lie inside one stratum.
    """

    auroc: Float[Array, ""]
    per_stratum: Float[Array, " n_strata"]
    n_pos: Int[Array, " n_strata"]
    n_neg: Int[Array, " n_strata"]
    pairs_retained: Float[Array, ""]


def _is_concrete(x) -> bool:
    return _validate.is_concrete(x)


def _check_inputs(score, label, name_extra: dict | None = None):
    score = jnp.asarray(score)
    label = jnp.asarray(label)
    if score.ndim != 1:
        raise ValueError(f"score must be one-dimensional [m], got shape {score.shape}")
    if label.shape != score.shape:
        raise ValueError(f"label must have the shape of score {score.shape}, got {label.shape}")
    if not jnp.issubdtype(score.dtype, jnp.floating):
        score = score.astype(jnp.result_type(float))
    if label.dtype != jnp.bool_:
        if not jnp.issubdtype(label.dtype, jnp.integer):
            raise TypeError(f"label must be bool or integer 0/1, got dtype {label.dtype}")
        if _is_concrete(label) and not np.all(np.isin(np.asarray(label), (0, 1))):
            raise ValueError("label must contain only 0 and 1")
        label = label == 1
    if _is_concrete(score) and not np.all(np.isfinite(np.asarray(score))):
        raise ValueError("score must be finite (NaN or inf found)")
    for name, value in (name_extra or {}).items():
        if jnp.shape(value) != score.shape:
            raise ValueError(
                f"{name} must have the shape of score {score.shape}, got {jnp.shape(value)}"
            )
    return score, label


def _mann_whitney_counts(score, label, stratum, n_strata: int):
    """Per-stratum U statistic, positives and negatives, by sorting on (stratum, score)."""
    m = score.shape[0]
    # Dense-rank the scores so that (stratum, rank) packs into one sortable integer key;
    # equal scores share a rank, which is how ties get the weight ½ below.
    rank = jnp.searchsorted(jnp.sort(score), score, side="left").astype(jnp.int32)
    key = stratum.astype(jnp.int32) * m + rank
    order = jnp.argsort(key)
    sorted_key = key[order]
    negative = jnp.logical_not(label)
    neg_before = jnp.concatenate(
        [jnp.zeros(1, jnp.int32), jnp.cumsum(negative[order], dtype=jnp.int32)]
    )
    first = jnp.searchsorted(sorted_key, key, side="left")
    after = jnp.searchsorted(sorted_key, key, side="right")
    stratum_start = jnp.searchsorted(sorted_key, stratum.astype(jnp.int32) * m, side="left")
    below = neg_before[first] - neg_before[stratum_start]
    tied = neg_before[after] - neg_before[first]
    wins = jnp.where(label, below.astype(score.dtype) + 0.5 * tied.astype(score.dtype), 0.0)
    u = jax.ops.segment_sum(wins, stratum, num_segments=n_strata)
    n_pos = jax.ops.segment_sum(label.astype(jnp.int32), stratum, num_segments=n_strata)
    n_neg = jax.ops.segment_sum(negative.astype(jnp.int32), stratum, num_segments=n_strata)
    return u, n_pos, n_neg


def stratified_auroc(
    score: Float[ArrayLike, " m"],
    label: Bool[ArrayLike, " m"] | Int[ArrayLike, " m"],
    stratum: Int[ArrayLike, " m"],
    n_strata: int,
) -> StratifiedAUROC:
    """AUROC that only compares positives and negatives of the same stratum.

    AUROC_strat = Σ_b U_b / Σ_b P_b N_b (module docstring): the pair-weighted mean of the
    per-stratum AUROCs. Strata without both classes contribute no pairs.

    Args:
        score: higher means "more likely positive", shape ``[m]``.
        label: bool, or integers 0/1, shape ``[m]``.
        stratum: integer stratum of each sample in ``[0, n_strata)``.
        n_strata: number of strata (static).

    Example:
        >>> r = stratified_auroc(jnp.array([0.1, 0.9, 0.2, 0.3]), jnp.array([0, 1, 0, 1]),
        ...                      jnp.array([0, 0, 1, 1]), 2)
        >>> float(r.auroc)
        1.0
    """
    score, label = _check_inputs(score, label, {"stratum": stratum})
    stratum = jnp.asarray(stratum)
    if not jnp.issubdtype(stratum.dtype, jnp.integer):
        raise TypeError(f"stratum must be integer, got dtype {stratum.dtype}")
    if not isinstance(n_strata, int | np.integer) or n_strata < 1:
        raise ValueError(f"n_strata must be a positive int, got {n_strata!r}")
    if (
        _is_concrete(stratum)
        and stratum.size
        and not bool(jnp.all((stratum >= 0) & (stratum < n_strata)))
    ):
        raise ValueError(f"stratum must lie in [0, {n_strata}), got values outside")
    u, n_pos, n_neg = _mann_whitney_counts(score, label, stratum, int(n_strata))
    pairs = (n_pos * n_neg).astype(score.dtype)
    total_pairs = (jnp.sum(n_pos) * jnp.sum(n_neg)).astype(score.dtype)
    kept = jnp.sum(pairs)
    pooled = jnp.where(kept > 0, jnp.sum(u) / jnp.where(kept > 0, kept, 1.0), jnp.nan)
    per = jnp.where(pairs > 0, u / jnp.where(pairs > 0, pairs, 1.0), jnp.nan)
    retained = jnp.where(total_pairs > 0, kept / jnp.where(total_pairs > 0, total_pairs, 1.0), 0.0)
    return StratifiedAUROC(pooled, per, n_pos, n_neg, retained)


def auroc(
    score: Float[ArrayLike, " m"], label: Bool[ArrayLike, " m"] | Int[ArrayLike, " m"]
) -> Float[Array, ""]:
    """Area under the ROC curve (ties count one half), equal to sklearn's ``roc_auc_score``.

    Returns NaN (under ``jit``) or raises (eagerly) when only one class is present.

    Example:
        >>> float(auroc(jnp.array([0.1, 0.4, 0.35, 0.8]), jnp.array([0, 0, 1, 1])))
        0.75
    """
    score, label = _check_inputs(score, label)
    if _is_concrete(label) and len(np.unique(np.asarray(label))) < 2:
        raise ValueError("label must contain both classes to define an AUROC")
    stratum = jnp.zeros(score.shape, jnp.int32)
    return stratified_auroc(score, label, stratum, 1).auroc


def length_bins(length: Float[ArrayLike, " m"] | Int[ArrayLike, " m"], n_bins: int = 5):
    """Quantile bin of each length: ``searchsorted(inner quantile edges, length, 'right')``.

    Edges are the ``n_bins + 1`` linear-interpolation quantiles (numpy's default) of ``length``;
    repeated lengths can leave bins empty, which is harmless for :func:`stratified_auroc`.
    """
    length = jnp.asarray(length)
    if length.ndim != 1:
        raise ValueError(f"length must be one-dimensional [m], got shape {length.shape}")
    if not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive int, got {n_bins!r}")
    values = length.astype(jnp.result_type(float))
    edges = jnp.quantile(values, jnp.linspace(0.0, 1.0, int(n_bins) + 1, dtype=values.dtype))
    return jnp.searchsorted(edges[1:-1], values, side="right").astype(jnp.int32)


def lc_auroc(
    score: Float[ArrayLike, " m"],
    label: Bool[ArrayLike, " m"] | Int[ArrayLike, " m"],
    length: Float[ArrayLike, " m"] | Int[ArrayLike, " m"],
    n_bins: int = 5,
) -> Float[Array, ""]:
    """Length-controlled AUROC: :func:`stratified_auroc` over quantile bins of ``length``.

    Bins ``length`` into ``n_bins`` quantile bins (:func:`length_bins`), computes the AUROC inside
    every bin holding both classes and averages them weighted by positive×negative pairs, so a
    score that only encodes the bin gets 0.5. Lengths still vary inside a bin: a score equal to
    the length itself keeps that residual signal (see :func:`stratified_auroc` for the retained
    fraction of pairs). Proposed in spec §1.4-8 (the paper's exact protocol is unknown).

    Example:
        >>> length = jnp.array([1, 1, 1, 1, 9, 9, 9, 9])
        >>> label = jnp.array([0, 0, 1, 1, 0, 1, 1, 1])
        >>> float(lc_auroc(length.astype(jnp.float32), label, length, n_bins=2))
        0.5
    """
    _check_inputs(score, label, {"length": length})
    return stratified_auroc(score, label, length_bins(length, n_bins), int(n_bins)).auroc
