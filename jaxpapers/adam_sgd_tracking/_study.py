"""Building blocks of the reproduction: tuned floors, burn-in measurement, step-bound streams.

Thin compositions of :func:`simulate` and the theory functions, reused by the experiment, the
notebook and the tests.
"""

from typing import NamedTuple

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers._typing import PRNGKey
from jaxpapers.adam_sgd_tracking._optim import AdamState, adam_step
from jaxpapers.adam_sgd_tracking._simulate import simulate
from jaxpapers.adam_sgd_tracking._types import hyperparameter_grid

__all__ = [
    "HETERO_NOISE",
    "TunedFloor",
    "adversarial_stream",
    "adam_step_ratios",
    "hetero_noise",
    "measure_burn_in",
    "stationarity_gap",
    "tuned_floor",
]


def hetero_noise(dim: int = 10) -> np.ndarray:
    """Per-coordinate noise of the hetero-RW benchmark: ``logspace(-1, 1, d)`` (spec §2.4)."""
    return np.logspace(-1, 1, dim)


HETERO_NOISE = hetero_noise()


class TunedFloor(NamedTuple):
    """Floors over a step-size grid and the tuned (smallest) one.

    Attributes:
        floors: mean floor over seeds per step size (``inf`` where a run diverged).
        stderr: standard error over seeds per step size.
        best: the smallest floor; best_stderr: its standard error; best_step: its step size.
    """

    floors: np.ndarray
    stderr: np.ndarray
    best: float
    best_stderr: float
    best_step: float


def tuned_floor(
    key: PRNGKey,
    problem,
    optimizer: str,
    step_sizes: np.ndarray,
    *,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    num_steps: int,
    num_seeds: int,
    discard: int,
    record_every: int = 100,
) -> TunedFloor:
    """Simulate every step size of the grid and keep the best (spec §2.4 tuning)."""
    hyper, _ = hyperparameter_grid(step_sizes, beta1=(beta1,), beta2=(beta2,), eps=(eps,))
    result = simulate(
        key,
        problem,
        optimizer,
        hyper,
        num_steps=num_steps,
        num_seeds=num_seeds,
        record_every=record_every,
        discard=discard,
    )
    per_seed = np.asarray(result.floor, dtype=np.float64)
    finite = np.isfinite(per_seed).all(axis=1)
    floors = np.where(finite, per_seed.mean(axis=1), np.inf)
    stderr = np.where(finite, per_seed.std(axis=1, ddof=1) / np.sqrt(num_seeds), np.inf)
    best = int(np.argmin(floors))
    return TunedFloor(floors, stderr, floors[best], stderr[best], float(step_sizes[best]))


class BurnIn(NamedTuple):
    """Mean error curve of a burn-in run and the first block end below the level."""

    steps: np.ndarray
    errors: np.ndarray
    burn_in: int


def measure_burn_in(
    key: PRNGKey,
    problem,
    optimizer,
    hyper,
    *,
    distance: float,
    level: float,
    num_steps: int,
    num_seeds: int,
    record_every: int = 1000,
) -> BurnIn:
    """Start at ``theta*_0 + distance e_1`` and return the first step where the seed-mean
    block error is at most ``level`` (``num_steps`` if never)."""
    offset = jnp.zeros(problem.dim).at[0].set(distance)
    result = simulate(
        key,
        problem,
        optimizer,
        hyper,
        num_steps=num_steps,
        num_seeds=num_seeds,
        record_every=record_every,
        initial_offset=offset,
    )
    errors = np.asarray(result.errors[0], dtype=np.float64).mean(axis=0)
    steps = np.arange(1, errors.shape[0] + 1) * record_every
    below = np.flatnonzero(errors <= level)
    return BurnIn(steps, errors, int(steps[below[0]]) if below.size else num_steps)


def adversarial_stream(beta1: float, beta2: float, length: int) -> Float[Array, " t"]:
    """The gradient stream ``g_s = (beta2/beta1)^s``, s = 1..length, that attains C (spec §4-8)."""
    exponent = jnp.arange(1, length + 1, dtype=jnp.result_type(float))
    return (beta2 / beta1) ** exponent


def adam_step_ratios(
    grads: Float[Array, " t"], beta1: float, beta2: float, alpha: float = 1.0
) -> tuple[Float[Array, " t"], Float[Array, ""]]:
    """Feed a scalar gradient stream to Adam with eps = 0.

    Returns ``|theta_{t+1} - theta_t| / alpha`` per step and the raw (uncorrected) ratio
    ``|m_T| / sqrt(v_T)`` at the end.
    """
    dtype = grads.dtype

    def step(carry, grad):
        params, state = carry
        new_params, state = adam_step(params, grad, state, alpha, beta1, beta2, 0.0)
        return (new_params, state), jnp.abs(new_params - params) / alpha

    zero = jnp.zeros((), dtype)
    init = (zero, AdamState(jnp.zeros([], jnp.int32), zero, zero))
    (_, state), moves = jax.lax.scan(step, init, grads)
    return moves, jnp.abs(state.mu) / jnp.sqrt(state.nu)


def stationarity_gap(
    key: PRNGKey, problem, params: Float[Array, " d"], state, alpha: float, num_samples: int = 4096
) -> Float[Array, ""]:
    r"""Squared norm of the gradient mapping (spec §1.5, Euclidean metric; proposed) [D].

    .. math:: \|G_{\alpha,t}(\theta)\|^2,\qquad
              G_{\alpha,t}(\theta) = (\theta - \Pi_X(\theta - \alpha \nabla F_t(\theta)))/\alpha,

    with ``grad F_t`` estimated by a fresh batch of ``num_samples`` gradients (vmapped
    ``problem.gradient``). Zero exactly at stationary points of F_t over X.
    """
    keys = jax.random.split(key, num_samples)
    grads = jax.vmap(problem.gradient, in_axes=(0, None, None))(keys, params, state)
    step = params - problem.project(params - alpha * jnp.mean(grads, axis=0))
    return jnp.sum((step / alpha) ** 2)
