"""One rank test per point: are its within-cluster distances smaller than its between ones?

For point i with label ℓ_i (spec §3.2), W_i = {d_ij : ℓ_j = ℓ_i, j ≠ i} and B_i = {d_ij : ℓ_j ≠ ℓ_i}
(``between="all"``) or only the distances to the other cluster with the smallest median
distance to i (``between="nearest"``). The one-sided Mann–Whitney statistic

    U_i = Σ_{a ∈ W_i} rank(a in W_i ∪ B_i) − n_w (n_w + 1)/2        (average ranks for ties)

is small when the within distances are small; its p-value is the normal approximation with
continuity and tie corrections of ``scipy.stats.mannwhitneyu(W_i, B_i, alternative="less",
method="asymptotic")``,

    p_i = Φ((U_i − n_w n_b/2 + 1/2) / σ_i),
    σ_i² = n_w n_b/12 · [(N + 1) − Σ_t (t³ − t) / (N (N − 1))],   N = n_w + n_b,

and AUC_i = 1 − U_i/(n_w n_b) = P(within < between) is its effect size. With ``test="ks"`` the
p-value is instead the one-sided two-sample Kolmogorov–Smirnov test of D⁺ = max_x (F_W − F_B)
with Hodges' asymptotic formula (scipy's ``ks_2samp(..., alternative="greater",
method="asymp")``).

Each row is one sort of the n − 1 distances carrying the labels along (``lax.sort``), then
prefix sums over the sorted row give every rank and tie count in O(n): O(n² log n) time and
O(n²) memory for all points, vmapped over rows. Reference: Modak, "Evaluation of the number of
clusters in a data set using p-values from multiple tests of hypotheses", arXiv:2605.20806
(2026); the test itself is reconstructed (spec §0).
"""

from __future__ import annotations

import functools

import numpy as np

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy.special import ndtr
from jaxtyping import Array, ArrayLike, Float, Int

from jaxpapers import _validate
from jaxpapers.grb_clustering._types import BETWEEN, TESTS, PointTests

__all__ = ["point_pvalues", "point_tests"]


def _sorted_rows(X, code_of, code_bits: int):
    """Each point's distances to the others, sorted, with a small code packed in the low bits.

    Sorting one integer key per element is several times faster on XLA:CPU than sorting
    floats with a payload: a non-negative float's bit pattern orders like the float, so the
    distance's lowest ``code_bits`` mantissa bits are replaced by the code (the within flag or
    the label). Distances that agree in all other bits (about 15 significant digits in float64)
    count as ties. The point itself sorts last (+inf).
    """
    n = X.shape[0]
    index = jnp.arange(n)
    int_type = {4: jnp.int32, 8: jnp.int64}[X.dtype.itemsize]

    def row(i):
        distance = jnp.sqrt(jnp.sum((X - X[i][None, :]) ** 2, axis=1))
        distance = jnp.where(index == i, jnp.inf, distance)
        bits = lax.bitcast_convert_type(distance, int_type)
        code = jnp.where(index == i, 0, code_of(i).astype(int_type))
        return jnp.sort(((bits >> code_bits) << code_bits) | code)

    keys = jax.vmap(row)(index)
    return keys >> code_bits, keys & ((1 << code_bits) - 1)


def _no_ties(values, within, dtype):
    zeros = jnp.zeros(values.shape[0], dtype)
    return zeros, zeros


def _tie_corrections(values, within, dtype):
    """Per row: the overcount Σ_{p ∈ W} b_p/2 of the sorted-position formula and Σ(t³ − t).

    b_p is the number of between values tied with (and sorted before) within value p; r_p the
    number of equal values before p, so Σ_groups (t³ − t) = 3 Σ_p (r_p² + r_p). Prefix scans.
    """
    position = jnp.arange(values.shape[1], dtype=jnp.int32)[None, :]
    first = jnp.concatenate(
        [jnp.ones((values.shape[0], 1), bool), values[:, 1:] != values[:, :-1]], axis=1
    )
    start = lax.cummax(jnp.where(first, position, 0), axis=1)
    within = within.astype(jnp.int32)
    within_before = jnp.cumsum(within, axis=1, dtype=jnp.int32) - within
    run = position - start
    between_tied = run - (within_before - jnp.take_along_axis(within_before, start, axis=1))
    overcount = 0.5 * jnp.sum(within * between_tied, axis=1).astype(dtype)
    return overcount, 3 * jnp.sum(run * run + run, axis=1).astype(dtype)


def _mwu_all(values, within, dtype):
    """U, n_w, n_b and Σ(t³ − t) per point when B_i holds every other cluster.

    In sorted order (between before within inside a tie group) the number of between values
    below the within value at position p is p − #(within before p), which sums to
    Σ_{p ∈ W} p − n_w(n_w − 1)/2; a tie group with b between values overcounts b/2 for each of
    its within values (:func:`_tie_corrections`). Continuous data have no ties, and then no
    prefix scan runs (``lax.cond``).
    """
    n = values.shape[1]
    tied = jnp.any(values[:, 1:] == values[:, :-1])
    overcount, ties = lax.cond(
        tied,
        functools.partial(_tie_corrections, dtype=dtype),
        functools.partial(_no_ties, dtype=dtype),
        values,
        within,
    )
    n_w = jnp.sum(within, axis=1).astype(dtype)
    position_sum = jnp.sum(jnp.where(within, jnp.arange(n)[None, :], 0), axis=1).astype(dtype)
    u = position_sum - n_w * (n_w - 1) / 2 - overcount
    return u, n_w, (n - 1) - n_w, ties


def _normal_pvalue(u, n_w, n_b, ties):
    """Φ((U − n_w n_b/2 + 1/2)/σ), tie-corrected σ; p = 1, AUC = 0.5 where undefined."""
    pairs, total = n_w * n_b, n_w + n_b
    variance = pairs / 12 * ((total + 1) - ties / jnp.maximum(total * (total - 1), 1.0))
    ok = (pairs > 0) & (variance > 0)
    z = (u - pairs / 2 + 0.5) / jnp.sqrt(jnp.where(ok, variance, 1.0))
    auc = 1 - u / jnp.where(ok, pairs, 1.0)
    return jnp.where(ok, ndtr(z), 1.0), jnp.where(ok, auc, 0.5), ok


def _nearest_other(distance, labels_sorted, valid, own, num_clusters: int):
    """Label of the other cluster with the smallest median distance (one sorted row)."""
    ks = jnp.arange(num_clusters, dtype=labels_sorted.dtype)
    member = valid[None, :] & (labels_sorted[None, :] == ks[:, None])  # (K, n)
    count = jnp.sum(member, axis=1)
    rank = jnp.cumsum(member, axis=1)  # 1-based rank of each member inside its cluster

    def pick(r):  # the distance of the member with in-cluster rank r, per cluster
        hit = member & (rank == r[:, None])
        return jnp.sum(jnp.where(hit, distance[None, :], 0.0), axis=1)

    median = 0.5 * (pick((count + 1) // 2) + pick(count // 2 + 1))
    median = jnp.where((ks == own) | (count == 0), jnp.inf, median)
    return jnp.argmin(median)


def _row_general(values, code, own, between, test, num_clusters, code_bits, dtype):
    """U-based p and AUC of one point with exact prefix scans (``"nearest"`` or ``"ks"``)."""
    n = values.shape[0]
    own = own.astype(code.dtype)
    valid = jnp.arange(n) < n - 1
    if between == "all":
        within, other = valid & (code == 1), valid & (code == 0)
    else:
        distance = lax.bitcast_convert_type(values << code_bits, dtype)
        nearest = _nearest_other(distance, code, valid, own, num_clusters)
        within, other = valid & (code == own), valid & (code == nearest)
    used = within | other
    position = jnp.arange(n)
    differs = values[1:] != values[:-1]
    first = jnp.concatenate([jnp.ones(1, bool), differs])
    last = jnp.concatenate([differs, jnp.ones(1, bool)])
    start = lax.cummax(jnp.where(first, position, 0))
    end = lax.cummin(jnp.where(last, position, n - 1), reverse=True)
    count = jnp.cumsum(used, dtype=jnp.int32)
    below = (count - used.astype(jnp.int32))[start]  # included values < this one
    upto = count[end]  # included values ≤ this one
    rank = 0.5 * (below + upto + 1).astype(dtype)
    n_w, n_b = jnp.sum(within).astype(dtype), jnp.sum(other).astype(dtype)
    u = jnp.sum(jnp.where(within, rank, 0.0)) - n_w * (n_w + 1) / 2
    ties = jnp.sum(jnp.where(used, ((upto - below) ** 2 - 1).astype(dtype), 0.0))
    pvalue, auc, ok = _normal_pvalue(u, n_w, n_b, ties)
    if test == "ks":
        pvalue = jnp.where(ok, _ks_pvalue(within, other, last, n_w, n_b), 1.0)
    return pvalue, auc


def _ks_pvalue(within, other, group_end, n_w, n_b):
    """One-sided KS p-value of D⁺ = max(F_W − F_B), Hodges' approximation (as scipy)."""
    dtype = n_w.dtype
    gap = jnp.cumsum(within, dtype=dtype) / jnp.maximum(n_w, 1.0) - jnp.cumsum(
        other, dtype=dtype
    ) / jnp.maximum(n_b, 1.0)
    d_plus = jnp.maximum(jnp.max(jnp.where(group_end, gap, 0.0)), 0.0)
    m, k = jnp.maximum(n_w, n_b), jnp.minimum(n_w, n_b)
    z = jnp.sqrt(m * k / jnp.maximum(m + k, 1.0)) * d_plus
    exponent = -2 * z**2 - 2 * z * (m + 2 * k) / jnp.sqrt(jnp.maximum(m * k * (m + k), 1.0)) / 3
    return jnp.clip(jnp.exp(exponent), 0.0, 1.0)


@functools.partial(jax.jit, static_argnames=("between", "test", "num_clusters"))
def point_tests(
    X: Float[Array, "n d"],
    labels: Int[Array, " n"],
    *,
    between: str = "all",
    test: str = "mwu",
    num_clusters: int | None = None,
) -> PointTests:
    """p_i and AUC_i of every point (no input checks; see :func:`point_pvalues`).

    Jitted, and vmap-friendly: ``between``, ``test`` and ``num_clusters`` (needed for
    ``between="nearest"``) are static. Points alone in their cluster get p = 1, AUC = 0.5.
    The default (``"all"``, ``"mwu"``) needs one integer sort per point and no prefix scans.
    """
    dtype = X.dtype
    if between == "all":
        bits = 1
        values, code = _sorted_rows(X, lambda i: labels == labels[i], bits)
    else:
        if num_clusters is None:
            raise ValueError("num_clusters must be given for between='nearest'")
        bits = max(1, (num_clusters - 1).bit_length())
        values, code = _sorted_rows(X, lambda i: labels, bits)
    if between == "all" and test == "mwu":
        pvalue, auc, _ = _normal_pvalue(*_mwu_all(values, code == 1, dtype))
        return PointTests(pvalue, auc)
    row = jax.vmap(
        lambda v, c, own: _row_general(v, c, own, between, test, num_clusters, bits, dtype)
    )
    return PointTests(*row(values, code, labels))


def _check_labels(labels, n: int, num_clusters: int | None) -> int | None:
    _validate.check_ndim("labels", labels, 1)
    if jnp.shape(labels)[0] != n:
        raise ValueError(f"labels must have one entry per row of X ({n}), got {jnp.shape(labels)}")
    if not jnp.issubdtype(jnp.asarray(labels).dtype, jnp.integer):
        raise TypeError(f"labels must be integers, got dtype {jnp.asarray(labels).dtype}")
    concrete = _validate.as_concrete("labels", labels)
    if concrete is None:
        return num_clusters
    if concrete.min() < 0:
        raise ValueError(f"labels must be >= 0, got {concrete.min()}")
    values, sizes = np.unique(concrete, return_counts=True)
    if values.shape[0] < 2:
        raise ValueError(f"labels must hold at least 2 clusters, got {values.shape[0]}")
    if (sizes < 2).any():
        lonely = values[sizes < 2].tolist()
        raise ValueError(
            f"labels must give every cluster at least 2 points (a one-point cluster has no "
            f"within-cluster distance), got one-point cluster(s) {lonely}"
        )
    found = int(concrete.max()) + 1
    if num_clusters is not None and found > num_clusters:
        raise ValueError(f"labels must be < num_clusters = {num_clusters}, got {found - 1}")
    return found if num_clusters is None else num_clusters


def point_pvalues(
    X: Float[ArrayLike, "n d"],
    labels: Int[ArrayLike, " n"],
    *,
    between: str = "all",
    test: str = "mwu",
    num_clusters: int | None = None,
) -> Float[Array, " n"]:
    """One-sided p-value of each point's test "own cluster closer than the others" (§3.2).

    Args:
        X: ``(n, d)`` features (standardised; the tests use Euclidean distances).
        labels: ``(n,)`` integer cluster labels; every cluster needs ≥ 2 points.
        between: ``"all"`` compares W_i with the distances to every other cluster;
            ``"nearest"`` only with the nearest other cluster (smallest median distance).
        test: ``"mwu"`` (Mann–Whitney, normal approximation) or ``"ks"`` (one-sided KS).
        num_clusters: K; only needed for ``"nearest"`` under ``jit`` (inferred otherwise).

    Returns:
        ``(n,)`` p-values p_i; the dtype of ``X`` (use float64 for p below ~1e-38).

    >>> X = jnp.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.3]])
    >>> p = point_pvalues(X, jnp.array([0, 0, 0, 1, 1, 1]))
    >>> bool((p < 0.2).all())
    True
    """
    _validate.check_choice("between", between, BETWEEN)
    _validate.check_choice("test", test, TESTS)
    _validate.check_ndim("X", X, 2, "a 2-D array (n points, d features)")
    _validate.check_finite("X", X)
    X = jnp.asarray(X)
    X = X if jnp.issubdtype(X.dtype, jnp.floating) else X.astype(jnp.result_type(float))
    if num_clusters is not None:
        num_clusters = _validate.check_integer("num_clusters", num_clusters, minimum=2)
    num_clusters = _check_labels(labels, X.shape[0], num_clusters)
    if between == "nearest" and num_clusters is None:
        raise ValueError("num_clusters must be given for between='nearest' under jit, got None")
    labels = jnp.asarray(labels)
    return point_tests(X, labels, between=between, test=test, num_clusters=num_clusters).pvalue
