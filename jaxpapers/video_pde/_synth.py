"""Synthetic dye-plume video: an exact solution of u_t + v·∇u = a|∇u|² + DΔu, rendered to uint8.

Cole–Hopf (spec §3.1): with κ = a/D and w = exp(κu), the law becomes the linear
advection–diffusion equation w_t + v·∇w = DΔw. A translating Gaussian heat kernel c solves it,
so u = ln(1 + β c)/κ is an exact solution; β = e^κ − 1 makes max u(·, 0) = 1.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.video_pde._types import PlumeVideo

__all__ = [
    "PAPER_A",
    "PAPER_D",
    "plume_centre",
    "plume_drift",
    "plume_field",
    "render_frames",
    "synthetic_plume",
]

PAPER_A: float = 9.005
"""The paper's coefficient a of |∇u|² (its selected law; units of the paper's video unknown)."""

PAPER_D: float = 0.666
"""The paper's coefficient D of Δu (its selected law; units of the paper's video unknown)."""


def plume_drift(t: Float[Array, "*s"], duration: float = 0.3) -> Float[Array, "*s 2"]:
    """v(t) = (1 + 2 sin(2πt/T), −1.5)."""
    vx = 1.0 + 2.0 * jnp.sin(2.0 * jnp.pi * t / duration)
    return jnp.stack([vx, jnp.full_like(t, -1.5)], axis=-1)


def plume_centre(t: Float[Array, "*s"], duration: float = 0.3) -> Float[Array, "*s 2"]:
    """X(t) = (−1 + t + (T/π)(1 − cos(2πt/T)), 1 − 1.5t), so that dX/dt = v(t)."""
    cx = -1.0 + t + (duration / jnp.pi) * (1.0 - jnp.cos(2.0 * jnp.pi * t / duration))
    return jnp.stack([cx, 1.0 - 1.5 * t], axis=-1)


def plume_field(
    x: Float[Array, ...],
    y: Float[Array, ...],
    t: Float[Array, ...],
    *,
    a: float = PAPER_A,
    D: float = PAPER_D,
    duration: float = 0.3,
    t0: float = 0.03,
    lobes: tuple[tuple[float, float, float], ...] = ((0.0, 0.0, 1.0),),
) -> Float[Array, ...]:
    """The analytic field u = ln(1 + βc)/κ, c = Σ_i A_i t₀/(t+t₀) exp(−|x−X(t)−o_i|²/(4D(t+t₀))).

    ``lobes`` lists (o_x, o_y, A_i); one lobe at the centre by default. Differentiable in all
    arguments (tests take its derivatives with ``jax.grad``).
    """
    kappa = a / D
    centre = plume_centre(t, duration)
    spread = 4.0 * D * (t + t0)
    c = jnp.zeros_like(x)
    for ox, oy, amplitude in lobes:
        r2 = (x - centre[..., 0] - ox) ** 2 + (y - centre[..., 1] - oy) ** 2
        c = c + amplitude * (t0 / (t + t0)) * jnp.exp(-r2 / spread)
    return jnp.log1p(jnp.expm1(kappa) * c) / kappa


def render_frames(
    key: PRNGKey,
    field: Float[Array, "T H W"],
    *,
    noise_sigma: float = 2.0,
    background: float = 230.0,
    contrast: float = 180.0,
    gamma: float | None = None,
    flicker: float = 0.0,
    vignette: float = 0.0,
) -> Array:
    """I = clip(round(I_bg − C·Γ(u) + F(t) + V(x) + σε), 0, 255) as uint8 (spec §3.2).

    Γ(u) = u^γ when ``gamma`` is given (identity otherwise); F(t) = ``flicker``·sin(2πk/10) at
    frame k; V = −``vignette``·r² with r = 1 at the image corners.
    """
    num_t, height, width = field.shape
    response = field if gamma is None else jnp.maximum(field, 0.0) ** gamma
    frame = jnp.arange(num_t, dtype=field.dtype)
    shade = flicker * jnp.sin(2.0 * jnp.pi * frame / 10.0)[:, None, None]
    rows = jnp.linspace(-1.0, 1.0, height, dtype=field.dtype)[:, None]
    cols = jnp.linspace(-1.0, 1.0, width, dtype=field.dtype)[None, :]
    shade = shade - vignette * (rows**2 + cols**2)[None] / 2.0
    noise = noise_sigma * jax.random.normal(key, field.shape, field.dtype)
    image = background - contrast * response + shade + noise
    return jnp.clip(jnp.round(image), 0, 255).astype(jnp.uint8)


def synthetic_plume(
    key: PRNGKey,
    *,
    a: float = PAPER_A,
    D: float = PAPER_D,
    noise_sigma: float = 2.0,
    size: int = 128,
    num_frames: int = 61,
    half_width: float = 5.0,
    duration: float = 0.3,
    t0: float = 0.03,
    lobes: tuple[tuple[float, float, float], ...] = ((0.0, 0.0, 1.0),),
    background: float = 230.0,
    contrast: float = 180.0,
    gamma: float | None = None,
    flicker: float = 0.0,
    vignette: float = 0.0,
    pre_injection: int = 0,
) -> PlumeVideo:
    """The spec's synthetic plume video (§3): default 128×128 pixels, 61 frames, T = 0.3.

    The domain is [−L, L)² with L = ``half_width``; the plume drifts along X(t) (see
    :func:`plume_centre`) and obeys u_t + v·∇u = a|∇u|² + DΔu exactly; the frames are its 8-bit
    rendering with Gaussian pixel noise of ``noise_sigma`` grey levels. ``pre_injection`` dye-free
    frames (u = 0, times −n·Δt … −Δt) come first when asked for (spec §3.2: for the background).

    Examples:
        >>> video = synthetic_plume(jax.random.key(0), size=64, num_frames=21)
        >>> video.frames.shape, str(video.frames.dtype)
        ((21, 64, 64), 'uint8')
    """
    _validate.check_positive("a", a)
    _validate.check_positive("D", D)
    _validate.check_integer("pre_injection", pre_injection, minimum=0)
    dtype = jnp.result_type(float)
    x = jnp.linspace(-half_width, half_width, size, endpoint=False, dtype=dtype)
    step = duration / (num_frames - 1)
    times = jnp.linspace(-pre_injection * step, duration, num_frames + pre_injection, dtype=dtype)
    field = plume_field(
        x[None, None, :],
        x[None, :, None],
        jnp.maximum(times, 0.0)[:, None, None],
        a=a,
        D=D,
        duration=duration,
        t0=t0,
        lobes=lobes,
    )
    field = jnp.where(times[:, None, None] < 0, 0.0, field)
    frames = render_frames(
        key,
        field,
        noise_sigma=noise_sigma,
        background=background,
        contrast=contrast,
        gamma=gamma,
        flicker=flicker,
        vignette=vignette,
    )
    return PlumeVideo(
        frames=frames,
        field=field,
        times=times,
        x=x,
        y=x,
        dx=2.0 * half_width / size,
        dt=step,
        drift=plume_drift(times, duration),
        centre=plume_centre(times, duration),
        a=float(a),
        D=float(D),
    )
