"""Prefix-cut Cheeger landscapes, their closed forms, and canonical attention patterns.

For W = (A + Aᵀ)/2 and a prefix S_t = {1..t} (spec §1.1, §1.4-3),

    cut(t) = Σ_{i ≤ t < j} W_ij,   vol(S_t) = Σ_{k ≤ t} d_k,
    φ(t) = cut(t) / min(vol(S_t), vol(V) − vol(S_t)),   φ = min_t φ(t),  t* = argmin_t φ(t),

computed for all t at once in O(n²): cut(t) = Σ_{k ≤ t} (Σ_{j>k} W_kj − Σ_{i<k} W_ki), which equals
the spec's P[t, n] − P[t, t] with P = cumsum₀(cumsum₁(W)).
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float

from jaxpapers import _validate
from jaxpapers.attention_transport._checks import check_mask, check_matrix
from jaxpapers.attention_transport._operator import apply_mask
from jaxpapers.attention_transport._types import Landscape

__all__ = [
    "closed_form_uniform",
    "closed_form_window",
    "prefix_landscape",
    "uniform_causal_attention",
    "window_attention",
    "with_sink",
]


def prefix_landscape(
    A: Float[ArrayLike, "*batch n n"], mask: Bool[ArrayLike, "... n"] | None = None
) -> Landscape:
    """Conductance φ(t) of every prefix cut of W = (A + Aᵀ)/2, with φ_min and t*/n (T4).

    Accepts any nonnegative weights (``A.T`` included). Padded tokens (``mask`` False) are
    dropped: volumes count valid tokens only and cuts are indexed by valid tokens. A head with
    fewer than two valid tokens has no cut: its φ_min and t*/n are NaN and ``defined`` is False
    (likewise, under ``jit``, for weights that are not finite and nonnegative).

    Examples:
        >>> from jaxpapers.attention_transport import prefix_landscape, uniform_causal_attention
        >>> land = prefix_landscape(uniform_causal_attention(256))
        >>> round(float(land.phi_min), 4), round(float(land.t_star_frac), 3)
        (0.3644, 0.316)
    """
    A = check_matrix(A)
    mask = check_mask(mask, A)
    valid_token = jnp.ones(A.shape[:-1], bool) if mask is None else mask
    A = apply_mask(A, mask)
    usable = jnp.all(jnp.isfinite(A) & (A >= 0), axis=(-2, -1))  # bad weights under jit
    W = 0.5 * (A + jnp.swapaxes(A, -1, -2))
    later = jnp.sum(jnp.triu(W, 1), axis=-1)
    earlier = jnp.sum(jnp.tril(W, -1), axis=-1)
    return landscape_from_sums(later, earlier, jnp.sum(W, axis=-1), valid_token, usable)


def landscape_from_sums(
    later: Float[Array, "*batch n"],
    earlier: Float[Array, "*batch n"],
    d: Float[Array, "*batch n"],
    valid_token: Bool[Array, "*batch n"],
    usable: Bool[Array, "*batch"],
) -> Landscape:
    """:class:`Landscape` from per-token sums of W: Σ_{j>k} W_kj, Σ_{i<k} W_ki and d_k.

    Moving token t into the prefix adds its edges to later tokens and removes its edges to
    earlier ones, so cut(t) = Σ_{k ≤ t} (later_k − earlier_k): a 1-D cumsum instead of the 2-D
    prefix sums of the spec (same values; much faster). Shared by :func:`prefix_landscape` and
    the blockwise path from queries and keys, which never forms W.
    """
    cut = jnp.cumsum(later - earlier, axis=-1)[..., :-1]  # prefix lengths t = 1..n-1
    volume = jnp.cumsum(d, axis=-1)[..., :-1]
    # vol(S_tᶜ) summed directly, not as total − vol(S_t): no cancellation near the last cut
    complement = jnp.flip(jnp.cumsum(jnp.flip(d, -1), axis=-1), -1)[..., 1:]
    smaller = jnp.minimum(volume, complement)
    count = jnp.cumsum(valid_token.astype(jnp.int32), axis=-1)
    n_valid, left = count[..., -1], count[..., :-1]
    valid = valid_token[..., :-1] & (left >= 1) & (left < n_valid[..., None]) & (smaller > 0)
    phi = jnp.where(valid, cut / jnp.where(valid, smaller, 1.0), jnp.nan)
    best = jnp.argmin(jnp.where(valid, phi, jnp.inf), axis=-1)
    defined = jnp.any(valid, axis=-1) & usable
    phi_min = jnp.where(defined, jnp.take_along_axis(phi, best[..., None], -1)[..., 0], jnp.nan)
    t_star = jnp.where(defined, jnp.take_along_axis(left, best[..., None], axis=-1)[..., 0], 0)
    size = jnp.maximum(n_valid, 1).astype(d.dtype)
    t_star_frac = jnp.where(defined, t_star.astype(d.dtype) / size, jnp.nan)
    position = left.astype(d.dtype) / size[..., None]
    return Landscape(
        phi, cut, volume, valid, position, phi_min, t_star, t_star_frac, n_valid, defined
    )


def _harmonic(n: int, dtype) -> Array:
    """H_0..H_n (H_0 = 0)."""
    k = jnp.arange(1, n + 1, dtype=dtype)
    return jnp.concatenate([jnp.zeros(1, dtype), jnp.cumsum(1.0 / k)])


def closed_form_uniform(n: int, dtype=None) -> Float[Array, " n1"]:
    """T4: φ(t) = tΔ_t / min(t(2+Δ_t), 2n − t(2+Δ_t)), Δ_t = H_n − H_t, for t = 1..n−1.

    The exact landscape of uniform causal attention A_ij = 1/i (j ≤ i). Its continuum minimum is
    at x* = t*/n solving x(2 − ln x) = 1, x* = 0.31784, where φ* = 1 − 2x* = 0.36431.
    Use float64 for n ≳ 10⁵ (harmonic sums lose accuracy in float32).

    Examples:
        >>> from jaxpapers.attention_transport import closed_form_uniform
        >>> [round(float(phi), 4) for phi in closed_form_uniform(4)]  # φ(t) for t = 1, 2, 3
        [0.3514, 0.4118, 0.6]
    """
    _check_n(n)
    dtype = dtype or jnp.result_type(float)
    H = _harmonic(n, dtype)
    t = jnp.arange(1, n, dtype=dtype)
    delta = H[n] - H[1:n]
    volume2 = t * (2.0 + delta)  # twice vol(S_t)
    return t * delta / jnp.minimum(volume2, 2.0 * n - volume2)


def closed_form_window(n: int, w: int, dtype=None) -> Float[Array, " n1"]:
    """Exact landscape of causal window attention A_ij = 1/min(i, w), i − w < j ≤ i (T5).

    From the row structure (1-based i = t + k, k = 1..w−1, has min(t, w−k) keys left of t):

        cut(t) = ½ Σ_{k=1}^{w−1} [t+k ≤ n] · min(t, w−k) / min(t+k, w),
        c_j = Σ_{i=j}^{min(j+w−1, n)} 1/min(i, w),   vol(S_t) = Σ_{j ≤ t} (1 + c_j)/2,

    in O(n·w) without building the matrix. In the interior cut(t) = (w−1)/4 and degrees are 1,
    so φ_min ≈ (w−1)/(2n) with the worst cut near n/2: below the 1/5 floor once w < 0.4n + 1.

    Examples:
        >>> from jaxpapers.attention_transport import closed_form_window
        >>> phi = closed_form_window(1024, 16)
        >>> round(float(phi.min() / (15 / 2048)), 3)  # ≈ 1: φ_min ≈ (w−1)/(2n)
        1.0
    """
    _check_n(n)
    _validate.check_integer("w", w, minimum=1)
    dtype = dtype or jnp.result_type(float)
    t = jnp.arange(1, n, dtype=dtype)[:, None]
    k = jnp.arange(1, w, dtype=dtype)[None, :]
    crossing = jnp.where(t + k <= n, jnp.minimum(t, w - k) / jnp.minimum(t + k, float(w)), 0.0)
    cut = 0.5 * jnp.sum(crossing, axis=-1)
    i = jnp.arange(1, n + 1, dtype=dtype)
    weight = 1.0 / jnp.minimum(i, float(w))
    cumulative = jnp.concatenate([jnp.zeros(1, dtype), jnp.cumsum(weight)])
    j = jnp.arange(1, n + 1)
    last = jnp.minimum(j + w - 1, n)
    received = cumulative[last] - cumulative[j - 1]
    volume = jnp.cumsum(0.5 * (1.0 + received))[:-1]
    return cut / jnp.minimum(volume, n - volume)


def _check_n(n) -> None:
    _validate.check_integer("n", n, minimum=2)


def uniform_causal_attention(n: int, dtype=None) -> Float[Array, "n n"]:
    """A_ij = 1/i for j ≤ i (1-based): every query spreads evenly over its past."""
    _check_n(n)
    dtype = dtype or jnp.result_type(float)
    causal = jnp.tril(jnp.ones((n, n), dtype))
    return causal / jnp.sum(causal, axis=-1, keepdims=True)


def window_attention(n: int, w: int, dtype=None) -> Float[Array, "n n"]:
    """Causal sliding window: A_ij = 1/min(i, w) for i − w < j ≤ i (1-based)."""
    _check_n(n)
    _validate.check_integer("w", w, minimum=1)
    dtype = dtype or jnp.result_type(float)
    i = jnp.arange(n)[:, None]
    j = jnp.arange(n)[None, :]
    band = ((j <= i) & (j > i - w)).astype(dtype)
    return band / jnp.sum(band, axis=-1, keepdims=True)


def with_sink(A: Float[ArrayLike, "*batch n n"], s: float) -> Float[Array, "*batch n n"]:
    """(1 − s)·A + s·e₁ᵀ per row: every query gives mass ``s`` to token 1 (an attention sink).

    A sink raises φ of window heads to O(1): with w = 16, n = 1024, φ ≈ 0.060 / 0.183 / 0.338
    for s = 0.1 / 0.3 / 0.5 (spec §1.3).
    """
    A = check_matrix(A)
    _validate.check_range("s", s, low=0.0, high=1.0)
    sink = jnp.zeros(A.shape[-1], A.dtype).at[0].set(1.0)
    return (1.0 - s) * A + s * jnp.broadcast_to(sink, A.shape)
