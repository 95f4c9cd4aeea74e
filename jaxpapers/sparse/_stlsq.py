"""Sequentially thresholded least squares (STLSQ) with masks instead of ragged supports.

The support of a sparse solution is a boolean mask over the library columns, so every array
keeps its shape and the solver can be ``jit``-ed and ``vmap``-ed over thresholds, bootstrap
weights or random redraws of the rows. Solves go through :mod:`jaxpapers.linalg` (plain XLA),
so programs that batch many of them hold no LAPACK call.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from jaxpapers import _validate, linalg

__all__ = ["SparseResult", "column_scales", "masked_lstsq", "refit", "stlsq"]


class SparseResult(NamedTuple):
    """What :func:`stlsq` returns.

    Attributes:
        coefficients: ξ in the units of the original columns (zero off the support).
        support: which columns are kept.
        num_steps: thresholding rounds run.
        converged: whether the support stopped changing before ``max_iter``.
    """

    coefficients: Float[Array, " J"]
    support: Bool[Array, " J"]
    num_steps: Int[Array, ""]
    converged: Bool[Array, ""]


def check_system(G, b, row_weights=None) -> None:
    """Shapes (always) and finiteness (when concrete) of a regression problem G ξ ≈ b."""
    _validate.check_ndim("G", G, 2, "a 2-D library matrix [rows, terms]")
    _validate.check_ndim("b", b, 1, "a 1-D left-hand side [rows]")
    _validate.check_same_length(G=G, b=b)
    if row_weights is not None:
        _validate.check_same_length(G=G, row_weights=row_weights)
    for name, value in (("G", G), ("b", b)):
        _validate.check_finite(name, value)


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
    identity so the system keeps its shape; the solve is :func:`jaxpapers.linalg.spd_solve`
    (NaN when the supported columns are linearly dependent and ``ridge = 0``). Columns should be
    scaled to unit norm first (:func:`refit` does it) when ``ridge`` is meant as a relative
    regulariser or the columns differ in magnitude.
    """
    weights = jnp.ones(G.shape[0], G.dtype) if row_weights is None else row_weights
    mask = support.astype(G.dtype)
    gram = G.T @ (weights[:, None] * G)
    gram = mask[:, None] * gram * mask[None, :] + jnp.diag(1.0 - mask)
    gram = gram + ridge * jnp.eye(G.shape[1], dtype=G.dtype)
    rhs = mask * (G.T @ (weights * b))
    return mask * linalg.spd_solve(gram, rhs)


def refit(
    G: Float[Array, "Q J"],
    b: Float[Array, " Q"],
    support: Bool[Array, " J"],
    *,
    row_weights: Float[Array, " Q"] | None = None,
    ridge: float | Float[Array, ""] = 0.0,
) -> Float[Array, " J"]:
    """Least squares on a fixed support, with the columns scaled to unit weighted norm.

        G̃ = G / s,  s_j = sqrt(Σ_q w_q G_qj²),
        ξ̃ = argmin Σ_q w_q (b_q − G̃_q ξ̃)² + ridge ‖ξ̃‖²  with ξ̃_j = 0 off the support,
        ξ = ξ̃ / s  (in the units of the original columns).

    The scaling makes the solve insensitive to the columns' magnitudes (weak-form columns of
    |∇u|² and Δu differ by orders of magnitude) and ``ridge`` relative. Row weights double as
    0/1 masks and as bootstrap multiplicities, so a bootstrap of a selected model is
    ``vmap(lambda w: refit(G, b, support, row_weights=w))`` over weight vectors.

    Examples:
        >>> import jax.numpy as jnp
        >>> G = jnp.array([[1.0, 0.0, 5.0], [0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.5, 2.0]])
        >>> b = G @ jnp.array([2.0, -1.0, 0.3])
        >>> [round(float(c), 6) for c in refit(G, b, jnp.array([True, True, True]))]
        [2.0, -1.0, 0.3]
        >>> # = numpy.linalg.lstsq(G[:, [0, 2]], b): [1.79904306, 0.27368421]
        >>> [round(float(c), 3) for c in refit(G, b, jnp.array([True, False, True]))]
        [1.799, 0.0, 0.274]
    """
    scales = column_scales(G, row_weights)
    normalised = G / scales[None, :]
    return masked_lstsq(normalised, b, support, row_weights=row_weights, ridge=ridge) / scales


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

    Raises:
        ValueError: G not 2-D, b not 1-D, different numbers of rows, non-finite entries, or a
            concrete threshold outside [0, 1].

    References:
        Brunton, Proctor, Kutz, "Discovering governing equations from data by sparse
        identification of nonlinear dynamical systems", PNAS 2016; Rudy et al., "Data-driven
        discovery of partial differential equations", Sci. Adv. 2017.
    """
    check_system(G, b, row_weights)
    _validate.check_range("threshold", threshold, low=0.0, high=1.0)
    scales = column_scales(G, row_weights)
    normalised = G / scales[None, :]
    weights = jnp.ones(G.shape[0], G.dtype) if row_weights is None else row_weights
    support = jnp.ones(G.shape[1], bool) if active is None else active
    problem = (normalised, b, weights, jnp.asarray(threshold, G.dtype), jnp.asarray(ridge, G.dtype))
    coef = jnp.zeros(G.shape[1], G.dtype)
    carry = (support, coef, jnp.asarray(0), jnp.asarray(True), jnp.asarray(max_iter), problem)
    # module-level cond/body (not closures), and the first solve inside the loop, so that eager
    # calls hit JAX's trace cache instead of compiling the solver anew
    support, coef, rounds, changed, _, _ = jax.lax.while_loop(_continue, _round, carry)
    return SparseResult(coef / scales, support, rounds - 1, ~changed)


def _continue(carry):
    _, _, rounds, changed, max_iter, _ = carry
    return (rounds <= max_iter) & changed


def _round(carry):
    """Round 0 fits every active column; round k ≥ 1 thresholds and refits."""
    support, coef, rounds, _, max_iter, problem = carry
    normalised, b, weights, threshold, ridge = problem
    magnitude = jnp.abs(coef)
    keep = jnp.where(rounds == 0, support, support & (magnitude >= threshold * jnp.max(magnitude)))
    coef = masked_lstsq(normalised, b, keep, row_weights=weights, ridge=ridge)
    changed = (rounds == 0) | jnp.any(keep != support)
    return keep, coef, rounds + 1, changed, max_iter, problem
