"""Building blocks of the reproduction: tuned floors, burn-in measurement, step-bound streams.

Thin compositions of :func:`simulate` and the theory functions, reused by the experiment, the
notebook and the tests.
"""

from typing import Any

import numpy as np

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float

from jaxpapers import stats
from jaxpapers._typing import PRNGKey
from jaxpapers.adam_sgd_tracking._simulate import simulate
from jaxpapers.adam_sgd_tracking._types import (
    BurnIn,
    Hyperparams,
    TunedFloor,
    hyperparameter_grid,
)

__all__ = [
    "HETERO_NOISE",
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
    eval_seeds: int = 0,
    mesh=None,
) -> TunedFloor:
    """Simulate every step size of the grid and keep the best (spec §2.4 tuning).

    Every step size runs on the same ``num_seeds`` seeds (common random numbers); a step size
    with a diverged seed gets an infinite floor and is never chosen. The smallest of a grid of
    noisy means is biased low; with ``eval_seeds > 0`` the tuned step size is run again on that
    many fresh seeds (the same fresh seeds for every method tuned with the same ``key``, so
    ratios between methods are paired) and ``best`` is their mean floor.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from jaxpapers.adam_sgd_tracking import quadratic_tracking
        >>> problem = quadratic_tracking(jnp.ones(2), 1.0, 0.1)
        >>> tuned = tuned_floor(jax.random.key(0), problem, "sgd", np.array([1e-3, 0.3, 3.0]),
        ...                     num_steps=400, num_seeds=4, discard=200)
        >>> tuned.best_step, bool(np.isinf(tuned.floors[2]))  # alpha = 3 diverges
        (0.3, True)
    """
    key_tune, key_eval = jax.random.split(key)
    run: dict[str, Any] = dict(
        num_steps=num_steps, record_every=record_every, discard=discard, mesh=mesh
    )
    hyper, _ = hyperparameter_grid(step_sizes, beta1=(beta1,), beta2=(beta2,), eps=(eps,))
    result = simulate(key_tune, problem, optimizer, hyper, num_seeds=num_seeds, **run)
    per_seed = np.asarray(result.floor, dtype=np.float64)
    finite = np.isfinite(per_seed).all(axis=1)
    mean, se = (np.asarray(x, np.float64) for x in stats.mean_se(per_seed, axis=1))
    floors, stderr = np.where(finite, mean, np.inf), np.where(finite, se, np.inf)
    best = int(np.argmin(floors))
    best_step, chosen = float(step_sizes[best]), per_seed[best]
    if eval_seeds:
        chosen_hyper = Hyperparams(best_step, beta1, beta2, eps)
        fresh = simulate(key_eval, problem, optimizer, chosen_hyper, num_seeds=eval_seeds, **run)
        chosen = np.asarray(fresh.floor[0], dtype=np.float64)
    mean, se = (float(x) for x in stats.mean_se(chosen))
    return TunedFloor(floors, stderr, mean, se, best_step, chosen)


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
    mesh=None,
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
        mesh=mesh,
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
    """Feed a scalar gradient stream to ``optax.adam`` with eps = 0.

    Returns ``|theta_{t+1} - theta_t| / alpha`` per step and the raw (uncorrected) ratio
    ``|m_T| / sqrt(v_T)`` at the end.

    Examples:
        >>> moves, raw = adam_step_ratios(jnp.ones(5), 0.9, 0.999)
        >>> moves.round(4).tolist()  # a constant gradient: every bias-corrected step is alpha
        [1.0, 1.0, 1.0, 1.0, 1.0]
    """
    optimizer = optax.adam(alpha, b1=beta1, b2=beta2, eps=0.0)

    def step(carry, grad):
        params, state = carry
        with jax.numpy_dtype_promotion("standard"):  # optax's beta ** int32 count
            updates, state = optimizer.update(grad, state, params)
        new_params = optax.apply_updates(params, updates)
        return (new_params, state), jnp.abs(new_params - params) / alpha

    zero = jnp.zeros((), grads.dtype)
    (_, state), moves = jax.lax.scan(step, (zero, optimizer.init(zero)), grads)
    adam_state: Any = state[0]  # pyright: ignore[reportIndexIssue]  (optax.adam is a chain)
    return moves, jnp.abs(adam_state.mu) / jnp.sqrt(adam_state.nu)


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
