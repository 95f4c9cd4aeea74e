"""S6: forward-rollout recalibration of (a, D) by multiple shooting (spec §2 S6)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
import optax.tree_utils as otu
from jaxtyping import Array, Float

from jaxpapers.video_pde._prep import gaussian_smooth
from jaxpapers.video_pde._rollout import frame_displacements, pad_frames, spectral_rollout
from jaxpapers.video_pde._types import Calibration

__all__ = ["Calibration", "calibrate_rollout", "relative_error", "shooting_loss"]


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
    tol: float = 1e-6,
) -> Calibration:
    """Calibrate (a, D) so that rollouts from smoothed frames match the next ``horizon`` frames.

    Multiple shooting over windows starting every ``stride`` frames inside the first
    ``train_frames`` frames (default: the chronological first 80%); rollouts by the spectral
    Cole–Hopf solver on the zero-padded frames; ``optax.lbfgs`` (with its zoom line search) on
    θ = (ln a, ln D), gradients through the solver, until ‖∇_θ J‖ < ``tol`` or ``steps``
    iterations (``converged`` and ``num_steps`` in the result). ``nonlinear=False`` calibrates
    the advection–diffusion baseline (θ = ln D). ``displacements`` (per frame interval) replace
    the trapezoid rule on ``velocity`` when the drift is known exactly.
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
    theta, state, losses = _lbfgs(loss, theta0, steps, tol)
    a, D = _params(theta, nonlinear)
    # the line search leaves the value and gradient at the final θ in the state
    value, gradient = otu.tree_get(state, "value"), otu.tree_norm(otu.tree_get(state, "grad"))
    steps_taken = otu.tree_get(state, "count")
    a = jnp.asarray(a, observed.dtype)
    return Calibration(a, D, value, losses, gradient < tol, steps_taken)


def _lbfgs(loss, theta0, max_steps, tol):
    """``optax.lbfgs`` with a zoom line search until ‖∇J‖ < tol (a ``lax.while_loop``)."""
    solver = optax.lbfgs(linesearch=optax.scale_by_zoom_linesearch(max_linesearch_steps=10))
    value_and_grad = optax.value_and_grad_from_state(loss)

    def step(carry):
        theta, state, losses = carry
        value, grad = value_and_grad(theta, state=state)
        updates, state = solver.update(grad, state, theta, value=value, grad=grad, value_fn=loss)
        count = otu.tree_get(state, "count")
        return optax.apply_updates(theta, updates), state, losses.at[count - 1].set(value)

    def going(carry):
        _, state, _ = carry
        count, grad = otu.tree_get(state, "count"), otu.tree_get(state, "grad")
        return (count == 0) | ((count < max_steps) & (otu.tree_norm(grad) >= tol))

    # optax's L-BFGS mixes int32 and int64 counters under x64; allow standard promotion there
    with jax.numpy_dtype_promotion("standard"):
        losses = jnp.full(max_steps, jnp.nan, theta0.dtype)
        theta, state, losses = jax.lax.while_loop(
            going, step, (theta0, solver.init(theta0), losses)
        )
    return theta, state, losses


def relative_error(prediction: Float[Array, "*s"], target: Float[Array, "*s"]) -> Float[Array, ""]:
    """‖prediction − target‖ / ‖target‖."""
    return jnp.linalg.norm((prediction - target).ravel()) / jnp.linalg.norm(target.ravel())
