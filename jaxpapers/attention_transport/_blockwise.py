"""Transport features of causal softmax attention from queries and keys, never forming the map.

For one head with queries and keys q, k ∈ ℝ^{n×d} the causal attention is
A_ij = exp(s_ij − ℓ_i) for j ≤ i (0 above the diagonal), with s_ij = τ q_i·k_j and
ℓ_i = log Σ_{j≤i} e^{s_ij}.
Its rows sum to one, so every quantity the landscape and G need reduces to three row/column
sums of A (W = (A + Aᵀ)/2, c_k = Σ_{i≥k} A_ik the column sums):

    Σ_{j>k} W_kj = (c_k − A_kk)/2,   Σ_{i<k} W_ki = (1 − A_kk)/2,   d_k = (1 + c_k)/2,
    ‖N‖²_F = Σ_ij A_ij² / (d_i d_j),   G² = ½ (1 − Σ_i A_ii²/d_i² / ‖N‖²_F),

the last because N = D^{-1/2} A D^{-1/2} and Nᵀ overlap only on the diagonal for causal A
(spec §1.1, T2–T3). Each sum is one pass over (block × block) tiles of s, as in flash attention:
ℓ by an online log-sum-exp over key tiles, then the column sums, then ‖N‖²_F. Memory is
O(n · block) per head; the n × n map never exists. Work is three causal passes, ≈ 3 n² d
multiply-adds per head.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxpapers import _validate
from jaxpapers.attention_transport._landscape import landscape_from_sums
from jaxpapers.attention_transport._types import FLOOR, HeadFeatures

__all__ = ["head_features_from_qk"]


def _tile(x: Array, index, size: int) -> Array:
    return jax.lax.dynamic_slice_in_dim(x, index * size, size, axis=0)


def _scores(q, k, scale, r, c, size, n):
    """Scores of query tile r against key tile c, and which entries are causal and real."""
    rows = r * size + jnp.arange(size)
    cols = c * size + jnp.arange(size)
    scores = scale * (_tile(q, r, size) @ _tile(k, c, size).T)
    keep = (cols[None, :] <= rows[:, None]) & (rows[:, None] < n) & (cols[None, :] < n)
    return scores, keep


def _row_logsumexp(q, k, scale, size, n, tiles):
    """ℓ_i by an online log-sum-exp over the key tiles c ≤ r of each query tile r."""

    def tile(r):
        def step(c, carry):
            top, total = carry
            scores, keep = _scores(q, k, scale, r, c, size, n)
            scores = jnp.where(keep, scores, -jnp.inf)
            new_top = jnp.maximum(top, jnp.max(scores, axis=1))
            safe = jnp.where(jnp.isfinite(new_top), new_top, 0.0)
            total = total * jnp.exp(top - safe) + jnp.sum(jnp.exp(scores - safe[:, None]), axis=1)
            return new_top, total

        start = (jnp.full(size, -jnp.inf, q.dtype), jnp.zeros(size, q.dtype))
        top, total = jax.lax.fori_loop(0, r + 1, step, start)
        return top + jnp.log(total)

    return jax.lax.map(tile, jnp.arange(tiles)).reshape(-1)


def _attention(q, k, scale, lse, r, c, size, n):
    """The (r, c) tile of A: exp(s_ij − ℓ_i) where causal and real, 0 elsewhere."""
    scores, keep = _scores(q, k, scale, r, c, size, n)
    return jnp.where(keep, jnp.exp(scores - _tile(lse, r, size)[:, None]), 0.0)


def _column_sums(q, k, scale, lse, size, n, tiles):
    """c_k = Σ_{i ≥ k} A_ik over the query tiles r ≥ c of each key tile c."""

    def tile(c):
        def step(r, total):
            return total + jnp.sum(_attention(q, k, scale, lse, r, c, size, n), axis=0)

        return jax.lax.fori_loop(c, tiles, step, jnp.zeros(size, q.dtype))

    return jax.lax.map(tile, jnp.arange(tiles)).reshape(-1)


def _normalized_energy(q, k, scale, lse, inv_degree, size, n, tiles):
    """‖N‖²_F = Σ_ij A_ij² / (d_i d_j), one query tile at a time."""

    def tile(r):
        def step(c, total):
            weights = _attention(q, k, scale, lse, r, c, size, n)
            return total + (weights * weights) @ _tile(inv_degree, c, size)

        per_row = jax.lax.fori_loop(0, r + 1, step, jnp.zeros(size, q.dtype))
        return jnp.sum(per_row * _tile(inv_degree, r, size))

    return jnp.sum(jax.lax.map(tile, jnp.arange(tiles)))


def _one_head(q, k, scale, size):
    n = q.shape[0]
    tiles = -(-n // size)
    padding = ((0, tiles * size - n), (0, 0))
    q_pad, k_pad = jnp.pad(q, padding), jnp.pad(k, padding)
    lse = _row_logsumexp(q_pad, k_pad, scale, size, n, tiles)
    column = _column_sums(q_pad, k_pad, scale, lse, size, n, tiles)[:n]
    diagonal = jnp.exp(scale * jnp.sum(q * k, axis=-1) - lse[:n])
    degree = 0.5 * (1.0 + column)
    inv_degree = jnp.pad(1.0 / degree, (0, tiles * size - n))
    energy = _normalized_energy(q_pad, k_pad, scale, lse, inv_degree, size, n, tiles)
    usable = jnp.all(jnp.isfinite(lse[:n])) & jnp.all(jnp.isfinite(column))
    land = landscape_from_sums(0.5 * (column - diagonal), 0.5 * (1.0 - diagonal), degree,
                               jnp.ones(n, bool), usable)  # fmt: skip
    self_energy = jnp.sum((diagonal / degree) ** 2)
    asymmetry = jnp.sqrt(jnp.maximum(0.5 * (1.0 - self_energy / energy), 0.0))
    return land.phi_min, land.t_star_frac, asymmetry, land.defined


def head_features_from_qk(
    q: Float[ArrayLike, "*batch n d"],
    k: Float[ArrayLike, "*batch n d"],
    *,
    scale: float | None = None,
    block_size: int = 512,
) -> HeadFeatures:
    """φ_min, t*/n and G of causal softmax attention, computed blockwise from q and k.

    The same features as :func:`head_features` on A = causal_softmax(τ q kᵀ), without ever
    forming A: three flash-style passes over (block × block) tiles (module docstring), memory
    O(n · block) per head instead of O(n²), so features of long contexts fit where the dense
    maps of one layer do not (n = 16 384: 1 GiB per head in float32). λ₂ needs the spectrum of
    the full operator and is not computed on this path: ``lambda2`` is NaN and
    ``lambda2_converged`` False. Every token is valid (no padding mask); for grouped-query
    attention repeat k to the query heads first, and pass q and k after the rotary embedding.

    Args:
        q: queries ``[..., n, d]`` (any leading layer/head axes).
        k: keys of the same shape.
        scale: τ; None means 1/√d.
        block_size: tile edge; memory per head ∝ ``block_size`` · n, work is the same.

    Returns:
        :class:`HeadFeatures` with ``phi_min``, ``t_star_frac``, ``asymmetry``,
        ``below_floor`` and ``defined`` per head (``defined`` False for NaN or inf inputs).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from jaxpapers.attention_transport import head_features, head_features_from_qk
        >>> q, k = jax.random.normal(jax.random.key(0), (2, 3, 100, 16))
        >>> blockwise = head_features_from_qk(q, k, block_size=32)
        >>> scores = jnp.einsum("hid,hjd->hij", q, k) / 4.0
        >>> causal = jnp.tril(jnp.ones((100, 100), bool))
        >>> dense = head_features(jax.nn.softmax(jnp.where(causal, scores, -jnp.inf), -1))
        >>> bool(jnp.allclose(blockwise.phi_min, dense.phi_min, atol=1e-5))
        True
    """
    q, k = _check_qk(q, k)
    size = _validate.check_integer("block_size", block_size, minimum=1)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    _validate.check_finite("scale", scale)
    n, depth = q.shape[-2:]
    lead = q.shape[:-2]
    flat_q, flat_k = q.reshape(-1, n, depth), k.reshape(-1, n, depth)
    size = min(size, n)
    phi, t_frac, asymmetry, defined = jax.vmap(lambda a, b: _one_head(a, b, scale, size))(
        flat_q, flat_k
    )

    def kept(x):
        return jnp.where(defined, x, jnp.nan).reshape(lead)

    phi = kept(phi)
    return HeadFeatures(
        phi, kept(t_frac), jnp.full(lead, jnp.nan, q.dtype), kept(asymmetry), phi < FLOOR,
        defined.reshape(lead), jnp.zeros(lead, bool),
    )  # fmt: skip


def _check_qk(q, k):
    for name, value in (("q", q), ("k", k)):
        if not hasattr(value, "shape") or not hasattr(value, "dtype"):
            raise TypeError(f"{name} must be an array [..., n, d], got {type(value).__name__}")
    q, k = jnp.asarray(q), jnp.asarray(k)
    for name, value in (("q", q), ("k", k)):
        _validate.check_ndim(name, value, tuple(range(2, 33)), what="an array [..., n, d]")
        if not jnp.issubdtype(value.dtype, jnp.floating):
            raise TypeError(f"{name} must have a floating dtype, got {value.dtype}")
    if q.shape != k.shape:
        raise ValueError(
            f"q and k must have the same shape [..., n, d], got q {q.shape} and k {k.shape} "
            "(for grouped-query attention repeat k to the query heads)"
        )
    if q.shape[-2] < 2:
        raise ValueError(f"q must have n >= 2 tokens to have a cut, got n = {q.shape[-2]}")
    for name, value in (("q", q), ("k", k)):
        _validate.check_finite(name, value)  # concrete values only; a no-op under jit
    dtype = jnp.result_type(q.dtype, k.dtype)
    return q.astype(dtype), k.astype(dtype)
