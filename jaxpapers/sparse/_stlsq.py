"""Sequentially thresholded least squares (STLSQ) with masks instead of ragged supports.

The support of a sparse solution is a boolean mask over the library columns, so every array
keeps its shape and the solver can be ``jit``-ed and ``vmap``-ed over thresholds, bootstrap
weights or random redraws of the rows.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

__all__ = ["SparseResult", "column_scales", "masked_lstsq", "stlsq"]


class SparseResult(NamedTuple):
    """What :func:`stlsq` returns.

    Attributes:
        coefficients: ξ in the units of the original columns (zero off the support).
        support: which columns are kept.
        iterations: thresholding rounds run.
        converged: whether the support stopped changing before ``max_iter``.
    """

    coefficients: Float[Array, " J"]
    support: Bool[Array, " J"]
    iterations: Int[Array, ""]
    converged: Bool[Array, ""]


def column_scales(
    G: Float[Array, "Q J"], row_weights: Float[Array, " Q"] | None = None
) -> Float[Array, " J"]:
    """Weighted 2-norm of each column, ``sqrt(Σ_q w_q G_qj²)``; 1 for an all-zero column."""
    weights = jnp.ones(G.shape[0], G.dtype) if row_weights is None else row_weights
    norms = jnp.sqrt(jnp.sum(weights[:, None] * G**2, axis=0))
    return jnp.where(norms > 0, norms, jnp.ones_like(norms))


def masked_lstsq(
    G: Float[Array, "Q J"],
    b: Float[Array, " Q"],
    support: Bool[Array, " J"],
    *,
    row_weights: Float[Array, " Q"] | None = None,
    ridge: float | Float[Array, ""] = 0.0,
) -> Float[Array, " J"]:
    """Weighted (ridge) least squares restricted to ``support``; zero off the support.

    Solves ``min_ξ Σ_q w_q (b_q − G_q ξ)² + ridge ‖ξ‖²`` subject to ``ξ_j = 0`` for
    ``support_j = False`` through the normal equations, with the off-support block replaced by the
    identity so the system keeps its shape. Columns should be scaled to unit norm first when
    ``ridge`` is meant as a relative regulariser (as :func:`stlsq` does).
    """
    weights = jnp.ones(G.shape[0], G.dtype) if row_weights is None else row_weights
    mask = support.astype(G.dtype)
    gram = G.T @ (weights[:, None] * G)
    gram = mask[:, None] * gram * mask[None, :] + jnp.diag(1.0 - mask)
    gram = gram + ridge * jnp.eye(G.shape[1], dtype=G.dtype)
    rhs = mask * (G.T @ (weights * b))
    return mask * jnp.linalg.solve(gram, rhs)


def stlsq(
    G: Float[Array, "Q J"],
    b: Float[Array, " Q"],
    threshold: float | Float[Array, ""],
    *,
    row_weights: Float[Array, " Q"] | None = None,
    active: Bool[Array, " J"] | None = None,
    ridge: float = 1e-8,
    max_iter: int = 20,
) -> SparseResult:
    """Sequentially thresholded least squares with a relative threshold.

    Columns are scaled to unit (weighted) 2-norm, giving normalised coefficients ξ̃; then,
    starting from all ``active`` columns, repeat

        ξ̃ ← argmin Σ_q w_q (b_q − G̃_q ξ̃)² + ridge ‖ξ̃‖²  on the support,
        support ← support ∧ (|ξ̃_j| ≥ threshold · max_k |ξ̃_k|)

    until the support stops changing (at most ``max_iter`` rounds). The threshold is relative to
    the largest normalised coefficient, so it is free of the scales of ``G`` and ``b`` and the
    largest term is never dropped (``threshold ≤ 1``).

    Args:
        G: library matrix (rows = samples or weak-form test functions, columns = terms).
        b: left-hand side.
        threshold: λ ∈ [0, 1].
        row_weights: non-negative row weights (bootstrap multiplicities, 0/1 masks of rows).
        active: columns allowed at all (default: all).
        ridge: Tikhonov term on the normalised coefficients.
        max_iter: maximum thresholding rounds (static).

    Returns:
        :class:`SparseResult`, coefficients in the units of the original columns.

    References:
        Brunton, Proctor, Kutz, "Discovering governing equations from data by sparse
        identification of nonlinear dynamical systems", PNAS 2016; Rudy et al., "Data-driven
        discovery of partial differential equations", Sci. Adv. 2017.
    """
    scales = column_scales(G, row_weights)
    normalised = G / scales[None, :]
    weights = jnp.ones(G.shape[0], G.dtype) if row_weights is None else row_weights
    support = jnp.ones(G.shape[1], bool) if active is None else active
    problem = (normalised, b, weights, jnp.asarray(threshold, G.dtype), jnp.asarray(ridge, G.dtype))
    coef = _solve(problem, support)
    carry = (support, coef, jnp.asarray(0), jnp.asarray(True), jnp.asarray(max_iter), problem)
    # module-level cond/body (not closures) so that eager calls hit JAX's trace cache
    support, coef, iterations, changed, _, _ = jax.lax.while_loop(_continue, _round, carry)
    return SparseResult(coef / scales, support, iterations, ~changed)


def _solve(problem, support):
    normalised, b, weights, _, ridge = problem
    return masked_lstsq(normalised, b, support, row_weights=weights, ridge=ridge)


def _continue(carry):
    _, _, iteration, changed, max_iter, _ = carry
    return (iteration < max_iter) & changed


def _round(carry):
    support, coef, iteration, _, max_iter, problem = carry
    magnitude = jnp.abs(coef)
    keep = support & (magnitude >= problem[3] * jnp.max(magnitude))
    return keep, _solve(problem, keep), iteration + 1, jnp.any(keep != support), max_iter, problem
