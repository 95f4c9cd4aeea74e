"""Cholesky factor and solves for small SPD systems, in plain XLA operations.

Methods that batch many small fits (PAIR-CI's imputer draws and learners, cross-fitted
regressions, Newton steps of logistic and tilting models) solve d × d symmetric positive-definite
systems with d ≤ ~100, thousands of them at once under ``vmap``. ``jnp.linalg`` hands those to
LAPACK custom calls that, on CPU, split the batch over XLA's
intra-op thread pool and block until it finishes. When two such calls are ready at once (the
null and the full model, both directions of a symmetric test) each blocks a pool thread
waiting for work that no free thread is left to run, and on a 2-core machine the program never
finishes (we saw every thread parked on a futex in ``jax::ParallelBatchMap``). The loops here
compile to ordinary fused XLA code, so the batched programs cannot deadlock, and their cost,
O(d³) like LAPACK's, is small next to forming the Gram matrices.

* :func:`cholesky`: A = L Lᵀ by the column-oriented (left-looking) algorithm,
  L_jj = √(A_jj − Σ_{k<j} L_jk²),  L_ij = (A_ij − Σ_{k<j} L_ik L_jk) / L_jj  (i > j).
* :func:`solve_lower`, :func:`solve_upper`: forward / back substitution with L and Lᵀ.
* :func:`cho_solve`: A⁻¹ B = L⁻ᵀ (L⁻¹ B).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

__all__ = ["cho_solve", "cholesky", "lstsq", "solve_lower", "solve_upper", "spd_solve"]


def cholesky(a: Float[Array, "d d"]) -> Float[Array, "d d"]:
    """Lower Cholesky factor of a symmetric positive-definite matrix (NaN if it is not SPD)."""
    d = a.shape[0]
    rows = jnp.arange(d)

    def column(j, factor):
        row_j = jnp.where(rows < j, factor[j], 0.0)  # L_jk for k < j
        residual = a[:, j] - factor @ row_j  # A_ij − Σ_k L_ik L_jk (L's columns ≥ j are 0)
        pivot = jnp.sqrt(residual[j])
        values = jnp.where(rows > j, residual / pivot, 0.0).at[j].set(pivot)
        return factor.at[:, j].set(values)

    return jax.lax.fori_loop(0, d, column, jnp.zeros_like(a))


def solve_lower(factor: Float[Array, "d d"], b: Float[Array, "d k"]) -> Float[Array, "d k"]:
    """X with L X = B for lower-triangular L (forward substitution)."""
    d = factor.shape[0]
    rows = jnp.arange(d)

    def step(i, x):
        known = jnp.where(rows < i, factor[i], 0.0) @ x
        return x.at[i].set((b[i] - known) / factor[i, i])

    return jax.lax.fori_loop(0, d, step, jnp.zeros_like(b))


def solve_upper(factor: Float[Array, "d d"], b: Float[Array, "d k"]) -> Float[Array, "d k"]:
    """X with Lᵀ X = B for lower-triangular L (back substitution with the transpose)."""
    d = factor.shape[0]
    rows = jnp.arange(d)

    def step(t, x):
        i = d - 1 - t
        known = jnp.where(rows > i, factor[:, i], 0.0) @ x
        return x.at[i].set((b[i] - known) / factor[i, i])

    return jax.lax.fori_loop(0, d, step, jnp.zeros_like(b))


def cho_solve(factor: Float[Array, "d d"], b: Float[Array, "d k"]) -> Float[Array, "d k"]:
    """A⁻¹ B from the lower Cholesky factor L of A."""
    return solve_upper(factor, solve_lower(factor, b))


def spd_solve(a: Float[Array, "d d"], b: Float[Array, "d ..."]) -> Float[Array, "d ..."]:
    """A⁻¹ b for symmetric positive-definite A; ``b`` may be a vector or a matrix."""
    matrix = b if b.ndim == 2 else b[:, None]
    x = cho_solve(cholesky(a), matrix)
    return x if b.ndim == 2 else x[:, 0]


def lstsq(
    design: Float[Array, "n p"],
    target: Float[Array, "n ..."],
    weights: Float[Array, " n"] | None = None,
    ridge: float | Float[Array, ""] = 0.0,
) -> Float[Array, "p ..."]:
    """(Weighted, ridge-regularised) least squares through the normal equations.

    β = (Xᵀ W X + λ I)⁻¹ Xᵀ W y, solved by :func:`spd_solve`. Columns are scaled to unit
    root-mean-square before the solve (and β scaled back), so that columns of very different
    magnitudes do not square the condition number's damage; ``ridge`` acts on the scaled
    columns. Suited to the small, well-posed systems of batched fits (p ≪ n); for
    ill-conditioned designs prefer a QR or SVD solver.

    Args:
        design: X, (n, p).
        target: y, (n,) or (n, k).
        weights: W's diagonal, (n,); ones by default.
        ridge: λ ≥ 0.

    Returns:
        β, (p,) or (p, k).
    """
    w = jnp.ones(design.shape[0], design.dtype) if weights is None else weights
    scale = jnp.sqrt(jnp.mean(design**2, axis=0))
    scale = jnp.where(scale > 0, scale, jnp.ones_like(scale))
    scaled = design / scale[None, :]
    gram = (scaled * w[:, None]).T @ scaled + ridge * jnp.eye(design.shape[1], dtype=design.dtype)
    moment = (scaled * w[:, None]).T @ target
    beta = spd_solve(gram, moment)
    return beta / (scale if beta.ndim == 1 else scale[:, None])
