"""λ₂ of L_sym = I − S_N by Lanczos, O(steps·n²) per head instead of the O(n³) eigensolver.

S_N = D^{-1/2} W D^{-1/2} has the known top eigenpair (1, √d/‖√d‖), so λ₂ = 1 − μ₂ with μ₂ the
largest eigenvalue of S_N on the orthogonal complement of √d: the extreme eigenvalue Lanczos
finds fastest. After k steps, S Q_k = Q_k T_k + β_k q_{k+1} e_kᵀ; for the top Ritz pair
(θ, y) of the tridiagonal T_k the residual ‖S Q_k y − θ Q_k y‖ = β_k |y_k| bounds |θ − μ₂|
(Parlett, *The Symmetric Eigenvalue Problem*, 1998, §13.2); it is reported with the result.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float

from jaxpapers import _validate
from jaxpapers.attention_transport._checks import check_mask, check_matrix
from jaxpapers.attention_transport._operator import apply_mask, degree_normalize, sym_antisym
from jaxpapers.attention_transport._spectral import PAD_EIGENVALUE, valid_tokens
from jaxpapers.attention_transport._types import Lanczos

__all__ = ["lambda2_lanczos"]


def _start_vector(top: Array, valid: Array) -> Array:
    """A fixed, deterministic start on the valid tokens, orthogonal to the top eigenvector."""
    n, dtype = valid.shape[-1], top.dtype
    start = jnp.where(valid, 1.0 + 0.5 * jnp.cos(jnp.arange(n, dtype=dtype) * 1.7), 0.0)
    start = start - top * jnp.dot(top, start)
    return start / jnp.maximum(jnp.linalg.norm(start), jnp.finfo(dtype).tiny)


def _lanczos_step(carry, j):
    """One Lanczos step with full reorthogonalisation against the basis and the top vector.

    Module-level (S and the top vector ride in the carry) so that eager calls reuse the traced
    scan instead of compiling a fresh closure every time.
    """
    S, top, q, q_prev, beta_prev, basis, active = carry
    floor = 100 * jnp.finfo(S.dtype).eps
    basis = basis.at[j].set(q)
    w = S @ q - beta_prev * q_prev
    alpha = jnp.dot(q, w)
    w = w - alpha * q
    w = w - basis.T @ (basis @ w)  # full reorthogonalisation (twice is enough)
    w = w - basis.T @ (basis @ w)
    w = w - top * jnp.dot(top, w)
    beta = jnp.linalg.norm(w)
    alive = active & (beta > floor)
    q_next = jnp.where(alive, w / jnp.where(alive, beta, 1.0), 0.0)
    out = (jnp.where(active, alpha, PAD_EIGENVALUE), jnp.where(alive, beta, 0.0), active)
    return (S, top, q_next, q, jnp.where(alive, beta, 0.0), basis, alive), out


def _lanczos_mu2(S: Array, top: Array, valid: Array, steps: int):
    """(μ₂ Ritz value, residual, active steps) of one head by full-reorthogonalised Lanczos.

    ``S [n, n]`` symmetric, ``top [n]`` its known unit top eigenvector. Once the Krylov space is
    exhausted (few valid tokens) the remaining steps are inert and their Ritz values are pinned
    at −3, below spec(S) ⊂ [−1, 1].
    """
    n, dtype = S.shape[-1], S.dtype
    start = _start_vector(top, valid)
    basis = jnp.zeros((steps, n), dtype)
    init = (S, top, start, jnp.zeros(n, dtype), jnp.zeros((), dtype), basis, jnp.any(valid))
    _, (alphas, betas, active) = jax.lax.scan(_lanczos_step, init, jnp.arange(steps))
    tridiagonal = jnp.diag(alphas) + jnp.diag(betas[:-1], 1) + jnp.diag(betas[:-1], -1)
    values, vectors = jnp.linalg.eigh(tridiagonal)
    residual = betas[-1] * jnp.abs(vectors[-1, -1])  # zero once the space is exhausted
    return values[-1], residual, jnp.sum(active.astype(jnp.int32))


def lambda2_lanczos(
    A: Float[ArrayLike, "*batch n n"],
    mask: Bool[ArrayLike, "... n"] | None = None,
    *,
    steps: int = 32,
    tol: float = 1e-4,
) -> Lanczos:
    """λ₂ of L_sym = I − S_N by ``steps`` Lanczos steps, with convergence as data.

    The Ritz value bounds μ₂ from below, so ``lambda2`` is an upper bound on the exact λ₂; the
    residual bounds the error (module docstring). Heads with a tiny spectral gap (λ₂ ≲ 1e-3,
    e.g. narrow windows) need many steps: ``converged`` is False for them at small ``steps``.

    Args:
        A: nonnegative weights ``[..., n, n]`` (attention maps).
        mask: optional padding mask ``[..., n]`` (True = valid token).
        steps: Lanczos steps (static), capped at n.
        tol: convergence threshold on the residual.

    Returns:
        :class:`Lanczos` with ``lambda2``, ``residual``, ``converged``, ``num_steps``.

    Examples:
        >>> from jaxpapers.attention_transport import lambda2_lanczos, uniform_causal_attention
        >>> result = lambda2_lanczos(uniform_causal_attention(64), steps=32)
        >>> round(float(result.lambda2), 3), bool(result.converged)
        (0.579, True)
    """
    _validate.check_integer("steps", steps, minimum=2)
    _validate.check_positive("tol", tol)
    A = check_matrix(A)
    mask = check_mask(mask, A)
    valid = valid_tokens(A, mask)
    masked = apply_mask(A, mask)
    S, _ = sym_antisym(degree_normalize(A, mask))
    root = jnp.sqrt(0.5 * jnp.sum(masked + jnp.swapaxes(masked, -1, -2), axis=-1))
    top = root / jnp.maximum(jnp.linalg.norm(root, axis=-1, keepdims=True), jnp.finfo(A.dtype).tiny)
    lead, n = A.shape[:-2], A.shape[-1]
    solve = jax.vmap(functools.partial(_lanczos_mu2, steps=min(steps, n)))
    mu2, residual, used = solve(S.reshape(-1, n, n), top.reshape(-1, n), valid.reshape(-1, n))
    residual = residual.reshape(lead)
    return Lanczos(1.0 - mu2.reshape(lead), residual, residual <= tol, used.reshape(lead))
