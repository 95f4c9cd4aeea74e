"""The degree-normalized attention operator and its symmetric/antisymmetric split (spec §1.1).

For one head with nonnegative weights A (row-stochastic for attention),

    W = (A + Aᵀ)/2,    d = W·1 = (r + c)/2,    N = D^{-1/2} A D^{-1/2},
    S_N = (N + Nᵀ)/2 = D^{-1/2} W D^{-1/2},    K_N = (N − Nᵀ)/2,
    G = ‖K_N‖_F / ‖N‖_F ∈ [0, 1/√2]  (asymmetry coefficient).

N(Aᵀ) = N(A)ᵀ, so S_N is the same for A and Aᵀ (orientation blindness, T1), and G bounds how
far any Lipschitz function of N moves under transposition (T2).
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float

from jaxpapers.attention_transport._checks import check_mask, check_matrix

__all__ = ["asymmetry_coeff", "degree_normalize", "degrees", "sym_antisym"]


def apply_mask(A: Array, mask: Array | None) -> Array:
    """Zero the rows and columns of padded tokens."""
    if mask is None:
        return A
    return jnp.where(mask[..., :, None] & mask[..., None, :], A, jnp.zeros((), A.dtype))


def degrees(A: Float[ArrayLike, "*batch n n"], mask: Bool[ArrayLike, "... n"] | None = None):
    """d = (row sums + column sums)/2, the degrees of W = (A + Aᵀ)/2; zero for padded tokens."""
    A = check_matrix(A)
    A = apply_mask(A, check_mask(mask, A))
    return 0.5 * (jnp.sum(A, axis=-1) + jnp.sum(A, axis=-2))


def _inv_sqrt(d: Array) -> Array:
    positive = d > 0
    return jnp.where(positive, 1.0 / jnp.sqrt(jnp.where(positive, d, 1.0)), 0.0)


def degree_normalize(
    A: Float[ArrayLike, "*batch n n"], mask: Bool[ArrayLike, "... n"] | None = None
) -> Float[Array, "*batch n n"]:
    """N = D^{-1/2} A D^{-1/2} with D = diag((A·1 + Aᵀ·1)/2) (spec §1.4-1).

    Padded tokens (``mask`` False) and tokens of zero degree get zero rows and columns instead of
    a division by zero.

    Examples:
        >>> import jax.numpy as jnp
        >>> from jaxpapers.attention_transport import degree_normalize, uniform_causal_attention
        >>> A = uniform_causal_attention(4)
        >>> bool(jnp.allclose(degree_normalize(A.T), degree_normalize(A).T))  # N(Aᵀ) = N(A)ᵀ
        True
    """
    A = check_matrix(A)
    A = apply_mask(A, check_mask(mask, A))
    scale = _inv_sqrt(0.5 * (jnp.sum(A, axis=-1) + jnp.sum(A, axis=-2)))
    return scale[..., :, None] * A * scale[..., None, :]


def sym_antisym(
    N: Float[ArrayLike, "*batch n n"],
) -> tuple[Float[Array, "*batch n n"], Float[Array, "*batch n n"]]:
    """(S, K) = ((N + Nᵀ)/2, (N − Nᵀ)/2), an orthogonal split: ‖N‖² = ‖S‖² + ‖K‖²."""
    N = jnp.asarray(N)
    if N.ndim < 2 or N.shape[-1] != N.shape[-2]:
        raise ValueError(f"N must have shape [..., n, n], got shape {N.shape}")
    transposed = jnp.swapaxes(N, -1, -2)
    return 0.5 * (N + transposed), 0.5 * (N - transposed)


def _frobenius(X: Array) -> Array:
    return jnp.sqrt(jnp.sum(X * X, axis=(-2, -1)))


def asymmetry_coeff(
    A: Float[ArrayLike, "*batch n n"], mask: Bool[ArrayLike, "... n"] | None = None
) -> Float[Array, "*batch"]:
    """G = ‖K_N‖_F / ‖N‖_F of the degree-normalized operator N = N(A) (spec §1.1, T2–T3).

    G = 0 iff N is symmetric; G ≤ 1/√2 for nonnegative A, with equality iff N and Nᵀ have
    disjoint supports. For causal A only the diagonal overlaps, so
    G² = ½ − Σ_i N_ii² / (2‖N‖²): in decoders G measures the (normalized) self-attention energy.
    """
    N = degree_normalize(A, mask)
    _, K = sym_antisym(N)
    norm = _frobenius(N)
    return jnp.where(norm > 0, _frobenius(K) / jnp.where(norm > 0, norm, 1.0), jnp.nan)
