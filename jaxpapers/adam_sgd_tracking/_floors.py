"""Exact tracking floors, error recursions and burn-in times of the quadratic models [D].

Everything here is derived for the diagonal quadratic of spec §2.3 (ours, tag [D]; exact for
that model), not taken from the paper, whose theorems were not available. Per coordinate,
with the error measured after the target moved,

    e_{t+1} = (1 - alpha h_i) e_t - alpha sigma_i xi_t - delta_{t,i}.
"""

import math

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxpapers import _validate
from jaxpapers.adam_sgd_tracking import _checks

__all__ = [
    "burn_in_time",
    "momentum_floor",
    "sgd_burn_in",
    "sgd_error_recursion",
    "sgd_floor",
    "step_decay_schedule",
]

Scalar = Float[ArrayLike, ""]


INF = float("inf")


def _check_model(alpha, h, sigma, delta) -> tuple[Array, Array, Array, Array]:
    """The model's arguments as arrays, checked eagerly or (under ``jit``) at run time."""
    return (
        _checks.positive("alpha (the step size)", alpha),
        _checks.positive("h (the curvature)", h),
        _checks.within("sigma (the noise scale)", sigma, low=0.0, high=INF),
        _checks.within("delta (the drift per step)", delta, low=0.0, high=INF),
    )


def sgd_floor(
    alpha: Float[ArrayLike, "*a"],
    h: Float[ArrayLike, "*d"],
    sigma: Float[ArrayLike, "*d"],
    delta: Scalar,
    drift: str = "random_walk",
    direction: Float[ArrayLike, "*d"] | None = None,
) -> Float[Array, "*a"]:
    r"""Stationary E||e||^2 of constant-step SGD on the drifting quadratic (spec §2.3-1/2) [D].

    Random walk (``delta_t ~ N(0, (Delta^2/d) I)``):

    .. math:: \sum_i \frac{\alpha^2\sigma_i^2 + \Delta^2/d}{\alpha h_i (2 - \alpha h_i)}

    Constant velocity (``delta_t = Delta u``, ``||u|| = 1``, default ``u = 1/sqrt(d)``):

    .. math:: \sum_i \frac{\Delta^2 u_i^2}{\alpha^2 h_i^2}
              + \frac{\alpha^2\sigma_i^2}{\alpha h_i (2 - \alpha h_i)}

    Args:
        alpha: step size(s); any shape, broadcast against nothing else (the sum runs over d).
        h: curvatures h_i, shape (d,) (a scalar means d = 1).
        sigma: per-coordinate noise standard deviations, shape (d,) or scalar.
        delta: total drift per step Delta.
        drift: ``"random_walk"`` or ``"constant_velocity"``.
        direction: u for constant velocity (normalised here).

    Returns:
        The floor for each ``alpha``; ``inf`` where ``alpha h_i >= 2`` (SGD diverges).

    Raises:
        ValueError: ``alpha <= 0`` or ``h <= 0`` (no tracking; the formula does not apply), a
            negative ``sigma`` or ``delta``, or a non-finite argument. Under ``jit`` the same
            check runs inside the program (``equinox.error_if``).

    Examples:
        >>> import jax.numpy as jnp
        >>> ones = jnp.ones(10)
        >>> round(float(sgd_floor(0.1, ones, ones, 0.1)), 4)
        0.5789
        >>> round(float(sgd_floor(0.1, ones, ones, 0.1, "constant_velocity")), 4)
        1.5263
    """
    _validate.check_choice("drift", drift, ("random_walk", "constant_velocity"))
    alpha, h, sigma, delta = _check_model(alpha, h, sigma, delta)
    alpha = alpha[..., None]
    h, sigma = jnp.broadcast_arrays(jnp.atleast_1d(h), jnp.atleast_1d(sigma))
    dim = h.shape[-1]
    lead = (1,) * (alpha.ndim - 1)  # explicit broadcasting (no implicit rank promotion)
    h, sigma = h.reshape(*lead, dim), sigma.reshape(*lead, dim)
    contraction = alpha * h * (2 - alpha * h)
    noise = alpha**2 * sigma**2 / contraction
    if drift == "random_walk":
        per_coord = noise + delta**2 / dim / contraction
    else:
        u = jnp.full((dim,), 1.0) if direction is None else jnp.asarray(direction)
        u = (u / jnp.linalg.norm(u)).reshape(*lead, dim)
        per_coord = noise + (delta * u) ** 2 / (alpha * h) ** 2
    stable = jnp.all(alpha * h < 2, axis=-1)
    return jnp.where(stable, jnp.sum(per_coord, axis=-1), jnp.inf)


def sgd_error_recursion(
    alphas: Float[ArrayLike, " t"],
    h: Float[ArrayLike, "*d"],
    sigma: Float[ArrayLike, "*d"],
    delta: Scalar,
    e0_sq: Float[ArrayLike, "*d"],
) -> Float[Array, " t+1"]:
    r"""Exact E||e_t||^2 of SGD under random-walk drift for any step schedule (spec §2.3-3) [D].

    .. math:: E e_{t+1,i}^2 = (1 - \alpha_t h_i)^2 E e_{t,i}^2 + \alpha_t^2\sigma_i^2 + \Delta^2/d

    Args:
        alphas: the step size of each step, shape (T,).
        h: curvatures, shape (d,) or a scalar.
        sigma: noise scales, shape (d,) or a scalar.
        delta: total drift per step.
        e0_sq: squared initial error per coordinate (zero-mean random starts included).

    Returns:
        ``E||e_t||^2`` for t = 0 ... T, shape (T + 1,).
    """
    alphas, h, sigma, delta = _check_model(alphas, h, sigma, delta)
    e0_sq = _checks.within("e0_sq", e0_sq, low=0.0, high=INF)
    h, sigma, e0_sq = jnp.broadcast_arrays(
        jnp.atleast_1d(h), jnp.atleast_1d(sigma), jnp.atleast_1d(e0_sq)
    )
    q_sq = delta**2 / h.shape[-1]

    def step(second_moment, alpha):
        second_moment = (1 - alpha * h) ** 2 * second_moment + alpha**2 * sigma**2 + q_sq
        return second_moment, jnp.sum(second_moment)

    _, totals = jax.lax.scan(step, e0_sq, alphas)
    return jnp.concatenate([jnp.sum(e0_sq, keepdims=True), totals])


def sgd_burn_in(
    alpha: Scalar, h: Scalar, sigma: Scalar, delta: Scalar, e0_sq: Scalar, kappa: float = 1.0
) -> Float[Array, ""]:
    r"""Steps for constant-step SGD to reach ``(1 + kappa)`` times its floor (spec §2.3-3) [D].

    For a scalar problem (or isotropic h, with totals), E e_t^2 = V + (1 - alpha h)^{2t}
    (e_0^2 - V), so

    .. math:: t = \frac{\ln((e_0^2 - V)/(\kappa V))}{-2 \ln(1 - \alpha h)}

    (real-valued; the first integer step at or past the level is ``ceil(t)``).
    """
    floor = sgd_floor(alpha, h, sigma, delta)
    return jnp.log((e0_sq - floor) / (kappa * floor)) / (-2 * jnp.log1p(-jnp.asarray(alpha) * h))


def burn_in_time(errors: Float[ArrayLike, " t"], level: Scalar) -> Array:
    """First index t with ``errors[t] <= level``; ``len(errors)`` if it is never reached."""
    below = jnp.asarray(errors) <= level
    return jnp.where(jnp.any(below), jnp.argmax(below), below.shape[0])


def step_decay_schedule(
    alpha0: float, alpha_min: float, num_steps: int, *, mu: float = 1.0, stage: float = 2.0
) -> np.ndarray:
    """Step decay [D, after CDH21]: halve the step after ``ceil(stage / (alpha_k mu))`` steps.

    Stage k uses ``alpha_k = alpha0 / 2^k`` for ``ceil(stage / (alpha_k mu))`` steps for every
    ``alpha_k > alpha_min``; after the last such stage the step stays at ``alpha_min`` (spec
    §2.3-5: alpha0 = 0.5, halving down to alpha*; with alpha* = 1e-3 the decay phase lasts
    4 + 8 + ... + 1024 = 2044 steps). Built on the host from configuration values.

    Returns:
        The step of each step, shape (num_steps,), float64 numpy.
    """
    _validate.check_positive("alpha_min", alpha_min)
    if not alpha_min <= alpha0:
        raise ValueError(f"alpha0 must be >= alpha_min ({alpha_min}), got {alpha0}")
    steps, alpha = [], float(alpha0)
    while alpha > alpha_min and len(steps) < num_steps:
        steps += [alpha] * math.ceil(stage / (alpha * mu))
        alpha /= 2
    steps += [alpha_min] * max(num_steps - len(steps), 0)
    return np.asarray(steps[:num_steps], dtype=np.float64)


def momentum_floor(
    a: Float[ArrayLike, "*batch"],
    beta: Float[ArrayLike, "*batch"],
    h: Float[ArrayLike, "*batch"],
    sigma: Float[ArrayLike, "*batch"],
    q: Float[ArrayLike, "*batch"],
) -> Float[Array, "*batch"]:
    r"""Floor of EMA momentum with a frozen step, per coordinate (spec §2.3-4) [D].

    The state ``s_t = (e_t, m_{t-1})`` follows ``s_{t+1} = A s_t + B w_t`` with
    ``w_t = (sigma xi_t, delta_t)``, ``Q = diag(sigma^2, q^2)``,

    .. math::
        A = \begin{pmatrix} 1 - a(1-\beta)h & -a\beta \\ (1-\beta)h & \beta \end{pmatrix},\quad
        B = \begin{pmatrix} -a(1-\beta) & -1 \\ 1-\beta & 0 \end{pmatrix};

    the stationary covariance solves the discrete Lyapunov equation
    ``Sigma = A Sigma A^T + B Q B^T`` and the floor is ``Sigma_11``. This is Adam after its
    second moment has settled (``a = alpha D_ii``) and heavy-ball momentum with
    ``a = alpha / (1 - beta)``; ``beta = 0`` gives :func:`sgd_floor` per coordinate.
    ``q`` is the per-coordinate random-walk drift (``Delta / sqrt(d)``). The three unknowns of
    the symmetric Sigma solve a 3 x 3 linear system, done by Cramer's rule in plain arithmetic
    (no LAPACK call, so it batches freely; see :mod:`jaxpapers.linalg`).

    Returns:
        ``Sigma_11`` (broadcast shape of the inputs); ``inf`` where the recursion is unstable.

    Examples:
        >>> round(float(momentum_floor(0.1, 0.9, 1.0, 0.0, 1.0)), 3)  # drift only
        9.763
    """
    a = _checks.positive("a (the effective step)", a)
    beta = _checks.within("beta", beta, low=0.0, high=1.0, high_open=True)
    h = _checks.positive("h (the curvature)", h)
    sigma = _checks.within("sigma (the noise scale)", sigma, low=0.0, high=INF)
    q = _checks.within("q (the drift per coordinate)", q, low=0.0, high=INF)
    a, beta, h, sigma, q = jnp.broadcast_arrays(a, beta, h, sigma, q)
    a11, a12, a21, a22 = 1 - a * (1 - beta) * h, -a * beta, (1 - beta) * h, beta
    # forcing B Q B^T
    f11 = a**2 * (1 - beta) ** 2 * sigma**2 + q**2
    f12 = -a * (1 - beta) ** 2 * sigma**2
    f22 = (1 - beta) ** 2 * sigma**2
    # Sigma = A Sigma A^T + F for (x, y, z) = (Sigma_11, Sigma_12, Sigma_22), by columns:
    col_x = (1 - a11**2, -a11 * a21, -(a21**2))
    col_y = (-2 * a11 * a12, 1 - a11 * a22 - a12 * a21, -2 * a21 * a22)
    col_z = (-(a12**2), -a12 * a22, 1 - a22**2)
    x = _det3((f11, f12, f22), col_y, col_z) / _det3(col_x, col_y, col_z)
    trace, det = a11 + a22, a11 * a22 - a12 * a21
    stable = (jnp.abs(det) < 1) & (jnp.abs(trace) < 1 + det)  # Jury's test, 2x2
    return jnp.where(stable, x, jnp.inf)


def _det3(c1, c2, c3) -> Array:
    """Determinant of the 3 x 3 matrix with columns ``c1, c2, c3`` (tuples of arrays)."""
    return (
        c1[0] * (c2[1] * c3[2] - c3[1] * c2[2])
        - c2[0] * (c1[1] * c3[2] - c3[1] * c1[2])
        + c3[0] * (c1[1] * c2[2] - c2[1] * c1[2])
    )
