"""Tracking bounds, Adam's step bound, the ASM modulus, step-size tuning and the crossover.

Provenance (spec §0): the SGD bound's form is from CDH21 [K]; the four-part structure of the Adam
bound is the paper's [P] and its beta2 term the third-party summary's [S]; every constant, the
other Adam terms, the step bound and the ASM computation are ours [D]. The paper's own constants
are unknown, so both bounds take user-settable constants.
"""

import itertools
from typing import NamedTuple

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Real

from jaxpapers import _validate
from jaxpapers.adam_sgd_tracking import _checks
from jaxpapers.adam_sgd_tracking._floors import sgd_floor
from jaxpapers.adam_sgd_tracking._types import OptimalStep

__all__ = [
    "AdamBoundConstants",
    "SGDBoundConstants",
    "adam_burn_in_lower_bound",
    "adam_step_bound",
    "adam_tracking_bound",
    "asm_modulus",
    "noise_drift_crossover",
    "sgd_optimal_step",
    "sgd_tracking_bound",
    "tune_step_size",
]

Scalar = Float[ArrayLike, ""]
INF = float("inf")


def _nonnegative(name: str, value) -> jax.Array:
    return _checks.within(name, value, low=0.0, high=INF)


def _beta(name: str, value) -> jax.Array:
    return _checks.within(name, value, low=0.0, high=1.0, high_open=True)


class SGDBoundConstants(NamedTuple):
    """Constants of :func:`sgd_tracking_bound` (CDH21 omits them; these are ours [D]).

    The defaults make the bound valid for the diagonal quadratics of spec §2.3 (random-walk and
    constant-velocity drift) whenever ``alpha * max(h) <= 1``: the transient and the
    constant-velocity lag each enter as ``(x + y)^2 <= 2 x^2 + 2 y^2``.
    """

    init: float = 2.0
    noise: float = 1.0
    drift: float = 2.0


class AdamBoundConstants(NamedTuple):
    """Constants of :func:`adam_tracking_bound`, one per term; ours [D], user-settable.

    The paper's constants are unknown. The defaults are chosen so that the bound holds on the
    quadratic models of spec §2.3 in our simulations; they are not the paper's.
    """

    init: float = 2.0
    noise: float = 1.0
    drift: float = 2.0
    first_moment: float = 1.0
    preconditioner: float = 1.0


def sgd_tracking_bound(
    alpha: Scalar,
    mu: Scalar,
    sigma: Scalar,
    delta: Scalar,
    t: Real[ArrayLike, "*t"],
    e0: Scalar,
    constants: SGDBoundConstants | None = None,
) -> Float[Array, "*t"]:
    r"""SGD tracking bound in the form of CDH21 (spec §2.1) [K], with our constants [D].

    .. math:: E\|e_t\|^2 \le c_0 (1 - \alpha\mu)^t \|e_0\|^2 + c_1 \frac{\alpha\sigma^2}{\mu}
              + c_2 \frac{\Delta^2}{\alpha^2\mu^2}

    Args:
        alpha: constant step size (the bound assumes ``alpha * L <= 1``).
        mu: strong-convexity modulus (``min h`` for the quadratic).
        sigma: total noise level, ``sigma^2 = E||g - grad F||^2`` (``sum_i sigma_i^2``).
        delta: drift per step.
        t: step index (or indices).
        e0: initial distance ``||e_0||``.
        constants: :class:`SGDBoundConstants` (default: its defaults).

    Raises:
        ValueError: ``alpha <= 0`` or ``mu <= 0``, a negative ``sigma``, ``delta`` or ``e0``, or
            a non-finite argument (under ``jit``: at run time, ``equinox.error_if``).

    Examples:
        >>> # long after the start only the noise term c1 alpha sigma^2 / mu remains
        >>> round(float(sgd_tracking_bound(0.1, 1.0, 1.0, 0.0, 10**6, 1.0)), 4)
        0.1
    """
    alpha, mu = _checks.positive("alpha", alpha), _checks.positive("mu", mu)
    sigma, delta = _nonnegative("sigma", sigma), _nonnegative("delta", delta)
    e0 = _nonnegative("e0", e0)
    c = SGDBoundConstants() if constants is None else constants
    transient = c.init * (1 - alpha * mu) ** jnp.asarray(t, dtype=jnp.result_type(float)) * e0**2
    return transient + c.noise * alpha * sigma**2 / mu + c.drift * delta**2 / (alpha * mu) ** 2


def adam_tracking_bound(
    t: Real[ArrayLike, "*t"],
    *,
    alpha: Scalar,
    h_min: Scalar,
    sigma: Scalar,
    delta: Scalar,
    e0: Scalar,
    beta1: Scalar,
    beta2: Scalar,
    eps: Scalar,
    grad_bound: Scalar,
    constants: AdamBoundConstants | None = None,
) -> Float[Array, "*t"]:
    r"""A four-part Adam tracking bound with the paper's structure [P] and our constants [D].

    With the preconditioner bounds ``q_- = 1/(G + eps)``, ``q_+ = 1/eps`` and the ASM modulus
    ``mu = q_- h_min`` (diagonal curvature, :func:`asm_modulus`):

    .. math::
        E\|e_t\|^2 \le c_0 (1 - \alpha\mu)^t \|e_0\|^2
            + c_1 \frac{\alpha q_+^2 \sigma^2}{\mu} + c_2 \frac{\Delta^2}{\alpha^2\mu^2}
            + c_3 \frac{\beta_1}{1-\beta_1}\Delta^2
            + c_4 \frac{G^4 q_+^4 (1-\beta_2)}{q_-^2\mu^2}

    Terms: initialisation (geometric in t) [P]; noise and drift, the SGD terms with the
    preconditioned step ``alpha D``, ``q_- <= D <= q_+`` [D]; the first-moment lag, whose form is
    the exact excess of the Lyapunov model (spec §2.3-4: about ``q^2 beta/(2(1-beta))`` per
    coordinate) [D]; the preconditioner perturbation ``G^4 q_+^4 (1-beta2)/(q_-^2 mu^2)`` as
    quoted by the summary [S]. It does not vanish as sigma -> 0 and grows like ``eps^-4``: with
    optax's default ``eps = 1e-8`` the bound is valid but vacuous, and even with ``eps = 1`` it
    lies about 7e8 above the simulated error on the reproduction's problem: a faithful container for
    the paper's structure, not a numerical prediction (the reproduction reports the ratio).

    Args:
        t: step index (or indices).
        alpha: step size; h_min: smallest curvature; sigma: total noise level; delta: drift per
            step; e0: initial distance; beta1, beta2, eps: Adam's constants; grad_bound: G, a
            bound on ``|g_{t,i}|`` (for Gaussian noise a high quantile, an assumption).
        constants: :class:`AdamBoundConstants` (user-settable; default: its defaults).

    Raises:
        ValueError: ``alpha``, ``h_min``, ``eps`` or ``grad_bound`` not > 0, a beta outside
            [0, 1), a negative ``sigma``, ``delta`` or ``e0``, or a non-finite argument (under
            ``jit``: at run time, ``equinox.error_if``).

    Examples:
        >>> value = adam_tracking_bound(10, alpha=0.1, h_min=1.0, sigma=1.0, delta=0.1, e0=1.0,
        ...                             beta1=0.9, beta2=0.999, eps=1.0, grad_bound=5.0)
        >>> round(float(value))  # the beta2 term G^4 q+^4 (1 - beta2)/(q-^2 mu^2) is 810
        884
    """
    alpha, h_min = _checks.positive("alpha", alpha), _checks.positive("h_min", h_min)
    eps, grad_bound = _checks.positive("eps", eps), _checks.positive("grad_bound (G)", grad_bound)
    beta1, beta2 = _beta("beta1", beta1), _beta("beta2", beta2)
    sigma, delta = _nonnegative("sigma", sigma), _nonnegative("delta", delta)
    e0 = _nonnegative("e0", e0)
    c = AdamBoundConstants() if constants is None else constants
    q_minus, q_plus = 1 / (grad_bound + eps), 1 / eps
    mu = q_minus * h_min
    transient = c.init * (1 - alpha * mu) ** jnp.asarray(t, dtype=jnp.result_type(float)) * e0**2
    noise = c.noise * alpha * q_plus**2 * sigma**2 / mu
    drift = c.drift * delta**2 / (alpha * mu) ** 2
    first_moment = c.first_moment * beta1 / (1 - beta1) * delta**2
    preconditioner = (
        c.preconditioner * grad_bound**4 * q_plus**4 * (1 - beta2) / (q_minus * mu) ** 2
    )
    return transient + noise + drift + first_moment + preconditioner


def adam_step_bound(beta1: Scalar, beta2: Scalar) -> Float[Array, ""]:
    r"""C with ``|theta_{t+1,i} - theta_{t,i}| <= alpha C`` for bias-corrected Adam, eps = 0 [D].

    Cauchy-Schwarz on the two EMAs (spec §2.3-5), valid for ``beta1^2 < beta2``:

    .. math:: C = \frac{1-\beta_1}{\sqrt{(1-\beta_2)(1-\beta_1^2/\beta_2)}}

    (7.27 for (0.9, 0.999); attained by geometrically growing gradients ``(beta2/beta1)^s``).

    Examples:
        >>> round(float(adam_step_bound(0.9, 0.999)), 4)
        7.2703
    """
    beta1, beta2 = _beta("beta1", beta1), _beta("beta2", beta2)
    if _validate.is_concrete((beta1, beta2)) and bool(jnp.any(beta1**2 >= beta2)):
        raise ValueError(
            f"beta1 must satisfy beta1^2 < beta2 for adam_step_bound, got beta1 = "
            f"{_validate.describe(beta1)} and beta2 = {_validate.describe(beta2)}"
        )
    return (1 - beta1) / jnp.sqrt((1 - beta2) * (1 - beta1**2 / beta2))


def adam_burn_in_lower_bound(
    distance: Scalar, floor: Scalar, alpha: Scalar, beta1: Scalar, beta2: Scalar
) -> Float[Array, ""]:
    """Adam needs at least ``(R - sqrt(floor)) / (C alpha)`` steps to reach its floor [D].

    Each coordinate moves at most ``alpha C`` per step (:func:`adam_step_bound`), so the
    distance shrinks by at most ``alpha C sqrt(d)``; this per-coordinate form is for d = 1 or a
    start offset along one axis. Linear in the initial distance R (SGD's is logarithmic).
    """
    distance = _nonnegative("distance", distance)
    return (distance - jnp.sqrt(floor)) / (adam_step_bound(beta1, beta2) * alpha)


def asm_modulus(
    curvature: Float[ArrayLike, "d d"], q_minus: Scalar, q_plus: Scalar
) -> Float[Array, ""]:
    r"""Adaptive strong monotonicity modulus of ``theta -> D H theta`` (spec §1.4) [D].

    .. math:: \mu = \min_{q_- \le D_{ii} \le q_+}\ \lambda_{\min}\big(\tfrac12(DH + HD)\big)

    ``lambda_min`` of ``sym(DH)`` is concave in D (a minimum of linear functions), so the
    minimum over the box is attained at one of its 2^d vertices, which are enumerated (d <= 16).
    A negative value means ASM fails (e.g. ``H = [[1, .9], [.9, 1]]`` with ``D in [1, 100]``).
    For diagonal H it equals ``q_- min_i H_ii``.

    Examples:
        >>> import jax.numpy as jnp
        >>> round(float(asm_modulus(jnp.array([[1.0, 0.9], [0.9, 1.0]]), 1.0, 100.0)), 2)
        -16.7
    """
    curvature = jnp.asarray(curvature)
    _validate.check_finite("curvature (H)", curvature)
    if curvature.ndim != 2 or curvature.shape[0] != curvature.shape[1]:
        raise ValueError(f"curvature (H) must be a square matrix, got shape {curvature.shape}")
    _validate.check_positive("q_minus", q_minus)
    _validate.check_finite("q_plus", q_plus)
    dim = curvature.shape[0]
    if dim > 16:
        raise ValueError(f"asm_modulus enumerates 2^d vertices; d = {dim} > 16 is too large")
    corners = np.array(list(itertools.product((0.0, 1.0), repeat=dim)))
    corners = jnp.asarray(corners, curvature.dtype)
    diagonals = q_minus + corners * (jnp.asarray(q_plus) - q_minus)

    def smallest_eigenvalue(diag):
        scaled = diag[:, None] * curvature
        return jnp.linalg.eigvalsh((scaled + scaled.T) / 2)[0]

    return jnp.min(jax.vmap(smallest_eigenvalue)(diagonals))


def tune_step_size(
    floors: Float[ArrayLike, "*batch n"], step_sizes: Float[ArrayLike, " n"]
) -> tuple[Float[Array, "*batch"], Float[Array, "*batch"]]:
    """Tune the step size on a grid: ``(best floor, best step size)`` along the last axis.

    Non-finite floors (divergent steps) are never chosen.
    """
    floors = jnp.asarray(floors)
    clean = jnp.where(jnp.isfinite(floors), floors, jnp.inf)
    best = jnp.argmin(clean, axis=-1)
    return jnp.min(clean, axis=-1), jnp.asarray(step_sizes)[best]


def sgd_optimal_step(
    h: Float[ArrayLike, "*d"],
    sigma: Float[ArrayLike, "*d"],
    delta: Scalar,
    drift: str = "random_walk",
    *,
    rtol: float | None = None,
    max_steps: int = 200,
) -> OptimalStep:
    r"""The step size minimising :func:`sgd_floor`, by golden-section search in log alpha [D].

    The floor is unimodal in alpha on ``(0, 2/max h)``; the search brackets
    ``[1e-12, 2/max h)`` and stops when the bracket is narrower than ``rtol`` in log alpha (a
    relative precision of ``rtol``; default ``sqrt(machine epsilon)``, the precision to which
    a smooth minimum can be located) or after ``max_steps`` iterations. CDH21's scaling [K] is
    ``alpha* ~ (Delta^2/(mu sigma^2))^{1/3}`` for deterministic drift; for constant velocity and
    small alpha the exact minimiser is ``(4 Delta^2/(mu sigma^2))^{1/3}`` per coordinate, i.e.
    the ratio is ``4^{1/3}``.

    Returns:
        :class:`OptimalStep` with the step size, its floor, ``converged`` and ``num_steps``.

    Examples:
        >>> best = sgd_optimal_step(1.0, 1.0, 1e-3)
        >>> abs(float(best.step_size) - 9.995e-4) < 1e-6, bool(best.converged)
        (True, True)
    """
    h_max = jnp.max(jnp.atleast_1d(_checks.positive("h (the curvature)", h)))
    dtype = jnp.result_type(h_max.dtype, float)
    low = jnp.log(jnp.asarray(1e-12, dtype))
    high = jnp.log(2 / h_max.astype(dtype)) - 1e-9
    rtol = float(np.sqrt(jnp.finfo(dtype).eps)) if rtol is None else rtol
    golden = (np.sqrt(5.0) - 1) / 2

    def objective(log_alpha):
        return sgd_floor(jnp.exp(log_alpha), h, sigma, delta, drift)

    def shrink(carry):
        low, high, count = carry
        left, right = high - golden * (high - low), low + golden * (high - low)
        keep_left = objective(left) < objective(right)
        return jnp.where(keep_left, low, left), jnp.where(keep_left, right, high), count + 1

    def searching(carry):
        low, high, count = carry
        return (high - low > rtol) & (count < max_steps)

    start = (low, high, jnp.asarray(0, jnp.int32))
    low, high, count = jax.lax.while_loop(searching, shrink, start)
    alpha = jnp.exp((low + high) / 2)
    return OptimalStep(alpha, objective(jnp.log(alpha)), high - low <= rtol, count)


def noise_drift_crossover(
    drift_to_noise: Float[ArrayLike, " n"], ratio: Float[ArrayLike, " n"]
) -> Float[Array, ""]:
    """The drift-to-noise ratio where ``ratio`` (e.g. tuned Adam/SGD floor) first crosses 1.

    Linear interpolation in ``(log Delta/sigma, log ratio)`` between the last point below 1 and
    the first point at or above 1 (inputs sorted by ``drift_to_noise``); NaN if it never
    crosses from below.
    """
    x, y = jnp.log(jnp.asarray(drift_to_noise)), jnp.log(jnp.asarray(ratio))
    above = y >= 0
    first = jnp.argmax(above)
    valid = jnp.any(above) & (first > 0) & ~above[0]
    prev = jnp.maximum(first - 1, 0)
    weight = -y[prev] / (y[first] - y[prev])
    crossing = jnp.exp(x[prev] + weight * (x[first] - x[prev]))
    return jnp.where(valid, crossing, jnp.nan)
