"""Column (peak) leverage scores: exact, randomised, federated (spec §2.2).

For the column-centred matrix A_c = A − 1μᵀ = UΣVᵀ the rank-k leverage of column j is

    λ_j = Σ_{t ≤ k} V_jt²,     0 ≤ λ_j ≤ 1,     Σ_j λ_j = min(k, rank A_c)

(Drineas, Mahoney & Muthukrishnan 2008). The randomised estimate is subspace iteration on A_cᵀ
(Halko, Martinsson & Tropp 2011) with the centring applied implicitly, A_c Z = AZ − 1(μᵀZ),
so a sparse A is never densified: :func:`randomized_leverage` and :func:`federated_leverage`
accept ``jax.experimental.sparse.BCOO`` matrices (and scipy.sparse ones, converted to BCOO
without densifying) and only multiply with them. The federated variant (L2) computes the same
iteration from per-client sums; :func:`client_average` is the local-then-average variant (L1).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import scipy.sparse

import jax
import jax.numpy as jnp
from jax.experimental import sparse as jsparse
from jaxtyping import Array, ArrayLike, Float

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey

Sparse = jsparse.BCOO | scipy.sparse.sparray | scipy.sparse.spmatrix
"""A sparse cells × peaks matrix: BCOO, or scipy.sparse (converted to BCOO, never densified)."""

__all__ = ["client_average", "exact_leverage", "federated_leverage", "randomized_leverage"]


def _check_rank(name: str, shape: tuple[int, ...], rank: int) -> None:
    _validate.check_integer("rank", rank, minimum=1)
    if rank >= min(shape):
        raise ValueError(f"rank must be < min({name}.shape) = {min(shape)}, got {rank}")


def _check_matrix(name: str, a: ArrayLike, rank: int) -> None:
    _validate.check_ndim(name, a, 2, "a 2-D cells × peaks matrix")
    _validate.check_finite(name, a)
    _check_rank(name, np.shape(a), rank)


def _as_operand(name: str, a: ArrayLike | Sparse) -> Array | jsparse.BCOO:
    """A dense array, or BCOO for sparse input (scipy.sparse converted, never densified)."""
    if scipy.sparse.issparse(a):
        a = jsparse.BCOO.from_scipy_sparse(a)
    if isinstance(a, jsparse.BCOO):
        if a.ndim != 2 or a.n_batch or a.n_dense:
            raise ValueError(
                f"{name} must be a 2-D BCOO matrix without batch or dense dimensions, got "
                f"shape {a.shape} (n_batch={a.n_batch}, n_dense={a.n_dense})"
            )
        _validate.check_finite(f"{name}.data", a.data)
        return a
    _validate.check_ndim(name, a, 2, "a 2-D cells × peaks matrix")
    _validate.check_finite(name, a)
    return jnp.asarray(a)


def _column_sum(a) -> Array:
    """Σ_i A_ij, dense or BCOO (the secure sum's summand)."""
    if isinstance(a, jsparse.BCOO):
        return jsparse.bcoo_reduce_sum(a, axes=(0,)).todense()
    return jnp.sum(a, axis=0)


def exact_leverage(a: Float[Array, "n p"], rank: int) -> Float[Array, " p"]:
    """Rank-``rank`` column leverage of the column-centred ``a`` by a full SVD.

    Singular directions with σ_t ≤ max(n, p) · eps · σ₁ are dropped (spec §4 A1 correction), so
    a matrix of rank r < k gets Σλ = r.

    Args:
        a: cells × peaks (e.g. TF-IDF).
        rank: k, with 1 ≤ k < min(n, p).

    Returns:
        λ, one score per column.

    Examples:
        >>> import jax
        >>> scores = exact_leverage(jax.random.normal(jax.random.key(0), (30, 12)), 4)
        >>> round(float(scores.sum()), 4)
        4.0
    """
    _check_matrix("a", a, rank)
    a = jnp.asarray(a)
    centred = a - jnp.mean(a, axis=0, keepdims=True)
    _, s, vt = jnp.linalg.svd(centred, full_matrices=False)
    tol = max(a.shape) * jnp.finfo(a.dtype).eps * s[0]
    keep = (s[:rank] > tol)[:, None]
    return jnp.sum(jnp.where(keep, vt[:rank] ** 2, 0.0), axis=0)


def _sketch(key: PRNGKey, num_rows: int, width: int, dtype) -> Array:
    return jax.random.normal(key, (num_rows, width), dtype)


def _leverage_from_gram(q: Array, gram: Array, rank: int) -> Array:
    """V_k = Q W_k from the (k+o)² Gram (A_c Q)ᵀ(A_c Q) = W Σ² Wᵀ; λ_j = ‖V_k[j]‖²."""
    evals, evecs = jnp.linalg.eigh(gram)  # ascending
    top = evecs[:, ::-1][:, :rank]
    keep = (evals[::-1][:rank] > gram.shape[0] * jnp.finfo(gram.dtype).eps * evals[-1])[None, :]
    v = q @ jnp.where(keep, top, 0.0)
    return jnp.sum(v**2, axis=1)


def randomized_leverage(
    key: PRNGKey,
    a: Float[ArrayLike, "n p"] | Sparse,
    rank: int,
    *,
    oversample: int = 10,
    power_iters: int = 4,
) -> Float[Array, " p"]:
    """Rank-``rank`` column leverage by randomised subspace iteration with implicit centring.

    Z = A_cᵀΩ (Ω ~ N(0,1)^{n×(k+o)}); q times Z ← A_cᵀ(A_c qr(Z).Q); Q = qr(Z).Q; the
    eigendecomposition of (A_cQ)ᵀ(A_cQ) = WΣ²Wᵀ gives V_k = QW_{:,1:k} and λ_j = ‖V_k[j]‖².
    Use ``power_iters`` ≥ 4 (spec P3: q = 0 is badly biased).

    Args:
        key: draws Ω.
        a: cells × peaks, dense or sparse (``jax.experimental.sparse.BCOO`` or a scipy.sparse
            matrix, converted to BCOO); only products with it are used, so sparse input is
            never densified.
        rank: k, with 1 ≤ k < min(n, p).
        oversample: o, extra sketch columns.
        power_iters: q, power (subspace) iterations, orthonormalised in between.

    Returns:
        λ, one score per column.

    Examples:
        >>> import jax
        >>> a = jax.random.normal(jax.random.key(0), (40, 30))
        >>> round(float(randomized_leverage(jax.random.key(1), a, 3).sum()), 4)
        3.0
    """
    a = _as_operand("a", a)
    _check_rank("a", a.shape, rank)
    _validate.check_integer("oversample", oversample, minimum=0)
    _validate.check_integer("power_iters", power_iters, minimum=0)
    width = min(rank + oversample, min(a.shape))
    omega = _sketch(key, a.shape[0], width, a.dtype)
    return _federated_iteration([a], [omega], _column_sum(a) / a.shape[0], rank, power_iters)


def _federated_iteration(
    blocks: Sequence[Array | jsparse.BCOO],
    omegas: Sequence[Array],
    mean: Array,
    rank: int,
    power_iters: int,
) -> Array:
    """Subspace iteration where every product with A_c is a sum over row blocks (clients)."""

    def times(block, z):  # A_m,c Z (implicit centring)
        return block @ z - (mean @ z)[None, :]

    def transpose_times(block, y):  # A_m,cᵀ Y
        return block.T @ y - mean[:, None] * jnp.sum(y, axis=0)[None, :]

    def total(terms):  # the server's (secure) sum over clients
        return functools.reduce(jnp.add, terms)

    z = total(transpose_times(b, o) for b, o in zip(blocks, omegas, strict=True))
    for _ in range(power_iters):
        q, _ = jnp.linalg.qr(z)
        z = total(transpose_times(b, times(b, q)) for b in blocks)
    q, _ = jnp.linalg.qr(z)
    gram = total(times(b, q).T @ times(b, q) for b in blocks)  # (k+o)²
    return _leverage_from_gram(q, gram, rank)


def federated_leverage(
    key: PRNGKey,
    client_matrices: Sequence[Float[ArrayLike, "_ p"] | Sparse],
    rank: int,
    *,
    oversample: int = 10,
    power_iters: int = 4,
) -> Float[Array, " p"]:
    """Leverage of the pooled matrix from summed client sketches (variant L2, spec §2.2).

    The global column mean μ comes from a secure sum; client m holds its rows Ω_m of one
    Ω ~ N(0,1)^{n×(k+o)} (drawn from ``key`` exactly as :func:`randomized_leverage` draws it)
    and sends A_m,cᵀΩ_m, then A_m,cᵀ(A_m,c Z) per power step, then (A_m,cQ)ᵀ(A_m,cQ); the server
    only adds. Equal to :func:`randomized_leverage` of the stacked matrix with the same key up
    to floating-point rounding. Communication: (2q + 2) · p · (k + o) floats per client.

    Args:
        key: draws Ω (the same key as a pooled run gives the same Ω).
        client_matrices: at least two clients' cells × peaks blocks (same peaks), dense or
            sparse as in :func:`randomized_leverage`.
        rank: k, with 1 ≤ k < min(n, p) of the pooled matrix.
        oversample: o.
        power_iters: q.

    Returns:
        λ of the pooled, globally centred matrix.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> a = jax.random.normal(jax.random.key(0), (40, 30))
        >>> fed = federated_leverage(jax.random.key(1), [a[:15], a[15:]], 3)
        >>> bool(jnp.allclose(fed, randomized_leverage(jax.random.key(1), a, 3), atol=1e-4))
        True
    """
    if len(client_matrices) < 2:
        raise ValueError(
            f"client_matrices must hold at least 2 clients for federation, got "
            f"{len(client_matrices)} (use randomized_leverage for one matrix)"
        )
    blocks = [_as_operand(f"client_matrices[{i}]", b) for i, b in enumerate(client_matrices)]
    widths = {b.shape[-1] for b in blocks}
    if len(widths) != 1:
        raise ValueError(f"client_matrices must share their peaks, got widths {sorted(widths)}")
    rows = [b.shape[0] for b in blocks]
    _check_rank("the pooled matrix", (sum(rows), widths.pop()), rank)
    _validate.check_integer("oversample", oversample, minimum=0)
    _validate.check_integer("power_iters", power_iters, minimum=0)
    column_sums = functools.reduce(jnp.add, [_column_sum(b) for b in blocks])  # secure sum
    mean = column_sums / sum(rows)
    width = min(rank + oversample, sum(rows), blocks[0].shape[1])
    omega = _sketch(key, sum(rows), width, blocks[0].dtype)
    omegas = jnp.split(omega, np.cumsum(rows)[:-1])
    return _federated_iteration(blocks, omegas, mean, rank, power_iters)


def client_average(scores: Float[Array, "m p"], weights: Float[Array, " m"]) -> Float[Array, " p"]:
    """Local-then-average leverage (variant L1, spec §2.2): λ̄ = Σ_m w_m λ^(m) / Σ_m w_m.

    Each client scores its own, client-centred matrix; the weights are usually n_m. Since the
    normalised weights sum to one, Σ_j λ̄_j = k when every client has Σ_j λ_j^(m) = k.

    Args:
        scores: one leverage vector per client (at least two clients).
        weights: non-negative client weights, not all zero.

    Returns:
        λ̄.

    Examples:
        >>> import jax.numpy as jnp
        >>> client_average(jnp.array([[1.0, 0.0], [0.0, 1.0]]), jnp.array([3.0, 1.0]))
        Array([0.75, 0.25], dtype=float32)
    """
    _validate.check_ndim("scores", scores, 2, "2-D (clients × peaks)")
    _validate.check_ndim("weights", weights, 1)
    if np.shape(scores)[0] < 2:
        raise ValueError(
            f"scores must hold at least 2 clients for federation, got {np.shape(scores)[0]}"
        )
    if np.shape(weights)[0] != np.shape(scores)[0]:
        raise ValueError(
            f"weights must have one entry per client ({np.shape(scores)[0]}), "
            f"got {np.shape(weights)[0]}"
        )
    _validate.check_range("weights", weights, low=0.0)
    concrete = _validate.as_concrete("weights", weights)
    if concrete is not None and concrete.sum() <= 0:
        raise ValueError(f"weights must not all be zero, got {_validate.describe(concrete)}")
    weights = jnp.asarray(weights, jnp.asarray(scores).dtype)
    return (weights / jnp.sum(weights)) @ jnp.asarray(scores)
