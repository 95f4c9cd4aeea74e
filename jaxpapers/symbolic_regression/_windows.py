"""The integral (weak-in-time) loss of spec §3.5: windowed trapezoid means.

Over a window [t_j, t_{j+r}] the state obeys x(t_{j+r}) − x(t_j) = ∫ f(x) dt. Dividing by the
window's length gives a slope comparison free of differentiated noise:

    y_j = (x̃_{j+r} − x̃_j) / (t_{j+r} − t_j)   vs   R(N)_j = T_j(N(x̃)) / (t_{j+r} − t_j),

with T_j the trapezoid rule over the window's samples. Several trajectories may be stacked:
a window is valid only if the time increases at every step inside it, so each trajectory's
times must start afresh (or jump back) where the next one begins.
"""

from __future__ import annotations

import numpy as np

import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from jaxpapers.symbolic_regression._types import Config

__all__ = ["respond", "window_means", "window_targets"]


def _cumulative_trapezoid(values, times, xp):
    steps = xp.diff(times)
    steps = steps.reshape(steps.shape + (1,) * (values.ndim - 1))
    areas = 0.5 * steps * (values[1:] + values[:-1])
    zero = xp.zeros((1,) + values.shape[1:], values.dtype)
    return xp.concatenate([zero, xp.cumsum(areas, axis=0)])


def _spans(times, window: int, xp=jnp):
    span = times[window:] - times[:-window]
    return xp.where(span > 0, span, xp.ones_like(span))


def window_means(
    values: Float[Array | np.ndarray, "M ..."],
    times: Float[Array | np.ndarray, " M"],
    window: int,
    xp=jnp,
) -> Float[Array | np.ndarray, "Q ..."]:
    """Trapezoid mean of ``values`` over every window of ``window`` steps (Q = M − window).

    ``xp`` is the array module (``jax.numpy``, or ``numpy`` for host-side refits).

    Examples:
        >>> import jax.numpy as jnp
        >>> t = jnp.linspace(0.0, 1.0, 11)
        >>> means = window_means(2.0 * t, t, 5)  # mean of 2t over [0, .5], [.1, .6], ...
        >>> [round(float(v), 5) for v in means[:2]]
        [0.5, 0.7]
    """
    total = _cumulative_trapezoid(values, times, xp)
    span = _spans(times, window, xp).reshape((-1,) + (1,) * (values.ndim - 1))
    return (total[window:] - total[:-window]) / span


def window_targets(
    x: Float[Array | np.ndarray, "M n"], times: Float[Array | np.ndarray, " M"], window: int, xp=jnp
) -> tuple[Float[Array | np.ndarray, "Q n"], Bool[Array | np.ndarray, " Q"]]:
    """Window slopes (x_{j+r} − x_j)/(t_{j+r} − t_j) and which windows are valid."""
    span = _spans(times, window, xp)[:, None]
    bad = xp.cumsum((xp.diff(times) <= 0).astype(xp.int32))
    steps_bad = xp.concatenate([xp.zeros(1, xp.int32), bad])
    valid = (steps_bad[window:] - steps_bad[:-window]) == 0
    return (x[window:] - x[:-window]) / span, valid


def respond(
    predictions: Float[Array | np.ndarray, " M ..."],
    times: Float[Array | np.ndarray, " M"],
    config: Config,
    xp=jnp,
) -> Float[Array | np.ndarray, " Q ..."]:
    """What the loss compares with the targets: N(x) itself or its window means."""
    if config.loss == "derivative":
        return predictions
    return window_means(predictions, times, config.window, xp)
