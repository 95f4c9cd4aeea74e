"""S1: frames → normalised dye field u (spec §2 S1), with checks that the background is real.

u = (I_bg − I) / d_ref: dye darkens a light background, I_bg is the dye-free level and d_ref the
darkening that maps to u = 1 (the peak of the first analysis frame). The coefficient of |∇u|²
scales with d_ref (spec §9), so d_ref is estimated with as little noise as the frame allows: by
default the vertex of a quadratic fitted to the darkest spot (169 pixels), whose standard error
:func:`discover` carries into its bootstrap.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Shaped

from jaxpapers import _validate, linalg

__all__ = ["gaussian_smooth", "noise_level", "normalise_frames", "reference_level", "to_grayscale"]

NO_DYE = 10.0  # the first analysis frame must be darkened by ≥ this many noise sd somewhere
PEAK_TOP = 0.2  # the peak fit uses the pixels within 20 % of the peak, where it is quadratic


class Reference(NamedTuple):
    """d_ref and its standard error (0 for the percentile, which has no model)."""

    value: Float[Array, ""]
    standard_error: Float[Array, ""]


def to_grayscale(frames: Shaped[Array, "T H W 3"]) -> Float[Array, "T H W"]:
    """Luminance 0.299 R + 0.587 G + 0.114 B of colour frames (float)."""
    weights = jnp.asarray([0.299, 0.587, 0.114], dtype=jnp.result_type(float))
    return frames.astype(weights.dtype) @ weights


def _peak_design(radius: int, dtype) -> Float[Array, "n 6"]:
    offsets = jnp.arange(-radius, radius + 1, dtype=dtype)
    y, x = (g.ravel() for g in jnp.meshgrid(offsets, offsets, indexing="ij"))
    return jnp.stack([jnp.ones_like(x), x, y, x * x, x * y, y * y], axis=1)


def _peak_fit(darkening: Float[Array, "H W"], radius: int) -> Reference:
    """Vertex value of d ≈ c₀ + c₁x + c₂y + c₃x² + c₄xy + c₅y², fitted to the pixels of the
    (2r+1)² window around the darkest (1-px smoothed) pixel that lie within ``PEAK_TOP`` of the
    peak (and the central 3 × 3), with its OLS standard error at the vertex."""
    smooth = gaussian_smooth(darkening, 1.0)
    row, col = jnp.unravel_index(jnp.argmax(smooth), darkening.shape)
    size = 2 * radius + 1
    start = (row - radius, col - radius)
    patch = jax.lax.dynamic_slice(darkening, start, (size, size)).ravel()
    top = jax.lax.dynamic_slice(smooth, start, (size, size)).ravel()
    design = _peak_design(radius, darkening.dtype)
    centre = (jnp.abs(design[:, 1]) <= 1) & (jnp.abs(design[:, 2]) <= 1)
    weights = ((top >= (1.0 - PEAK_TOP) * jnp.max(top)) | centre).astype(darkening.dtype)
    coef = linalg.lstsq(design, patch, weights)
    hessian = jnp.stack([jnp.stack([2 * coef[3], coef[4]]), jnp.stack([coef[4], 2 * coef[5]])])
    slope = coef[1:3]
    # vertex x* = −H⁻¹g (2 × 2, closed form); value c₀ − ½ gᵀH⁻¹g
    det = hessian[0, 0] * hessian[1, 1] - hessian[0, 1] ** 2
    inverse = (
        jnp.stack(
            [jnp.stack([hessian[1, 1], -hessian[0, 1]]), jnp.stack([-hessian[1, 0], hessian[0, 0]])]
        )
        / det
    )
    vertex = jnp.clip(-inverse @ slope, -radius, radius)
    basis = jnp.stack(
        [1.0, vertex[0], vertex[1], vertex[0] ** 2, vertex[0] * vertex[1], vertex[1] ** 2]
    ).astype(darkening.dtype)
    residual = patch - design @ coef
    sigma2 = jnp.sum(weights * residual**2) / (jnp.sum(weights) - 6.0)
    leverage = basis @ linalg.spd_solve(design.T @ (weights[:, None] * design), basis)
    return Reference(basis @ coef, jnp.sqrt(sigma2 * leverage))


def reference_level(
    darkening: Float[Array, "H W"],
    *,
    method: str = "peak",
    radius: int = 6,
    percentile: float = 99.99,
) -> Reference:
    """d_ref of one frame's darkening I_bg − I, with its standard error.

    ``"peak"``: the vertex value of a quadratic least-squares fit to the pixels of the
    (2r + 1)² window around the darkest spot that lie within 20 % of the peak; its standard error
    is the OLS one at the vertex. Near a smooth maximum a quadratic is exact to second order
    (for the synthetic plume u = 1 + ln(c/c_max)/κ is exactly quadratic while βc ≫ 1), and up to
    169 pixels average the pixel noise: on the default plume d_ref/180 − 1 has sd 0.18 % at
    σ = 2 and 0.46 % at σ = 5 grey levels (20 seeds), against 0.63 % and a +2 % bias for the
    99.99th percentile. ``"percentile"``: the spec's robust maximum (standard error 0).

    Examples:
        >>> y, x = jnp.mgrid[0:40, 0:40].astype(jnp.float32)
        >>> peak = 180.0 - 0.5 * ((x - 20.3) ** 2 + (y - 19.6) ** 2)
        >>> round(float(reference_level(peak).value), 3)
        180.0
    """
    if method == "percentile":
        value = jnp.percentile(darkening, percentile)
        return Reference(value, jnp.zeros_like(value))
    return _peak_fit(darkening, radius)


def normalise_frames(
    frames: Shaped[Array, "T H W"],
    *,
    background: float | Float[Array, "H W"] | None = None,
    patch: int = 8,
    reference_percentile: float = 99.99,
    reference_frame: int = 0,
    clip: bool = False,
    reference: str = "peak",
    reference_radius: int = 6,
) -> Float[Array, "T H W"]:
    """u = d / d_ref with d = I_bg − I (dye darkens) and d_ref the peak darkening of one frame.

    Args:
        frames: grayscale frames (any real dtype; uint8 video).
        background: I_bg, a scalar or a per-pixel image (e.g. the median of pre-injection
            frames); default: the median of the top-left ``patch``×``patch`` corner over all
            frames (a dye-free patch; :func:`discover` checks that it is).
        patch: side of that corner patch.
        reference_percentile: d_ref for ``reference="percentile"``.
        reference_frame: the first analysis frame; d_ref is fixed on it once, never per frame
            (it rescales a, spec §9).
        clip: clamp d ≥ 0 and u ≤ 1 as in spec S1. Off by default: clamping turns zero-mean
            pixel noise into a half-normal bias near the plume edge (decision, see README).
        reference: ``"peak"`` (quadratic fit, see :func:`reference_level`) or ``"percentile"``.
        reference_radius: half-side of the peak-fit window.

    Raises:
        ValueError: the reference frame holds no dye (its peak darkening is below 10 noise
            sd), e.g. a pre-injection frame: use those frames as ``background`` and drop them
            (under ``jit`` the same check raises a RuntimeError through ``equinox.error_if``).

    Examples:
        >>> frames = jnp.full((3, 32, 32), 230, jnp.uint8).at[:, 10:20, 12:22].set(50)
        >>> u = normalise_frames(frames, reference="percentile", reference_percentile=100.0)
        >>> float(u.min()), float(u.max())
        (0.0, 1.0)
    """
    return _normalise(
        frames,
        background=background,
        patch=patch,
        reference_percentile=reference_percentile,
        reference_frame=reference_frame,
        clip=clip,
        reference=reference,
        reference_radius=reference_radius,
    )[0]


def _normalise(
    frames, *, background, patch, reference_percentile, reference_frame, clip, reference,
    reference_radius,
) -> tuple[Array, Reference]:  # fmt: skip
    """:func:`normalise_frames` that also returns d_ref with its standard error."""
    values = frames.astype(jnp.result_type(float))
    if background is None:
        background = jnp.median(values[:, :patch, :patch])
    darkening = background - values
    if clip:
        darkening = jnp.maximum(darkening, 0.0)
    level = reference_level(
        darkening[reference_frame],
        method=reference,
        radius=reference_radius,
        percentile=reference_percentile,
    )
    sigma = jnp.maximum(noise_level(values, patch), 0.5)  # ≥ half a grey level (quantisation)
    message = (
        "the reference frame holds no dye (peak darkening below 10 noise sd): the video starts "
        "with pre-injection frames; pass them as background and drop them "
        "(discover: Config(background_frames=N))"
    )
    no_dye = ~(level.value >= NO_DYE * sigma)
    if not _validate.is_concrete(no_dye):
        darkening = eqx.error_if(darkening, no_dye, message)
    elif bool(no_dye):
        raise ValueError(message)
    field = darkening / level.value
    return (jnp.clip(field, 0.0, 1.0) if clip else field), level


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
            (
                kernel[i] * jnp.take(padded, jnp.arange(i, i + size), axis=axis)
                for i in range(2 * radius + 1)
            ),
            jnp.zeros_like(u),
        )
    return u


def noise_level(u: Float[Array, "T H W"], patch: int = 8) -> Float[Array, ""]:
    """Robust pixel-noise sd of u: 1.4826 × MAD over the dye-free ``patch``×``patch`` corner."""
    corner = u[:, :patch, :patch]
    return 1.4826 * jnp.median(jnp.abs(corner - jnp.median(corner)))
