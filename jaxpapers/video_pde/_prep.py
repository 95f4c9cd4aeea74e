"""S1: frames → normalised dye field u ∈ [0, 1] (spec §2 S1)."""

from __future__ import annotations

import math

import jax.numpy as jnp
from jaxtyping import Array, Float, Shaped

__all__ = ["gaussian_smooth", "normalise_frames", "to_grayscale"]


def to_grayscale(frames: Shaped[Array, "T H W 3"]) -> Float[Array, "T H W"]:
    """Luminance 0.299 R + 0.587 G + 0.114 B of colour frames (float)."""
    weights = jnp.asarray([0.299, 0.587, 0.114], dtype=jnp.result_type(float))
    return frames.astype(weights.dtype) @ weights


def normalise_frames(
    frames: Shaped[Array, "T H W"],
    *,
    background: float | Float[Array, "H W"] | None = None,
    patch: int = 8,
    reference_percentile: float = 99.99,
    reference_frame: int = 0,
    clip: bool = False,
) -> Float[Array, "T H W"]:
    """u = d / d_ref with d = I_bg − I (dye darkens) and d_ref a robust maximum of frame 0.

    Args:
        frames: grayscale frames (any real dtype; uint8 video).
        background: I_bg, a scalar or a per-pixel image (e.g. the median of pre-injection
            frames); default: the median of the top-left ``patch``×``patch`` corner over all
            frames (a dye-free patch).
        patch: side of that corner patch.
        reference_percentile: d_ref is this percentile of d over ``reference_frame``; fixed
            once, never per frame (it rescales a, spec §9).
        reference_frame: the first analysis frame.
        clip: clamp d ≥ 0 and u ≤ 1 as in spec S1. Off by default: clamping turns zero-mean
            pixel noise into a half-normal bias near the plume edge (decision, see README).
    """
    values = frames.astype(jnp.result_type(float))
    if background is None:
        background = jnp.median(values[:, :patch, :patch])
    darkening = background - values
    if clip:
        darkening = jnp.maximum(darkening, 0.0)
    reference = jnp.percentile(darkening[reference_frame], reference_percentile)
    field = darkening / reference
    return jnp.clip(field, 0.0, 1.0) if clip else field


def gaussian_smooth(u: Float[Array, "*b H W"], sigma: float) -> Float[Array, "*b H W"]:
    """Separable Gaussian blur over the last two axes (edge padding, radius ⌈3σ⌉)."""
    if sigma <= 0:
        return u
    radius = max(1, math.ceil(3.0 * sigma))
    offsets = jnp.arange(-radius, radius + 1, dtype=u.dtype)
    kernel = jnp.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / jnp.sum(kernel)
    for axis in (-2, -1):
        pad = [(0, 0)] * u.ndim
        pad[axis] = (radius, radius)
        padded = jnp.pad(u, pad, mode="edge")
        size = u.shape[axis]
        u = sum(
            kernel[i] * jnp.take(padded, jnp.arange(i, i + size), axis=axis)
            for i in range(2 * radius + 1)
        )
    return u


def noise_level(u: Float[Array, "T H W"], patch: int = 8) -> Float[Array, ""]:
    """Robust pixel-noise sd of u: 1.4826 × MAD over the dye-free ``patch``×``patch`` corner."""
    corner = u[:, :patch, :patch]
    return 1.4826 * jnp.median(jnp.abs(corner - jnp.median(corner)))
