"""S6: forward-rollout recalibration of (a, D) by multiple shooting (spec §2 S6)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float

from jaxpapers.video_pde._prep import gaussian_smooth
from jaxpapers.video_pde._rollout import frame_displacements, pad_frames, spectral_rollout

__all__ = ["Calibration", "calibrate_rollout", "relative_error", "shooting_loss"]


class Calibration(NamedTuple):
    """Result of :func:`calibrate_rollout`.

    Attributes:
        a, D: calibrated coefficients (a = 0 for the advection–diffusion baseline).
        loss: the multiple-shooting objective at the optimum.
        losses: objective after each optimiser step.
    """

    a: Float[Array, ""]
    D: Float[Array, ""]
    loss: Float[Array, ""]
    losses: Float[Array, " n"]


def _params(theta, nonlinear):
    return (jnp.exp(theta[0]), jnp.exp(theta[-1])) if nonlinear else (0.0, jnp.exp(theta[-1]))


def shooting_loss(
    theta: Float[Array, " p"],
    observed: Float[Array, "T H W"],
    initial: Float[Array, "T H W"],
    displacements: Float[Array, "S 2"],
    starts: tuple[int, ...],
    *,
    horizon: int,
    dt: float,
    dx: float,
    nonlinear: bool = True,
) -> Float[Array, ""]:
    """J(θ) = Σ_s Σ_{h=1..H} ‖P_θ(ũ_s → t_{s+h}) − u_{s+h}‖² / Σ‖u_{s+h}‖², θ = (ln a, ln D).

    ``initial`` holds the (smoothed) initial frames ũ; ``starts`` the first frame of each
    shooting window (static). ``nonlinear=False``: θ = (ln D,) and a = 0.
    """
    a, D = _params(theta, nonlinear)

    def window(s):
        pred = spectral_rollout(
            initial[s],
            jax.lax.dynamic_slice_in_dim(displacements, s, horizon),
            a=a,
            D=D,
            dt=dt,
            dx=dx,
            nonlinear=nonlinear,
        )
        target = jax.lax.dynamic_slice_in_dim(observed, s + 1, horizon)
        return jnp.sum((pred[1:] - target) ** 2) / jnp.sum(target**2)

    return jnp.sum(jax.vmap(window)(jnp.asarray(starts)))


def calibrate_rollout(
    observed: Float[Array, "T H W"],
    velocity: Float[Array, "T 2"],
    *,
    dx: float,
    dt: float,
    a0: float,
    D0: float,
    nonlinear: bool = True,
    train_frames: int | None = None,
    horizon: int = 10,
    stride: int = 5,
    smoothing: float = 1.0,
    pad: int = 16,
    steps: int = 10,
    displacements: Float[Array, "S 2"] | None = None,
) -> Calibration:
    """Calibrate (a, D) so that rollouts from smoothed frames match the next ``horizon`` frames.

    Multiple shooting over windows starting every ``stride`` frames inside the first
    ``train_frames`` frames (default: the chronological first 80%); rollouts by the spectral
    Cole–Hopf solver on the zero-padded frames; ``steps`` iterations of ``optax.lbfgs`` (with
    its zoom line search) on θ = (ln a, ln D), gradients through the solver. ``nonlinear=False``
    calibrates the advection–diffusion baseline (θ = ln D). ``displacements`` (per frame
    interval) replace the trapezoid rule on ``velocity`` when the drift is known exactly.
    """
    num_t = observed.shape[0]
    train = int(0.8 * num_t) if train_frames is None else train_frames
    starts = tuple(range(0, train - horizon, stride))
    if not starts:
        raise ValueError(f"train_frames ({train}) must exceed horizon ({horizon})")
    padded = pad_frames(observed, pad)
    initial = gaussian_smooth(padded, smoothing)
    shifts = frame_displacements(velocity, dt) if displacements is None else displacements

    def loss(theta):
        return shooting_loss(
            theta,
            padded,
            initial,
            shifts,
            starts,
            horizon=horizon,
            dt=dt,
            dx=dx,
            nonlinear=nonlinear,
        )

    theta0 = jnp.log(jnp.asarray([a0, D0] if nonlinear else [D0], observed.dtype))
    solver = optax.lbfgs(linesearch=optax.scale_by_zoom_linesearch(max_linesearch_steps=10))
    value_and_grad = optax.value_and_grad_from_state(loss)

    def step(carry, _):
        theta, state = carry
        value, grad = value_and_grad(theta, state=state)
        updates, state = solver.update(grad, state, theta, value=value, grad=grad, value_fn=loss)
        theta = optax.apply_updates(theta, updates)
        return (theta, state), value

    # optax's L-BFGS mixes int32 and int64 counters under x64; allow standard promotion there
    with jax.numpy_dtype_promotion("standard"):
        carry = (theta0, solver.init(theta0))
        (theta, _), losses = jax.lax.scan(step, carry, None, length=steps)
    a, D = _params(theta, nonlinear)
    return Calibration(jnp.asarray(a, observed.dtype), D, loss(theta), losses)


def relative_error(prediction: Float[Array, "*s"], target: Float[Array, "*s"]) -> Float[Array, ""]:
    """‖prediction − target‖ / ‖target‖."""
    return jnp.linalg.norm((prediction - target).ravel()) / jnp.linalg.norm(target.ravel())
