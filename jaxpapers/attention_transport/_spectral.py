"""Spectral diagnostics: the orientation-blind family of S_N and the LapEigvals baselines.

* λ₂ of the normalized Laplacian L_sym = I − S_N and the Fiedler sweep cut (spec §1.4-4; the
  Lanczos variant is in :mod:`._lanczos`);
* top-k eigenvalues of S_N, the family of symmetric spectral detectors: all of them take the
  same value on A and Aᵀ (T1);
* LapEigvals (Binkowski et al., 2025): per head the directed Laplacian L = D − A with
  D_jj = (Σ_i A_ij)/(n − j) (0-based j); L is lower triangular, so its eigenvalues are
  diag(L) = D_jj − A_jj and no eigensolver is needed. Its column-sum degree is *not* transpose
  invariant. Companions: AttnEigvals (top-k of diag A) and AttnLogDet = mean log diag A.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float

from jaxpapers import _validate
from jaxpapers.attention_transport._checks import check_mask, check_matrix
from jaxpapers.attention_transport._landscape import prefix_landscape
from jaxpapers.attention_transport._operator import apply_mask, degree_normalize, sym_antisym
from jaxpapers.attention_transport._types import SpectralCheeger

__all__ = [
    "attn_eigvals",
    "attn_logdet",
    "lapeigvals",
    "spectral_cheeger",
    "sym_eigvals",
    "top_k_sym_eigvals",
]

PAD_EIGENVALUE = -3.0  # below spec(S_N) ⊂ [−1, 1]: padded tokens sort last


def valid_tokens(A: Array, mask: Array | None) -> Array:
    return jnp.ones(A.shape[:-1], bool) if mask is None else mask


def _padded_sym(A: Array, mask: Array | None) -> Array:
    """S_N with a pad value on the diagonal of padded tokens, so they sort below every mode."""
    S, _ = sym_antisym(degree_normalize(A, mask))
    pad = jnp.where(valid_tokens(A, mask), 0.0, PAD_EIGENVALUE).astype(A.dtype)
    eye = jnp.broadcast_to(jnp.eye(A.shape[-1], dtype=A.dtype), S.shape)
    return S + pad[..., :, None] * eye


def sym_eigvals(
    A: Float[ArrayLike, "*batch n n"], mask: Bool[ArrayLike, "... n"] | None = None
) -> Float[Array, "*batch n"]:
    """Eigenvalues of S_N in descending order; padded tokens come last as 0."""
    A = check_matrix(A)
    mask = check_mask(mask, A)
    values = jnp.linalg.eigvalsh(_padded_sym(A, mask))[..., ::-1]
    return jnp.where(values < -1.5, 0.0, values)


def top_k_sym_eigvals(
    A: Float[ArrayLike, "*batch n n"], k: int, mask: Bool[ArrayLike, "... n"] | None = None
) -> Float[Array, "*batch k"]:
    """Top-k eigenvalues of S_N (descending; 0 beyond the valid tokens): orientation-blind."""
    _check_k(k)
    values = sym_eigvals(A, mask)
    return _pad_to_k(values, k)


def spectral_cheeger(
    A: Float[ArrayLike, "*batch n n"], mask: Bool[ArrayLike, "... n"] | None = None
) -> SpectralCheeger:
    """λ₂ of L_sym = I − S_N and the conductance of the best Fiedler sweep cut.

    The sweep orders tokens by x = D^{-1/2} v₂ (v₂ the second eigenvector of S_N) and takes the
    best prefix in that order; by Cheeger, λ₂/2 ≤ φ ≤ φ_sweep ≤ √(2λ₂).

    Examples:
        >>> from jaxpapers.attention_transport import spectral_cheeger, uniform_causal_attention
        >>> result = spectral_cheeger(uniform_causal_attention(64))
        >>> round(float(result.lambda2), 3), bool(result.lambda2 / 2 <= result.phi_sweep)
        (0.579, True)
    """
    A = check_matrix(A)
    mask = check_mask(mask, A)
    valid = valid_tokens(A, mask)
    values, vectors = jnp.linalg.eigh(_padded_sym(A, mask))
    lambda2 = 1.0 - values[..., -2]
    d = 0.5 * jnp.sum(apply_mask(A, mask) + jnp.swapaxes(apply_mask(A, mask), -1, -2), axis=-1)
    x = vectors[..., :, -2] / jnp.sqrt(jnp.where(d > 0, d, 1.0))
    order = jnp.argsort(jnp.where(valid, x, jnp.inf), axis=-1)
    permuted = jnp.take_along_axis(A, order[..., :, None], axis=-2)
    permuted = jnp.take_along_axis(permuted, order[..., None, :], axis=-1)
    sweep = prefix_landscape(permuted, jnp.take_along_axis(valid, order, axis=-1))
    return SpectralCheeger(lambda2, sweep.phi_min, order)


def lapeigvals(
    A: Float[ArrayLike, "*batch n n"], k: int, mask: Bool[ArrayLike, "... n"] | None = None
) -> Float[Array, "*batch k"]:
    """Top-k eigenvalues of the LapEigvals Laplacian, diag(D) − diag(A), sorted descending.

    D_jj = (Σ_i A_ij)/(number of valid tokens at positions ≥ j): received attention divided by
    how many (later) queries can attend to j. Padded tokens are skipped; positions beyond the
    valid tokens are filled with 0.

    Examples:
        >>> from jaxpapers.attention_transport import lapeigvals, uniform_causal_attention
        >>> [round(float(v), 3) for v in lapeigvals(uniform_causal_attention(4), 2)]
        [0.0, -0.042]
    """
    _check_k(k)
    A = check_matrix(A)
    mask = check_mask(mask, A)
    valid = valid_tokens(A, mask)
    A = apply_mask(A, mask)
    later = jnp.cumsum(valid[..., ::-1].astype(A.dtype), axis=-1)[..., ::-1]
    received = jnp.sum(A, axis=-2) / jnp.where(later > 0, later, 1.0)
    eig = received - jnp.diagonal(A, axis1=-2, axis2=-1)
    return _pad_to_k(_masked_descending(eig, valid), k)


def attn_eigvals(
    A: Float[ArrayLike, "*batch n n"], k: int, mask: Bool[ArrayLike, "... n"] | None = None
) -> Float[Array, "*batch k"]:
    """AttnEigvals: top-k of diag(A) (the eigenvalues of a causal map), descending."""
    _check_k(k)
    A = check_matrix(A)
    mask = check_mask(mask, A)
    diagonal = jnp.diagonal(A, axis1=-2, axis2=-1)
    return _pad_to_k(_masked_descending(diagonal, valid_tokens(A, mask)), k)


def attn_logdet(
    A: Float[ArrayLike, "*batch n n"], mask: Bool[ArrayLike, "... n"] | None = None
) -> Float[Array, "*batch"]:
    """AttnLogDet (LLM-Check): mean over valid tokens of log A_ii (log-determinant per token)."""
    A = check_matrix(A)
    mask = check_mask(mask, A)
    valid = valid_tokens(A, mask)
    diagonal = jnp.diagonal(A, axis1=-2, axis2=-1)
    tiny = jnp.finfo(A.dtype).tiny
    logs = jnp.where(valid, jnp.log(jnp.maximum(diagonal, tiny)), 0.0)
    return jnp.sum(logs, axis=-1) / jnp.maximum(jnp.sum(valid, axis=-1), 1).astype(A.dtype)


def _masked_descending(values: Array, valid: Array) -> Array:
    ordered = -jnp.sort(-jnp.where(valid, values, -jnp.inf), axis=-1)
    return jnp.where(jnp.isfinite(ordered), ordered, 0.0)


def _pad_to_k(values: Array, k: int) -> Array:
    n = values.shape[-1]
    if k <= n:
        return values[..., :k]
    return jnp.concatenate([values, jnp.zeros((*values.shape[:-1], k - n), values.dtype)], -1)


def _check_k(k) -> None:
    _validate.check_integer("k", k, minimum=1)
