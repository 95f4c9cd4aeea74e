"""The tracking simulator: ``init``/``step`` for one run, ``lax.scan`` over time, ``vmap`` over
seeds and hyperparameters.

One run is written for one seed and one hyperparameter setting (:func:`init`, :func:`step`,
:func:`track`); :func:`simulate` vmaps it over a grid of settings and seeds and, given a mesh,
shards the flattened (settings x seeds) axis over devices with
:func:`jaxpapers._mesh.sharded_vmap` (also across the processes of a multi-host job).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

import jax
import jax.numpy as jnp
import optax
from jax.sharding import Mesh
from jaxtyping import Array, ArrayLike, Float

from jaxpapers import _mesh, _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.adam_sgd_tracking._optim import OptimizerLike, as_optimizer_factory
from jaxpapers.adam_sgd_tracking._types import (
    Config,
    Hyperparams,
    SimulationResult,
    TrackInfo,
    TrackState,
)

__all__ = ["block_steps", "init", "simulate", "step", "track"]


def init(
    key: PRNGKey,
    problem: Any,
    optimizer: optax.GradientTransformation,
    initial_offset: Float[ArrayLike, " d"] | None = None,
) -> TrackState:
    """The state at t = 0: ``theta_0 = Pi_X(theta*_0 + initial_offset)``, fresh optimiser state."""
    state = problem.init_state(key)
    params = problem.minimizer(state)
    if initial_offset is not None:
        params = problem.project(params + jnp.asarray(initial_offset, params.dtype))
    return TrackState(params, optimizer.init(params), state)


def step(
    key: PRNGKey, state: TrackState, problem: Any, optimizer: optax.GradientTransformation
) -> tuple[TrackState, TrackInfo]:
    """One tracking step: draw ``g_t`` at ``theta_t``, update, project onto X, move the target.

    The error is recorded after the move (spec §2.3 and pitfall 2).
    """
    key_grad, key_drift = jax.random.split(key)
    grads = problem.gradient(key_grad, state.params, state.problem_state)
    # optax's bias correction computes beta ** count with an int32 count: fine under JAX's
    # standard promotion, refused by the strict mode our tests run in.
    with jax.numpy_dtype_promotion("standard"):
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = problem.project(optax.apply_updates(state.params, updates))
    problem_state = problem.advance(key_drift, state.problem_state)
    error = jnp.sum((params - problem.minimizer(problem_state)) ** 2)
    return TrackState(params, opt_state, problem_state), TrackInfo(error)


def track(
    key: PRNGKey,
    problem: Any,
    optimizer: optax.GradientTransformation,
    *,
    num_steps: int,
    record_every: int = 1,
    initial_offset: Float[ArrayLike, " d"] | None = None,
) -> tuple[Float[Array, " blocks"], Float[Array, " d"]]:
    """Run one optimiser on one problem for one seed (``lax.scan`` of :func:`step`).

    Returns:
        ``(block_errors, final_params)``: the squared error averaged over consecutive blocks of
        ``record_every`` steps (``num_steps // record_every`` blocks) and the last iterate.
    """
    key_init, key_run = jax.random.split(key)
    state = init(key_init, problem, optimizer, initial_offset)

    def one(state, key_t):
        state, info = step(key_t, state, problem, optimizer)
        return state, info.error

    def block(state, key_block):
        state, errors = jax.lax.scan(one, state, jax.random.split(key_block, record_every))
        return state, jnp.mean(errors)

    num_blocks = num_steps // record_every
    state, block_errors = jax.lax.scan(block, state, jax.random.split(key_run, num_blocks))
    return block_errors, state.params


def _as_grid(hyper: Hyperparams | None, dtype) -> Hyperparams:
    hyper = Hyperparams(learning_rate=1e-3) if hyper is None else hyper
    leaves = [jnp.asarray(leaf, dtype) for leaf in hyper]
    size = max(leaf.size for leaf in leaves)
    if any(leaf.ndim > 1 or leaf.size not in (1, size) for leaf in leaves):
        raise ValueError(
            "hyperparams leaves must be scalars or vectors of one common length, got shapes "
            f"{[leaf.shape for leaf in leaves]}"
        )
    return Hyperparams(*[jnp.broadcast_to(leaf.reshape(-1), (size,)) for leaf in leaves])


def _check_offset(initial_offset, dim: int):
    if initial_offset is None:
        return None
    shape = np.shape(initial_offset)
    if shape not in ((), (dim,)):
        raise ValueError(
            f"initial_offset must be a scalar or have shape ({dim},) (the problem's dimension), "
            f"got shape {shape}"
        )
    _validate.check_finite("initial_offset", initial_offset)
    return initial_offset


def simulate(
    key: PRNGKey,
    problem: Any,
    optimizer: OptimizerLike,
    hyperparams: Hyperparams | None = None,
    *,
    num_steps: int,
    num_seeds: int = 1,
    record_every: int = 1,
    discard: int = 0,
    initial_offset: Float[ArrayLike, " d"] | None = None,
    mesh: Mesh | None = None,
) -> SimulationResult:
    """Simulate an optimiser tracking a drifting problem, over settings x seeds.

    ``lax.scan`` runs the time loop of :func:`track`; ``vmap`` runs every hyperparameter
    setting (leading axis of ``hyperparams``) against every seed, the same ``num_seeds`` keys
    for each setting (common random numbers, so ratios between settings are less noisy). A step
    size too large for the problem is not an error: its runs come back with ``diverged`` set
    and a NaN ``floor`` (so a tuning grid may include it).

    Args:
        key: a typed PRNG key.
        problem: a problem module (see :mod:`._problems`).
        optimizer: a built-in name, an optax ``GradientTransformation``, or a factory
            ``Hyperparams -> GradientTransformation`` (see :func:`as_optimizer_factory`).
        hyperparams: a :class:`Hyperparams` whose leaves are scalars or vectors of a common
            length ``configs`` (see :func:`hyperparameter_grid`); default: step size 1e-3.
        num_steps: steps per run (a positive multiple of ``record_every``).
        num_seeds: independent runs (seeds) per configuration.
        record_every: the squared error is recorded every this many steps.
        discard: burn-in steps excluded from the floor (a multiple of ``record_every``).
        initial_offset: ``theta_0 - theta*_0``, a scalar or shape (d,); default 0.
        mesh: shard the (configs x seeds) runs over this mesh's ``data`` axis (over all
            processes' devices in a multi-host job); None runs ``jit(vmap)`` on the default
            device. Both give the same numbers.

    Returns:
        :class:`SimulationResult` with leading axes ``(configs, seeds)``.

    Examples:
        >>> import jax, jax.numpy as jnp, optax
        >>> from jaxpapers.adam_sgd_tracking import Hyperparams, quadratic_tracking
        >>> problem = quadratic_tracking(jnp.ones(3), 1.0, 0.1)
        >>> grid = Hyperparams(jnp.array([0.01, 0.1, 3.0]), beta1=0.9)
        >>> out = simulate(jax.random.key(0), problem, "sgd", grid, num_steps=100,
        ...                num_seeds=4, record_every=10)
        >>> out.errors.shape, out.floor.shape
        ((3, 4, 10), (3, 4))
        >>> out.diverged.any(axis=1).tolist()  # alpha = 3 > 2/h: SGD diverges
        [False, False, True]
        >>> simulate(jax.random.key(0), problem, optax.adam(0.1), num_steps=100).floor.shape
        (1, 1)
    """
    config = Config(num_steps, num_seeds, record_every, discard)
    dtype = problem.minimizer(problem.init_state(key)).dtype
    initial_offset = _check_offset(initial_offset, problem.dim)
    grid = _as_grid(hyperparams, dtype)
    grid.check()
    as_optimizer_factory(optimizer)  # type check now, with a clear error
    seed_keys = jax.random.split(key, num_seeds)
    static = dict(optimizer=optimizer, num_steps=num_steps, record_every=record_every)
    if mesh is None:
        errors, params = _run_grid(seed_keys, grid, problem, initial_offset, **static)
    else:
        errors, params = _run_sharded(seed_keys, grid, problem, initial_offset, mesh, **static)
    return _summarise(errors, params, config)


def _summarise(errors, params, config: Config) -> SimulationResult:
    diverged = ~jnp.all(jnp.isfinite(errors), axis=-1)
    floor = jnp.mean(errors[..., config.discard // config.record_every :], axis=-1)
    floor = jnp.where(diverged, jnp.nan, floor)
    return SimulationResult(errors, floor, params, diverged)


def _one_run(key_seed, hyper, problem, initial_offset, *, optimizer, num_steps, record_every):
    make_optimizer = as_optimizer_factory(optimizer)
    return track(
        key_seed,
        problem,
        make_optimizer(Hyperparams(*hyper)),
        num_steps=num_steps,
        record_every=record_every,
        initial_offset=initial_offset,
    )


@functools.partial(jax.jit, static_argnames=("optimizer", "num_steps", "record_every"))
def _run_grid(seed_keys, grid, problem, initial_offset, **static):
    one = functools.partial(_one_run, **static)
    over_seeds = jax.vmap(one, in_axes=(0, None, None, None))
    return jax.vmap(over_seeds, in_axes=(None, 0, None, None))(
        seed_keys, grid, problem, initial_offset
    )


def _run_sharded(seed_keys, grid, problem, initial_offset, mesh, **static):
    # Flatten (configs x seeds) into one batch axis and let sharded_vmap split it over devices;
    # the problem and the offset are broadcast (replicated) arguments.
    num_configs, num_seeds = grid.learning_rate.shape[0], seed_keys.shape[0]
    keys = jnp.tile(seed_keys, num_configs)
    flat = Hyperparams(*[jnp.repeat(leaf, num_seeds) for leaf in grid])
    run = _sharded_runner(mesh, tuple(sorted(static.items())))
    errors, params = run(keys, flat, problem, initial_offset)
    return (
        jnp.reshape(errors, (num_configs, num_seeds, -1)),
        jnp.reshape(params, (num_configs, num_seeds, -1)),
    )


@functools.lru_cache(maxsize=32)
def _sharded_runner(mesh, static):
    # Cached per (mesh, optimizer, sizes): a second call with new values does not recompile.
    one = functools.partial(_one_run, **dict(static))
    return _mesh.sharded_vmap(one, mesh, in_axes=(0, 0, None, None))


def block_steps(num_steps: int, record_every: int) -> np.ndarray:
    """The last step index of each recorded block (for plotting ``errors`` against t)."""
    return np.arange(1, num_steps // record_every + 1) * record_every
