"""The tracking simulator: ``lax.scan`` over time, ``vmap`` over seeds and hyperparameters.

One run is written for one seed and one hyperparameter setting (:func:`track`); :func:`simulate`
vmaps it over a grid of settings and seeds and, given a mesh, shards the flattened
(settings x seeds) axis over devices with :func:`jaxpapers._mesh.sharded_vmap`.
"""

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

import jax
import jax.numpy as jnp
import optax
from jax.sharding import Mesh
from jaxtyping import Array, ArrayLike, Float

from jaxpapers import _mesh
from jaxpapers._typing import PRNGKey
from jaxpapers.adam_sgd_tracking._optim import OPTIMIZERS, optimizer_from_name
from jaxpapers.adam_sgd_tracking._types import Hyperparams, SimulationResult
from jaxpapers.adam_sgd_tracking._validate import check_finite, check_hyperparams

__all__ = ["as_optimizer_factory", "simulate", "track"]

OptimizerLike = str | optax.GradientTransformation | Callable[[Hyperparams], Any]


def as_optimizer_factory(optimizer: OptimizerLike) -> Callable[[Hyperparams], Any]:
    """Turn a name, an optax transformation or a factory into ``hyper -> GradientTransformation``.

    * a name in :data:`OPTIMIZERS` (``"sgd"``, ``"momentum"``, ``"rmsprop"``, ``"adam"``): our
      optax-equal implementations, reading their hyperparameters from the grid;
    * an ``optax.GradientTransformation`` (e.g. ``optax.adamw(1e-3)``): used as is, the grid
      is ignored;
    * a callable ``hyper -> GradientTransformation`` (e.g. ``lambda h: optax.adam(h.learning_rate,
      b1=h.beta1)``): built per setting, so the grid can be vmapped through any optax optimiser.
    """
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
        return lambda hyper: optimizer_from_name(optimizer, hyper)
    if isinstance(optimizer, optax.GradientTransformation):
        return lambda hyper: optimizer
    if callable(optimizer):
        return optimizer
    raise TypeError(
        "optimizer must be a name, an optax.GradientTransformation or a callable "
        f"Hyperparams -> GradientTransformation, got {type(optimizer).__name__}"
    )


def track(
    key: PRNGKey,
    problem: Any,
    optimizer: optax.GradientTransformation,
    *,
    num_steps: int,
    record_every: int = 1,
    initial_offset: Float[ArrayLike, " d"] | None = None,
) -> tuple[Float[Array, " blocks"], Float[Array, " d"]]:
    """Run one optimiser on one problem for one seed.

    Per step: draw ``g_t`` at ``theta_t``, apply the optimiser, project onto X, move the target,
    and record ``||theta_{t+1} - theta*_{t+1}||^2`` (error after the move, spec §2.3 and
    pitfall 2). ``theta_0 = theta*_0 + initial_offset``.

    Returns:
        ``(block_errors, final_params)``: the squared error averaged over consecutive blocks of
        ``record_every`` steps (``num_steps // record_every`` blocks) and the last iterate.
    """
    key_init, key_run = jax.random.split(key)
    state = problem.init_state(key_init)
    params = problem.minimizer(state)
    if initial_offset is not None:
        params = problem.project(params + jnp.asarray(initial_offset, params.dtype))
    carry = (params, optimizer.init(params), state)

    def step(carry, key_t):
        params, opt_state, state = carry
        key_grad, key_drift = jax.random.split(key_t)
        grads = problem.gradient(key_grad, params, state)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = problem.project(optax.apply_updates(params, updates))
        state = problem.advance(key_drift, state)
        error = jnp.sum((params - problem.minimizer(state)) ** 2)
        return (params, opt_state, state), error

    def block(carry, key_block):
        carry, errors = jax.lax.scan(step, carry, jax.random.split(key_block, record_every))
        return carry, jnp.mean(errors)

    num_blocks = num_steps // record_every
    carry, block_errors = jax.lax.scan(block, carry, jax.random.split(key_run, num_blocks))
    return block_errors, carry[0]


def _check_sizes(num_steps: int, record_every: int, discard: int) -> None:
    if record_every < 1 or num_steps < 1 or num_steps % record_every:
        raise ValueError(
            f"num_steps ({num_steps}) must be a positive multiple of record_every ({record_every})"
        )
    if not 0 <= discard < num_steps or discard % record_every:
        raise ValueError(
            f"discard ({discard}) must be a multiple of record_every ({record_every}) in "
            f"[0, num_steps={num_steps})"
        )


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
    for each setting (common random numbers, so ratios between settings are less noisy).

    Args:
        key: a typed PRNG key.
        problem: a problem module (see :mod:`._problems`).
        optimizer: a built-in name, an optax ``GradientTransformation``, or a factory
            ``Hyperparams -> GradientTransformation`` (see :func:`as_optimizer_factory`).
        hyperparams: a :class:`Hyperparams` whose leaves are scalars or vectors of a common
            length ``configs`` (see :func:`hyperparameter_grid`); default: step size 1e-3.
        num_steps: steps per run (a multiple of ``record_every``).
        num_seeds: seeds per setting.
        record_every: block length of the recorded error averages.
        discard: steps excluded from the floor (burn-in), a multiple of ``record_every``.
        initial_offset: ``theta_0 - theta*_0``; default 0.
        mesh: shard the (configs x seeds) runs over this mesh's ``data`` axis; None runs
            ``jit(vmap)`` on the default device. Both give the same numbers.

    Returns:
        :class:`SimulationResult` with leading axes ``(configs, seeds)``.

    Example:
        >>> import jax, jax.numpy as jnp, optax
        >>> from jaxpapers.adam_sgd_tracking import Hyperparams, quadratic_tracking
        >>> problem = quadratic_tracking(jnp.ones(3), 1.0, 0.1)
        >>> grid = Hyperparams(jnp.array([0.01, 0.1]), beta1=0.9)
        >>> out = simulate(jax.random.key(0), problem, "adam", grid, num_steps=100,
        ...                num_seeds=4, record_every=10)
        >>> out.errors.shape, out.floor.shape
        ((2, 4, 10), (2, 4))
        >>> simulate(jax.random.key(0), problem, optax.sgd(0.1), num_steps=100).floor.shape
        (1, 1)
    """
    _check_sizes(num_steps, record_every, discard)
    if num_seeds < 1:
        raise ValueError(f"num_seeds must be >= 1, got {num_seeds}")
    if initial_offset is not None:
        check_finite("initial_offset", initial_offset)
    grid = _as_grid(hyperparams, problem.minimizer(problem.init_state(key)).dtype)
    check_hyperparams(grid)
    as_optimizer_factory(optimizer)  # type check now, with a clear error
    seed_keys = jax.random.split(key, num_seeds)
    static = dict(optimizer=optimizer, num_steps=num_steps, record_every=record_every)
    if mesh is None:
        errors, params = _run_grid(seed_keys, grid, problem, initial_offset, **static)
    else:
        errors, params = _run_sharded(seed_keys, grid, problem, initial_offset, mesh, **static)
    floor = jnp.mean(errors[..., discard // record_every :], axis=-1)
    return SimulationResult(errors, floor, params)


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
        errors.reshape(num_configs, num_seeds, -1),
        params.reshape(num_configs, num_seeds, -1),
    )


@functools.lru_cache(maxsize=32)
def _sharded_runner(mesh, static):
    # Cached per (mesh, optimizer, sizes): a second call with new values does not recompile.
    one = functools.partial(_one_run, **dict(static))
    return _mesh.sharded_vmap(one, mesh, in_axes=(0, 0, None, None))


def block_steps(num_steps: int, record_every: int) -> np.ndarray:
    """The last step index of each recorded block (for plotting ``errors`` against t)."""
    return np.arange(1, num_steps // record_every + 1) * record_every
