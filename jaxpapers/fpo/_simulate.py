"""Run an environment of iterative RLHF: one ``lax.scan`` over rounds, ``vmap`` over seeds.

``init(key, env)`` and ``step(config, env, state, t)`` dispatch on the environment's type
(:class:`BanditEnv`, :class:`LinearEnv`, :class:`NeuralEnv`); :func:`simulate` scans ``step``
for ``env.num_rounds`` rounds and :func:`simulate_seeds` vmaps that over a batch of keys with
the seed axis sharded over the devices (:func:`jaxpapers._mesh.sharded_vmap`).
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
from jax.sharding import Mesh

from jaxpapers import _mesh
from jaxpapers.fpo import _bandit, _linear, _neural
from jaxpapers.fpo._types import Config, RoundInfo, Trajectory

__all__ = ["init", "simulate", "simulate_seeds", "step"]

Env = _bandit.BanditEnv | _linear.LinearEnv | _neural.NeuralEnv
_MODULES = {_bandit.BanditEnv: _bandit, _linear.LinearEnv: _linear, _neural.NeuralEnv: _neural}
# The authors' linear and neural environments define the relaxed and practical penalties; the
# exact one needs the follower at its optimum, which only the bandit's closed form provides.
_MODES = {_bandit.BanditEnv: ("myopic", "exact", "relaxed", "practical")}


def _module(config: Config, env: Any):
    if not isinstance(config, Config):
        raise TypeError(f"config must be a jaxpapers.fpo.Config, got {type(config).__name__}")
    module = _MODULES.get(type(env))
    if module is None:
        names = ", ".join(cls.__name__ for cls in _MODULES)
        raise TypeError(f"env must be one of {names}, got {type(env).__name__}")
    modes = _MODES.get(type(env), ("myopic", "relaxed", "practical"))
    if config.mode not in modes:
        raise ValueError(
            f"config.mode must be one of {modes} for {type(env).__name__}, got {config.mode!r}"
        )
    return module


def init(key: jax.Array, env: Env, dtype=None) -> Any:
    """The environment's initial state drawn from ``key`` (see each environment)."""
    module = _MODULES.get(type(env))
    if module is None:
        raise TypeError(
            f"env must be a BanditEnv, LinearEnv or NeuralEnv, got {type(env).__name__}"
        )
    return module.init(key, env, dtype)


def step(config: Config, env: Env, state: Any, t: Any) -> tuple[Any, RoundInfo]:
    """One round of iterative RLHF with FPO's ``config`` (pure; scan it, or use ``run_chunked``)."""
    return _module(config, env).step(config, env, state, t)


@functools.partial(jax.jit, static_argnames=("config", "env"))
def _run(config: Config, env: Env, state: Any) -> Trajectory:
    rounds = jnp.arange(env.num_rounds, dtype=jnp.int32)
    final, info = jax.lax.scan(lambda s, t: step(config, env, s, t), state, rounds)
    return Trajectory(*info, state=final)


def simulate(key: jax.Array, config: Config, env: Env, state: Any = None) -> Trajectory:
    """Run ``env.num_rounds`` rounds from ``init(key, env)`` (or from ``state``).

    Args:
        key: a typed key: draws the initial state (and, in the neural-network environment,
            the sampling noise of every round).
        config: the FPO settings (mode, gamma, stop_grad_oracle, ...).
        env: a :class:`BanditEnv`, :class:`LinearEnv` or :class:`NeuralEnv`.
        state: start here instead (e.g. :func:`~jaxpapers.fpo.linear_authors_init`).

    Returns:
        the per-round :class:`Trajectory` and the final state.

    Examples:
        >>> from jaxpapers import fpo
        >>> run = fpo.simulate(jax.random.key(0), fpo.Config("myopic"), fpo.BanditEnv())
        >>> round(float(run.utility[-1]), 3)        # myopic RLHF settles on the longest answer
        0.667
    """
    module = _module(config, env)
    state = module.init(key, env) if state is None else state
    return _run(config, env, state)


@functools.lru_cache(maxsize=64)
def _seeds_runner(config: Config, env: Env, mesh: Mesh | None):
    def one(key):
        return _run(config, env, _MODULES[type(env)].init(key, env))

    return _mesh.sharded_vmap(one, mesh)


def simulate_seeds(
    keys: jax.Array, config: Config, env: Env, *, mesh: Mesh | None = None
) -> Trajectory:
    """:func:`simulate` for each key of ``keys`` (leading seed axis), sharded over ``mesh``.

    The seed axis is padded to a multiple of the device count and split over the ``data``
    axis of ``mesh`` (default: every device); the result has a leading seed axis.
    """
    _module(config, env)
    keys = jnp.asarray(keys)
    if keys.ndim != 1 or not jnp.issubdtype(keys.dtype, jax.dtypes.prng_key):
        raise TypeError(
            "keys must be a 1-D array of typed keys (jax.random.split), got "
            f"{keys.dtype}{keys.shape}"
        )
    return _seeds_runner(config, env, mesh)(keys)
