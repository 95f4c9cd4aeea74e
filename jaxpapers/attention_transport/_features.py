"""Per-head transport features, their aggregates over heads, and span restriction.

Per head (spec §1.4-6): φ_min, t*/n, λ₂, G and the floor indicator 𝟙[φ < 1/5]; aggregated over
heads as mean, median, q10 and q90, plus the fraction of heads piercing the floor (named a
signature of the architecture in the paper's v2; the aggregation itself is proposed).
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxpapers import _validate
from jaxpapers.attention_transport._checks import check_mask, check_matrix, row_sum_tolerance
from jaxpapers.attention_transport._lanczos import lambda2_lanczos
from jaxpapers.attention_transport._landscape import prefix_landscape
from jaxpapers.attention_transport._operator import apply_mask, asymmetry_coeff
from jaxpapers.attention_transport._spectral import sym_eigvals, valid_tokens
from jaxpapers.attention_transport._types import FLOOR, HeadFeatures, HeadSummary

__all__ = [
    "feature_vector",
    "head_features",
    "restrict_to_tokens",
    "slice_span",
    "summarize_heads",
]


def _row_stochastic(A: Array, mask: Array | None) -> Array:
    """Every valid row sums to one over the valid columns (within float rounding)."""
    valid = valid_tokens(A, mask)
    sums = jnp.sum(apply_mask(A, mask), axis=-1)
    error = jnp.where(valid, jnp.abs(sums - 1.0), 0.0)
    return jnp.all(error <= row_sum_tolerance(A.dtype), axis=-1)


def head_features(
    A: Float[ArrayLike, "*batch n n"],
    mask: Bool[ArrayLike, "... n"] | None = None,
    *,
    lanczos_steps: int | None = None,
) -> HeadFeatures:
    """φ_min, t*/n, λ₂, G and 𝟙[φ < 1/5] of every head in ``A [..., n, n]`` (spec §1.4-6).

    ``A`` must be row-stochastic over the valid tokens (attention); restrict a map to a span
    first with :func:`restrict_to_tokens` or :func:`slice_span`, which renormalise the rows.
    λ₂ comes from a dense ``eigvalsh`` (exact, O(n³)) unless ``lanczos_steps`` is set, which uses
    :func:`lambda2_lanczos` (O(steps·n²); ``lambda2_converged`` reports its residual test).

    Bad input: eagerly, a non-finite, negative or non-stochastic map raises ``ValueError``; under
    ``jit`` such a head gets NaN features and ``defined = False``. A head with fewer than two
    valid tokens (an empty or one-token span) has no cut: NaN features, ``defined = False``.

    Examples:
        >>> import jax.numpy as jnp
        >>> from jaxpapers.attention_transport import (
        ...     head_features, uniform_causal_attention, window_attention)
        >>> heads = jnp.stack([uniform_causal_attention(64), window_attention(64, 4)])
        >>> f = head_features(heads)
        >>> f.below_floor.tolist(), f.defined.tolist()
        ([False, True], [True, True])
    """
    mask = check_mask(mask, check_matrix(A))
    A = check_matrix(A, stochastic=True, mask=mask)
    if lanczos_steps is not None:
        _validate.check_integer("lanczos_steps", lanczos_steps, minimum=2)
    land = prefix_landscape(A, mask)
    defined = land.defined & _row_stochastic(A, mask)
    if lanczos_steps is None:
        lambda2 = 1.0 - sym_eigvals(A, mask)[..., 1]
        converged = jnp.ones(lambda2.shape, bool)
    else:
        lanczos = lambda2_lanczos(A, mask, steps=lanczos_steps)
        lambda2, converged = lanczos.lambda2, lanczos.converged

    def kept(x):
        return jnp.where(defined, x, jnp.nan)

    phi_min = kept(land.phi_min)
    return HeadFeatures(
        phi_min,
        kept(land.t_star_frac),
        kept(lambda2),
        kept(asymmetry_coeff(A, mask)),
        phi_min < FLOOR,
        defined,
        converged,
    )


def _quartet(values: Array, axes: tuple[int, ...]) -> Array:
    quantiles = jnp.quantile(values, jnp.array([0.5, 0.1, 0.9], values.dtype), axis=axes)
    stacked = jnp.concatenate([jnp.mean(values, axis=axes)[None], quantiles], axis=0)
    return jnp.moveaxis(stacked, 0, -1)


def summarize_heads(features: HeadFeatures, n_axes: int = 2) -> HeadSummary:
    """Mean, median, q10, q90 of each feature over the last ``n_axes`` axes (layer, head).

    Returns :class:`HeadSummary`; ``fraction_below_floor`` is the share of heads with φ < 1/5.
    An undefined head makes the statistics of its example NaN (they are not silently skipped).

    Examples:
        >>> import jax.numpy as jnp
        >>> from jaxpapers.attention_transport import (
        ...     head_features, summarize_heads, uniform_causal_attention, window_attention)
        >>> heads = jnp.stack([uniform_causal_attention(64), window_attention(64, 4)])
        >>> float(summarize_heads(head_features(heads), n_axes=1).fraction_below_floor)
        0.5
    """
    _validate.check_integer("n_axes", n_axes, minimum=1)
    if n_axes > features.phi_min.ndim:
        raise ValueError(
            f"n_axes must lie in [1, {features.phi_min.ndim}] for features of shape "
            f"{features.phi_min.shape}, got {n_axes}"
        )
    axes = tuple(range(features.phi_min.ndim - n_axes, features.phi_min.ndim))

    def stat(x):
        return _quartet(x, axes)

    below = jnp.where(
        features.defined, features.below_floor.astype(features.phi_min.dtype), jnp.nan
    )
    fraction = jnp.mean(below, axis=axes)
    return HeadSummary(
        stat(features.phi_min),
        stat(features.t_star_frac),
        stat(features.lambda2),
        stat(features.asymmetry),
        fraction,
    )


def feature_vector(features: HeadFeatures, n_axes: int = 2) -> Float[Array, "*batch f"]:
    """Flatten per-head features (φ, t*/n, λ₂, G over the last ``n_axes`` axes) and summaries.

    Layout: [φ per head, t*/n per head, λ₂ per head, G per head, 16 summary statistics,
    fraction below floor]; the input of the probe.
    """
    summary = summarize_heads(features, n_axes)
    lead = features.phi_min.shape[: features.phi_min.ndim - n_axes]
    per_head = [
        jnp.reshape(x, (*lead, -1))
        for x in (features.phi_min, features.t_star_frac, features.lambda2, features.asymmetry)
    ]
    stats = [
        jnp.reshape(x, (*lead, -1))
        for x in (summary.phi_min, summary.t_star_frac, summary.lambda2, summary.asymmetry)
    ]
    return jnp.concatenate([*per_head, *stats, summary.fraction_below_floor[..., None]], -1)


def restrict_to_tokens(
    A: Float[ArrayLike, "*batch n n"], keep: Bool[ArrayLike, "... n"]
) -> Float[Array, "*batch n n"]:
    """Keep the rows and columns of ``keep`` tokens and renormalise each kept row to sum one.

    This is how a span (e.g. the response) is analysed on its own, and how an attention sink is
    removed (keep everything but token 0). Rows that had no mass on kept tokens stay zero.

    Examples:
        >>> import jax.numpy as jnp
        >>> from jaxpapers.attention_transport import restrict_to_tokens, uniform_causal_attention
        >>> no_sink = restrict_to_tokens(uniform_causal_attention(4), jnp.arange(4) > 0)
        >>> no_sink.sum(-1).tolist()  # the dropped token's row is zero, the others sum to one
        [0.0, 1.0, 1.0, 1.0]
    """
    A = check_matrix(A)
    keep_mask = check_mask(keep, A)
    kept = apply_mask(A, keep_mask)
    sums = jnp.sum(kept, axis=-1, keepdims=True)
    return kept / jnp.where(sums > 0, sums, 1.0)


def slice_span(
    A: Float[ArrayLike, "*batch T T"],
    start: Int[ArrayLike, ""],
    length: Int[ArrayLike, ""],
    size: int,
) -> tuple[Float[Array, "*batch size size"], Bool[Array, " size"]]:
    """Rows and columns ``start .. start+length−1`` of ``A``, padded to a static ``size``.

    Returns the renormalised span map (:func:`restrict_to_tokens`) and its validity mask, so a
    batch of responses of different lengths shares one static shape (vmap over examples).
    Tokens past ``length`` (or past the end of ``A``) are masked.

    Examples:
        >>> from jaxpapers.attention_transport import slice_span, uniform_causal_attention
        >>> span, valid = slice_span(uniform_causal_attention(10), start=6, length=3, size=4)
        >>> span.shape, valid.tolist()
        ((4, 4), [True, True, True, False])
    """
    A = check_matrix(A)
    T = A.shape[-1]
    offsets = jnp.arange(size)
    index = jnp.clip(start + offsets, 0, T - 1)
    valid = (offsets < length) & (start + offsets < T)
    sliced = jnp.take(jnp.take(A, index, axis=-2), index, axis=-1)
    return restrict_to_tokens(sliced, jnp.broadcast_to(valid, sliced.shape[:-1])), valid
