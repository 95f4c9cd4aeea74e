"""Derivative targets from sampled trajectories: Savitzky–Golay filters (spec §1 step 1).

The filter fits a polynomial of degree ``order`` to each window of 2w + 1 samples by least
squares and takes its value (``deriv=0``) or slope (``deriv=1``) at the centre; the weights come
from :func:`scipy.signal.savgol_coeffs`. Only interior samples (w from either end) are returned,
so no edge rule biases the targets.
"""

from __future__ import annotations

import numpy as np
import scipy.signal

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

__all__ = ["savgol", "trajectory_rows"]


def savgol(
    x: Float[Array, "T n"], dt: float, window: int = 21, order: int = 3, deriv: int = 0
) -> Float[Array, "Tw n"]:
    """Savitzky–Golay smoothing (``deriv=0``) or derivative (``deriv=1``) at interior samples.

    Returns the T − 2w centres of full windows (``window = 2w + 1``, odd).

    Examples:
        >>> import jax.numpy as jnp
        >>> t = jnp.arange(50.0) * 0.1
        >>> slope = savgol((t**3)[:, None], 0.1, window=7, order=3, deriv=1)
        >>> bool(jnp.allclose(slope[:, 0], 3 * t[3:-3] ** 2, atol=1e-3))
        True
    """
    if window % 2 == 0 or window <= order:
        raise ValueError(f"window must be odd and > order, got window={window}, order={order}")
    weights = scipy.signal.savgol_coeffs(window, order, deriv=deriv, delta=dt, use="dot")
    weights = jnp.asarray(weights, x.dtype)
    half = window // 2
    idx = jnp.arange(x.shape[0] - 2 * half)[:, None] + jnp.arange(window)[None, :]
    return jnp.einsum("w,twn->tn", weights, x[idx])


def trajectory_rows(
    times: Float[Array, "K T"],
    states: Float[Array, "K T n"],
    window: int = 21,
    order: int = 3,
    smooth_states: bool = True,
) -> tuple[Float[Array, "M n"], Float[Array, "M n"], Float[Array, " M"]]:
    """Rows (x, ẋ, t) of all trajectories: Savitzky–Golay derivatives at interior samples.

    With ``smooth_states`` the states are the filter's smoothed values at the same samples
    (the regressors then carry less noise); otherwise the observed states.
    """
    dt = float(np.asarray(times[0, 1] - times[0, 0]))
    half = window // 2
    rate = jax.vmap(lambda s: savgol(s, dt, window, order, deriv=1))(states)
    if smooth_states:
        level = jax.vmap(lambda s: savgol(s, dt, window, order, deriv=0))(states)
    else:
        level = states[:, half : states.shape[1] - half]
    kept = times[:, half : times.shape[1] - half]
    n = states.shape[-1]
    return level.reshape(-1, n), rate.reshape(-1, n), kept.reshape(-1)
