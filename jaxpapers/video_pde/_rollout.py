"""S6 solvers: spectral Cole–Hopf rollout (exact for the law) and an RK4 finite-difference solver.

Both are pure ``lax.scan`` time steppers, differentiable in (a, D) so that calibration can use
gradients. Arrays are ``[y, x]`` frames on a periodic box; pad the data (``pad_frames``) so the
plume never wraps around.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

__all__ = [
    "fd_rollout",
    "frame_displacements",
    "pad_frames",
    "spectral_rollout",
    "wavenumbers",
]

TINY = 1e-300


def wavenumbers(shape: tuple[int, ...], dx: float, dtype=None) -> tuple[Array, Array]:
    """Angular wavenumbers (k_y[:, None], k_x[None, :]) of a periodic ``shape`` grid."""
    dtype = dtype or jnp.result_type(float)
    ky = 2.0 * jnp.pi * jnp.fft.fftfreq(shape[0], d=dx).astype(dtype)
    kx = 2.0 * jnp.pi * jnp.fft.fftfreq(shape[1], d=dx).astype(dtype)
    return ky[:, None], kx[None, :]


def frame_displacements(velocity: Float[Array, "T 2"], dt: float) -> Float[Array, "S 2"]:
    """s_k = ∫ v dt over frame interval k (trapezoid), for k = 0..T−2."""
    return 0.5 * (velocity[1:] + velocity[:-1]) * dt


def pad_frames(u: Float[Array, "*b H W"], pad: int) -> Float[Array, "*b H2 W2"]:
    """Zero-pad (u = 0: no dye) ``pad`` pixels on each side of the last two axes."""
    widths = [(0, 0)] * (u.ndim - 2) + [(pad, pad), (pad, pad)]
    return jnp.pad(u, widths)


def spectral_rollout(
    u0: Float[Array, "H W"],
    displacements: Float[Array, "S 2"],
    *,
    a: float | Float[Array, ""],
    D: float | Float[Array, ""],
    dt: float,
    dx: float,
    nonlinear: bool = True,
) -> Float[Array, "S+1 H W"]:
    """Exact rollout of u_t + v·∇u = a|∇u|² + DΔu on a periodic box via Cole–Hopf.

    With κ = a/D, w = exp(κu − κ max u₀) solves w_t + v·∇w = DΔw, so per frame
    ŵ ← ŵ · exp(−D|k|²Δt − i k·s_k) with s_k the drift displacement of the frame; then
    u = (ln w + κ max u₀)/κ (w clipped at a tiny positive value). ``nonlinear=False`` rolls out
    the advection–diffusion baseline u_t + v·∇u = DΔu (a = 0) the same way on u itself.
    Needs float64 for κ ≈ 13.5 (w spans e^{−κ}).
    """
    ky, kx = wavenumbers(u0.shape, dx, u0.dtype)
    k2 = kx**2 + ky**2
    if nonlinear:
        kappa = a / D
        shift = kappa * jnp.max(u0)
        start = jnp.exp(kappa * u0 - shift)
    else:
        start = u0

    def step(w_hat, s):
        damping = jnp.exp(-D * k2 * dt)
        phase = kx * s[0] + ky * s[1]
        w_hat = w_hat * jax.lax.complex(damping * jnp.cos(phase), -damping * jnp.sin(phase))
        w = jnp.real(jnp.fft.ifft2(w_hat))
        frame = (jnp.log(jnp.maximum(w, TINY)) + shift) / kappa if nonlinear else w
        return w_hat, frame

    _, frames = jax.lax.scan(step, jnp.fft.fft2(start), displacements)
    return jnp.concatenate([u0[None], frames], axis=0)


def _rhs(u, v, a, D, dx):
    """−v·∇u + a|∇u|² + DΔu with second-order central differences, periodic."""
    ux = (jnp.roll(u, -1, 1) - jnp.roll(u, 1, 1)) / (2 * dx)
    uy = (jnp.roll(u, -1, 0) - jnp.roll(u, 1, 0)) / (2 * dx)
    lap = (
        jnp.roll(u, -1, 0) + jnp.roll(u, 1, 0) + jnp.roll(u, -1, 1) + jnp.roll(u, 1, 1) - 4 * u
    ) / dx**2
    return -(v[0] * ux + v[1] * uy) + a * (ux**2 + uy**2) + D * lap


def fd_rollout(
    u0: Float[Array, "H W"],
    velocity: Float[Array, "T 2"],
    *,
    a: float | Float[Array, ""],
    D: float | Float[Array, ""],
    dt: float,
    dx: float,
    substeps: int,
) -> Float[Array, "T H W"]:
    """Finite-difference rollout: central Δ, |∇u|² and advection, RK4, periodic box.

    ``substeps`` RK4 steps per frame interval (choose Δt/substeps ≤ 0.2·Δx²/D and
    ≤ 0.2·Δx/(|v| + 2a max|∇u|)); the drift is interpolated linearly between frames. Second
    order in Δx; works for any library, unlike the Cole–Hopf solver.
    """
    h = dt / substeps

    def frame_step(u, pair):
        v0, v1 = pair

        def rk4(u, j):
            theta = j / substeps
            va = v0 + theta * (v1 - v0)
            vm = v0 + (theta + 0.5 / substeps) * (v1 - v0)
            vb = v0 + (theta + 1.0 / substeps) * (v1 - v0)
            k1 = _rhs(u, va, a, D, dx)
            k2 = _rhs(u + 0.5 * h * k1, vm, a, D, dx)
            k3 = _rhs(u + 0.5 * h * k2, vm, a, D, dx)
            k4 = _rhs(u + h * k3, vb, a, D, dx)
            return u + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4), None

        u, _ = jax.lax.scan(rk4, u, jnp.arange(substeps, dtype=u.dtype))
        return u, u

    _, frames = jax.lax.scan(frame_step, u0, (velocity[:-1], velocity[1:]))
    return jnp.concatenate([u0[None], frames], axis=0)
