"""Nonstationary problems as pure functions: drifting quadratics and a rotating logistic stream.

A problem is an equinox module with

* ``dim`` — the parameter dimension d;
* ``init_state(key) -> state`` — the problem's state at t = 0 (the target);
* ``minimizer(state) -> theta*`` — the minimiser of F_t over X;
* ``gradient(key, params, state) -> g`` — a stochastic gradient, E g = grad F_t(params);
* ``advance(key, state) -> state`` — one step of drift, theta*_t -> theta*_{t+1};
* ``project(params) -> params`` — the Euclidean projection onto X (identity when X = R^d).

:func:`~jaxpapers.adam_sgd_tracking.simulate` runs any optimiser on any such problem.
"""

import math

import numpy as np

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jax.typing import DTypeLike
from jaxtyping import Array, ArrayLike, Bool, Float

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey

__all__ = ["QuadraticTracking", "RotatingLogistic", "quadratic_tracking", "rotating_logistic"]

DRIFTS = ("random_walk", "constant_velocity")


def _strong(value, dtype=None) -> Array:
    """An array of a definite (not weak) float dtype, so that equal shapes never retrace."""
    dtype = jnp.result_type(float) if dtype is None else dtype
    return jax.lax.convert_element_type(jnp.asarray(value), dtype)


NOISES = ("gaussian", "student_t")


class QuadraticTracking(eqx.Module):
    r"""Diagonal quadratic with a drifting minimiser (spec §2.3).

    .. math::
        F_t(\theta) = \tfrac12 \sum_i h_i (\theta_i - \theta^*_{t,i})^2,\qquad
        g_t = H(\theta_t - \theta^*_t) + \sigma \odot \xi_t,

    with ``xi`` standard normal, or Student-t with ``dof`` degrees of freedom rescaled to unit
    variance (heavy-tailed noise). The target moves by ``delta_t`` per step: a random walk
    ``delta_t ~ N(0, (Delta^2/d) I)`` or a constant velocity ``delta_t = Delta u`` with
    ``||u|| = 1``. The drift model is data (``constant_velocity``, a boolean array), not a
    static choice, so both models run through one compiled program. With a box
    ``[lower, upper]`` the problem is projected: X is the box and the minimiser of F_t over X
    is ``clip(theta*_t)`` (exact, since H is diagonal).
    """

    curvature: Float[Array, " d"]
    noise_scale: Float[Array, " d"]
    drift: Float[Array, ""]
    direction: Float[Array, " d"]
    lower: Float[Array, " d"] | None
    upper: Float[Array, " d"] | None
    constant_velocity: Bool[Array, ""]
    noise_kind: str = eqx.field(static=True)
    dof: float = eqx.field(static=True)

    @property
    def dim(self) -> int:
        return self.curvature.shape[0]

    @property
    def drift_kind(self) -> str:
        """``"constant_velocity"`` or ``"random_walk"`` (needs a concrete problem)."""
        return DRIFTS[int(self.constant_velocity)]

    def init_state(self, key: PRNGKey) -> Float[Array, " d"]:
        del key  # the target starts at the origin (spec §2.4: theta_0 = theta*_0 = 0)
        return jnp.zeros_like(self.curvature)

    def minimizer(self, state: Float[Array, " d"]) -> Float[Array, " d"]:
        return self.project(state)

    def gradient(
        self, key: PRNGKey, params: Float[Array, " d"], state: Float[Array, " d"]
    ) -> Float[Array, " d"]:
        return self.curvature * (params - state) + self.noise_scale * self._noise(key)

    def _noise(self, key: PRNGKey) -> Float[Array, " d"]:
        shape, dtype = self.curvature.shape, self.curvature.dtype
        if self.noise_kind == "gaussian":
            return jax.random.normal(key, shape, dtype)
        draw = jax.random.t(key, self.dof, shape, dtype)
        return draw * jnp.asarray(math.sqrt((self.dof - 2) / self.dof), dtype)

    def advance(self, key: PRNGKey, state: Float[Array, " d"]) -> Float[Array, " d"]:
        scale = self.drift / jnp.sqrt(jnp.asarray(self.dim, state.dtype))
        walk = scale * jax.random.normal(key, state.shape, state.dtype)
        return state + jnp.where(self.constant_velocity, self.drift * self.direction, walk)

    def project(self, params: Float[Array, " d"]) -> Float[Array, " d"]:
        if self.lower is None:
            return params
        return optax.projections.projection_box(params, self.lower, self.upper)


def quadratic_tracking(
    curvature: Float[ArrayLike, " d"],
    noise_scale: Float[ArrayLike, "*d"],
    drift: Float[ArrayLike, ""],
    *,
    drift_kind: str = "random_walk",
    direction: Float[ArrayLike, "*d"] | None = None,
    noise_kind: str = "gaussian",
    dof: float = 2.5,
    box: tuple[float, float] | None = None,
    dtype: DTypeLike | None = None,
) -> QuadraticTracking:
    """Build a :class:`QuadraticTracking` problem, checking every argument.

    Args:
        curvature: diagonal of H, shape (d,), entries > 0.
        noise_scale: per-coordinate gradient-noise standard deviation sigma_i, shape (d,), >= 0.
        drift: Delta, the total drift per step (random walk: root-mean-square size; constant
            velocity: exact size), finite and >= 0.
        drift_kind: ``"random_walk"`` or ``"constant_velocity"``.
        direction: u for constant velocity (normalised here); default ``1/sqrt(d)``.
        noise_kind: ``"gaussian"`` or ``"student_t"`` (unit variance, ``dof`` > 2).
        box: ``(lower, upper)`` for the projected variant; None for X = R^d.
        dtype: float dtype of the arrays (default: JAX's default float).
    """
    _validate.check_choice("drift_kind", drift_kind, DRIFTS)
    _validate.check_choice("noise_kind", noise_kind, NOISES)
    _validate.check_range("noise_scale (sigma)", noise_scale, low=0.0)
    _validate.check_range("drift (Delta)", drift, low=0.0)
    _validate.check_ndim("curvature (h)", curvature, 1, "a vector of shape (d,)")
    _validate.check_positive("curvature (h)", curvature)
    curvature = _strong(curvature, dtype)
    dtype = curvature.dtype
    if np.ndim(noise_scale) not in (0, 1) or np.size(noise_scale) not in (1, curvature.shape[0]):
        raise ValueError(
            f"noise_scale (sigma) must be a scalar or have shape {curvature.shape}, "
            f"got shape {np.shape(noise_scale)}"
        )
    noise_scale = jnp.broadcast_to(_strong(noise_scale, dtype), curvature.shape)
    if noise_kind == "student_t" and not dof > 2:
        raise ValueError(f"dof must be > 2 for unit-variance Student-t noise, got {dof}")
    if direction is None:
        direction = jnp.ones_like(curvature)
    _validate.check_finite("direction (u)", direction)
    direction = jnp.broadcast_to(_strong(direction, dtype), curvature.shape)
    norm = jnp.linalg.norm(direction)
    if not bool(norm > 0):
        raise ValueError("direction must be a non-zero vector, got all zeros")
    lower = upper = None
    if box is not None:
        _validate.check_finite("box", box)
        if not box[0] < 0 < box[1]:
            raise ValueError(f"box must satisfy lower < 0 < upper (the start), got {box}")
        lower = jnp.full_like(curvature, box[0])
        upper = jnp.full_like(curvature, box[1])
    return QuadraticTracking(
        curvature,
        noise_scale,
        _strong(drift, dtype),
        direction / norm,
        lower,
        upper,
        jnp.asarray(drift_kind == "constant_velocity"),
        noise_kind,
        float(dof),
    )


class RotatingLogistic(eqx.Module):
    r"""Streaming logistic regression whose decision boundary rotates (distribution shift).

    Samples ``x ~ N(0, I_d)``, ``y ~ Bernoulli(sigmoid(x . w*_t))`` with
    ``w*_t = r (cos phi_t e_1 + sin phi_t e_2)`` and ``phi_{t+1} = phi_t + omega``. The model is
    well specified, so the population logistic loss F_t is minimised exactly at ``w*_t``; the
    drift per step is ``2 r sin(omega / 2)``. X is the L2 ball of radius ``ball_radius``
    (spec §3 E4; used for the projected-stationarity regime of §1.5).
    """

    radius: Float[Array, ""]
    angular_speed: Float[Array, ""]
    ball_radius: Float[Array, ""]
    batch_size: int = eqx.field(static=True)
    dim: int = eqx.field(static=True)

    def init_state(self, key: PRNGKey) -> Float[Array, ""]:
        del key
        return jnp.zeros((), self.radius.dtype)

    def minimizer(self, state: Float[Array, ""]) -> Float[Array, " d"]:
        plane = jnp.stack([jnp.cos(state), jnp.sin(state)]) * self.radius
        return jnp.zeros(self.dim, state.dtype).at[:2].set(plane)

    def gradient(
        self, key: PRNGKey, params: Float[Array, " d"], state: Float[Array, ""]
    ) -> Float[Array, " d"]:
        return self.sample_gradient(key, params, state, self.batch_size)

    def sample_gradient(
        self, key: PRNGKey, params: Float[Array, " d"], state: Float[Array, ""], num: int
    ) -> Float[Array, " d"]:
        """Mean logistic-loss gradient over ``num`` fresh samples."""
        key_x, key_y = jax.random.split(key)
        x = jax.random.normal(key_x, (num, self.dim), params.dtype)
        p_true = jax.nn.sigmoid(x @ self.minimizer(state))
        y = jax.random.bernoulli(key_y, p_true).astype(params.dtype)
        residual = jax.nn.sigmoid(x @ params) - y
        return residual @ x / jnp.asarray(num, params.dtype)

    def advance(self, key: PRNGKey, state: Float[Array, ""]) -> Float[Array, ""]:
        del key
        return state + self.angular_speed

    def project(self, params: Float[Array, " d"]) -> Float[Array, " d"]:
        return optax.projections.projection_l2_ball(params, self.ball_radius)


def rotating_logistic(
    dim: int = 20,
    radius: float = 3.0,
    angular_speed: float = 1e-3,
    *,
    ball_radius: float = 10.0,
    batch_size: int = 1,
    dtype=None,
) -> RotatingLogistic:
    """Build a :class:`RotatingLogistic` stream (spec §3 E4 defaults: d = 20, ball radius 10)."""
    _validate.check_integer("dim (the boundary rotates in a plane)", dim, minimum=2)
    _validate.check_range("radius", radius, low=0.0)
    _validate.check_positive("ball_radius", ball_radius)
    _validate.check_finite("angular_speed (the drift)", angular_speed)
    if radius > ball_radius:
        raise ValueError(f"radius must not exceed ball_radius ({ball_radius}), got {radius}")
    _validate.check_integer("batch_size", batch_size, minimum=1)
    return RotatingLogistic(
        _strong(radius, dtype),
        _strong(angular_speed, dtype),
        _strong(ball_radius, dtype),
        batch_size,
        dim,
    )
