"""Spectral diagnostics: the orientation-blind family of S_N and the LapEigvals baselines.

* λ₂ of the normalized Laplacian L_sym = I − S_N and the Fiedler sweep cut (spec §1.4-4);
* top-k eigenvalues of S_N, the family of symmetric spectral detectors: all of them take the
  same value on A and Aᵀ (T1);
* LapEigvals (Binkowski et al., 2025): per head the directed Laplacian L = D − A with
  D_jj = (Σ_i A_ij)/(n − j) (0-based j); L is lower triangular, so its eigenvalues are
  diag(L) = D_jj − A_jj and no eigensolver is needed. Its column-sum degree is *not* transpose
  invariant. Companions: AttnEigvals (top-k of diag A) and AttnLogDet = mean log diag A.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float

from jaxpapers.attention_transport._landscape import prefix_landscape
from jaxpapers.attention_transport._operator import apply_mask, degree_normalize, sym_antisym
from jaxpapers.attention_transport._types import SpectralCheeger
from jaxpapers.attention_transport._validate import check_mask, check_matrix

__all__ = [
    "attn_eigvals",
    "attn_logdet",
    "lambda2_lanczos",
    "lapeigvals",
    "spectral_cheeger",
    "sym_eigvals",
    "top_k_sym_eigvals",
]

_PAD_EIGENVALUE = -3.0  # below spec(S_N) ⊂ [−1, 1]: padded tokens sort last


def _valid(A: Array, mask: Array | None) -> Array:
    return jnp.ones(A.shape[:-1], bool) if mask is None else mask


def _padded_sym(A: Array, mask: Array | None) -> Array:
    """S_N with a pad value on the diagonal of padded tokens, so they sort below every mode."""
    S, _ = sym_antisym(degree_normalize(A, mask))
    pad = jnp.where(_valid(A, mask), 0.0, _PAD_EIGENVALUE).astype(A.dtype)
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
    """
    A = check_matrix(A)
    mask = check_mask(mask, A)
    valid = _valid(A, mask)
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
    """
    _check_k(k)
    A = check_matrix(A)
    mask = check_mask(mask, A)
    valid = _valid(A, mask)
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
    return _pad_to_k(_masked_descending(diagonal, _valid(A, mask)), k)


def attn_logdet(
    A: Float[ArrayLike, "*batch n n"], mask: Bool[ArrayLike, "... n"] | None = None
) -> Float[Array, "*batch"]:
    """AttnLogDet (LLM-Check): mean over valid tokens of log A_ii (log-determinant per token)."""
    A = check_matrix(A)
    mask = check_mask(mask, A)
    valid = _valid(A, mask)
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
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")


def _lanczos_mu2(S: Array, top: Array, valid: Array, steps: int) -> Array:
    """Largest eigenvalue of S on top⊥ by ``steps`` Lanczos steps with full reorthogonalisation.

    One head: ``S [n, n]`` symmetric, ``top [n]`` its known unit top eigenvector. Once the Krylov
    space is exhausted (few valid tokens) the remaining steps are inert and their Ritz values are
    pinned at −3, below spec(S) ⊂ [−1, 1].
    """
    n = S.shape[-1]
    dtype = S.dtype
    start = jnp.where(valid, 1.0 + 0.5 * jnp.cos(jnp.arange(n, dtype=dtype) * 1.7), 0.0)
    start = start - top * jnp.dot(top, start)
    start = start / jnp.maximum(jnp.linalg.norm(start), jnp.finfo(dtype).tiny)
    basis = jnp.zeros((steps, n), dtype)
    floor = 100 * jnp.finfo(dtype).eps

    def step(carry, j):
        q, q_prev, beta_prev, basis, active = carry
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
        out = (jnp.where(active, alpha, _PAD_EIGENVALUE), jnp.where(alive, beta, 0.0))
        return (q_next, q, jnp.where(alive, beta, 0.0), basis, alive), out

    init = (start, jnp.zeros(n, dtype), jnp.zeros((), dtype), basis, jnp.any(valid))
    _, (alphas, betas) = jax.lax.scan(step, init, jnp.arange(steps))
    tridiagonal = jnp.diag(alphas) + jnp.diag(betas[:-1], 1) + jnp.diag(betas[:-1], -1)
    return jnp.linalg.eigvalsh(tridiagonal)[-1]


def lambda2_lanczos(
    A: Float[ArrayLike, "*batch n n"],
    mask: Bool[ArrayLike, "... n"] | None = None,
    *,
    steps: int = 32,
) -> Float[Array, "*batch"]:
    """λ₂ of L_sym = I − S_N by Lanczos, O(steps·n²) per head instead of O(n³).

    S_N's top eigenvector is known exactly (√d/‖√d‖, eigenvalue 1), so λ₂ = 1 − μ₂ with μ₂ the
    largest eigenvalue of S_N on its orthogonal complement, the extreme eigenvalue Lanczos finds
    fastest. The Ritz value is a lower bound on μ₂, so the result is an upper bound on λ₂; its
    error falls geometrically with ``steps`` (see the tests for the accuracy on attention maps).
    """
    if not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an int >= 2, got {steps!r}")
    A = check_matrix(A)
    mask = check_mask(mask, A)
    valid = _valid(A, mask)
    S, _ = sym_antisym(degree_normalize(A, mask))
    d = 0.5 * jnp.sum(apply_mask(A, mask) + jnp.swapaxes(apply_mask(A, mask), -1, -2), axis=-1)
    root = jnp.sqrt(d)
    top = root / jnp.maximum(jnp.linalg.norm(root, axis=-1, keepdims=True), jnp.finfo(A.dtype).tiny)
    lead = A.shape[:-2]
    n = A.shape[-1]
    flat = jax.vmap(lambda s, t, v: _lanczos_mu2(s, t, v, min(steps, n)))
    mu2 = flat(S.reshape(-1, n, n), top.reshape(-1, n), valid.reshape(-1, n))
    return 1.0 - mu2.reshape(lead)
