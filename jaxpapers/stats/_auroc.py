"""AUROC as a Mann–Whitney statistic, plain, stratified and length-controlled.

The AUROC of a score for a binary label is the probability that a random positive scores above a
random negative, counting ties as one half:

    AUROC = U / (P·N),    U = Σ_{i: y_i=1} [ #{j: y_j=0, s_j < s_i} + ½ #{j: y_j=0, s_j = s_i} ].

A *stratified* AUROC only compares pairs inside the same stratum and pools them,
AUROC_strat = Σ_b U_b / Σ_b P_b N_b, which is the average of the per-stratum AUROCs weighted by
their numbers of positive×negative pairs. A *matched* AUROC compares a positive and a negative
only when their lengths agree (exactly, or within a tolerance): the length-controlled AUROC
(LC-AUROC) used to judge hallucination detectors whose raw score would otherwise just measure
how long the answer is.

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

__all__ = [
    "MatchedAUROC",
    "StratifiedAUROC",
    "auroc",
    "lc_auroc",
    "length_bins",
    "matched_auroc",
    "stratified_auroc",
]


class MatchedAUROC(NamedTuple):
    """Result of :func:`matched_auroc`.

    Attributes:
        auroc: AUROC over length-matched positive×negative pairs (NaN if none is matched).
        n_pairs: (weighted) number of matched positive×negative pairs.
        pairs_retained: their fraction of all (weighted) positive×negative pairs.
    """

    auroc: Float[Array, ""]
    n_pairs: Float[Array, ""]
    pairs_retained: Float[Array, ""]


class StratifiedAUROC(NamedTuple):
    """Result of :func:`stratified_auroc`.

    Attributes:
        auroc: pooled AUROC over the strata that contain both classes (NaN if none does).
        per_stratum: AUROC inside each stratum (NaN where a class is missing).
        n_pos: positives and negatives per stratum.
        n_neg: see ``n_pos``.
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

    Examples:
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

    Examples:
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


def _matched_counts(score, label, length, weight, tolerance: int):
    """Weighted U statistic and pair count over positive×negative pairs with |Δlength| ≤ tol.

    Samples are sorted by the packed key (length code, score rank); for a positive i and an
    offset δ, the negatives of length l_i + δ scoring below s_i form one contiguous run of that
    order, so cumulative negative weights give their total in two binary searches.
    """
    m = score.shape[0]
    itype = jnp.int64 if m * m >= 2**31 else jnp.int32
    sorted_length = jnp.sort(length)
    code = jnp.searchsorted(sorted_length, length, side="left").astype(itype)
    rank = jnp.searchsorted(jnp.sort(score), score, side="left").astype(itype)
    key = code * m + rank
    order = jnp.argsort(key)
    sorted_key = key[order]
    negative = jnp.where(label, 0.0, weight).astype(score.dtype)
    cum = jnp.concatenate([jnp.zeros(1, score.dtype), jnp.cumsum(negative[order])])
    wins = jnp.zeros(m, score.dtype)
    pairs = jnp.zeros(m, score.dtype)
    for offset in range(-tolerance, tolerance + 1):
        target = length + jnp.asarray(offset, length.dtype)
        first = jnp.searchsorted(sorted_length, target, side="left")
        exists = sorted_length[jnp.minimum(first, m - 1)] == target
        base = first.astype(itype) * m
        start, stop = (jnp.searchsorted(sorted_key, q, side="left") for q in (base, base + m))
        low, high = (jnp.searchsorted(sorted_key, base + rank, side=s) for s in ("left", "right"))
        below = cum[low] - cum[start]
        tied = cum[high] - cum[low]
        wins = wins + jnp.where(exists, below + 0.5 * tied, 0.0)
        pairs = pairs + jnp.where(exists, cum[stop] - cum[start], 0.0)
    positive = jnp.where(label, weight, 0.0).astype(score.dtype)
    return jnp.sum(positive * wins), jnp.sum(positive * pairs), jnp.sum(positive), jnp.sum(negative)


def matched_auroc(
    score: Float[ArrayLike, " m"],
    label: Bool[ArrayLike, " m"] | Int[ArrayLike, " m"],
    length: Float[ArrayLike, " m"] | Int[ArrayLike, " m"],
    *,
    tolerance: int = 0,
    sample_weight: Float[ArrayLike, " m"] | None = None,
) -> MatchedAUROC:
    """AUROC over the positive×negative pairs whose lengths differ by at most ``tolerance``.

        LC-AUROC = Σ_{i∈P} Σ_{j∈N, |l_i − l_j| ≤ τ} w_i w_j ([s_i > s_j] + ½[s_i = s_j])
                   / Σ_{i∈P} Σ_{j∈N, |l_i − l_j| ≤ τ} w_i w_j .

    With τ = 0 this is the stratified AUROC over strata of equal length, so a score that is a
    function of the length alone gets exactly ½ (every matched pair is a tie). Row weights
    (e.g. bootstrap multiplicities) keep shapes static, so replicates ``vmap``. O((2τ+1) m log m).

    Args:
        score: higher means "more likely positive", shape ``[m]``.
        label: bool, or integers 0/1, shape ``[m]``.
        length: the matching variable, shape ``[m]`` (integer when ``tolerance > 0``).
        tolerance: τ ≥ 0 (static), in units of ``length``.
        sample_weight: nonnegative row weights; ones by default.

    Returns:
        :class:`MatchedAUROC` (the AUROC is NaN when no pair is matched).

    Examples:
        >>> import jax.numpy as jnp
        >>> length = jnp.array([3, 3, 5, 5, 5])
        >>> r = matched_auroc(jnp.array([0.1, 0.9, 0.4, 0.2, 0.6]),
        ...                   jnp.array([0, 1, 0, 1, 1]), length)
        >>> round(float(r.auroc), 4), float(r.n_pairs)  # 2 of 3 equal-length pairs ordered
        (0.6667, 3.0)
    """
    score, label = _check_inputs(score, label, {"length": length})
    length = jnp.asarray(length)
    _validate.check_integer("tolerance", tolerance, minimum=0)
    if tolerance > 0 and not jnp.issubdtype(length.dtype, jnp.integer):
        raise TypeError(f"length must be integer when tolerance > 0, got dtype {length.dtype}")
    _validate.check_finite("length", length)
    m = score.shape[0]
    if m * m >= 2**31 and jax.dtypes.canonicalize_dtype(np.int64) != np.int64:  # x64 off
        raise ValueError(f"score must have at most 46340 samples without jax_enable_x64, got {m}")
    if sample_weight is None:
        weight = jnp.ones(m, score.dtype)
    else:
        weight = jnp.asarray(sample_weight, score.dtype)
        if weight.shape != score.shape:
            raise ValueError(
                f"sample_weight must have the shape of score {score.shape}, got {weight.shape}"
            )
        _validate.check_range("sample_weight", weight, low=0.0)
    u, pairs, positives, negatives = _matched_counts(score, label, length, weight, tolerance)
    auc = jnp.where(pairs > 0, u / jnp.where(pairs > 0, pairs, 1.0), jnp.nan)
    total = positives * negatives
    retained = jnp.where(total > 0, pairs / jnp.where(total > 0, total, 1.0), 0.0)
    return MatchedAUROC(auc, pairs, retained)


def lc_auroc(
    score: Float[ArrayLike, " m"],
    label: Bool[ArrayLike, " m"] | Int[ArrayLike, " m"],
    length: Float[ArrayLike, " m"] | Int[ArrayLike, " m"],
    *,
    tolerance: int = 0,
) -> Float[Array, ""]:
    """Length-controlled AUROC: pairs are compared only when their lengths match.

    The AUROC of :func:`matched_auroc` (exact matching by default, or within ``tolerance``).
    Spec §1.4-8 proposed quantile bins of length; inside a bin lengths still vary, so a score
    equal to the length kept signal (0.56 on HaluEval dialogue). Matching removes what the
    matching variable itself explains; another length measure (words when matching on tokens)
    can still carry signal. For the binned variant use
    ``stratified_auroc(score, label, length_bins(length, n_bins), n_bins)``.

    Examples:
        >>> import jax.numpy as jnp
        >>> length = jnp.array([1, 1, 1, 1, 9, 9, 9, 9])
        >>> label = jnp.array([0, 0, 1, 1, 0, 1, 1, 1])
        >>> float(lc_auroc(length.astype(jnp.float32), label, length))
        0.5
    """
    return matched_auroc(score, label, length, tolerance=tolerance).auroc
