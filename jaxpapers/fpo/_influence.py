"""Influence of policy samples on the retrained reward model, and the effective reward.

Because θ enters the follower loss only through the sampling distribution,
``∇²_φθ L = E_π[∇_φ ℓ(φ; y) ∇_θ log π_θ(y)ᵀ]``, and the steering term becomes a policy
gradient on the *effective reward* (spec §1.4)::

    r̃_θ(y) = r_φ*(y) + ⟨ḡ_r, I^θ(y)⟩,   I^θ(y) = −H⁻¹ ∇_φ ℓ(φ*; y),   ḡ_r = ∇_φ J(θ, φ*)
    ∇F(θ) = E_π[ r̃_θ(y) ∇_θ log π_θ(y) ]

``I^θ(y)`` is the change of ``φ*`` per unit of extra weight on the sample ``y`` in L (Cook &
Weisberg 1982; Koh & Liang 2017); ``⟨ḡ_r, I^θ(y)⟩`` is how much the policy's average reward
would move if the reward model were retrained with ``y`` up-weighted.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Float

from jaxpapers.fpo._checks import check_objective, check_params, check_solver, checked
from jaxpapers.fpo._steering import _direction, _solve

__all__ = ["effective_reward", "influence"]


def _first(samples: Any) -> Any:
    leaves = jax.tree.leaves(samples)
    if not leaves or any(jnp.ndim(leaf) == 0 for leaf in leaves):
        raise ValueError("samples must be a pytree of arrays with a leading sample axis")
    sizes = {jnp.shape(leaf)[0] for leaf in leaves}
    if len(sizes) != 1:
        raise ValueError(
            f"samples' leaves must share the leading sample axis, got sizes {sorted(sizes)}"
        )
    return jax.tree.map(lambda leaf: leaf[0], samples)


def _sample_grads(sample_loss: Callable, phi: Any, samples: Any) -> Array:
    grads = jax.vmap(jax.grad(sample_loss, argnums=0), in_axes=(None, 0))(phi, samples)
    return jax.vmap(lambda g: ravel_pytree(g)[0])(grads)


@partial(jax.jit, static_argnames=("follower", "sample_loss", "solver", "maxiter"))
def _influence(follower, sample_loss, theta, phi, samples, damping, tol, solver, maxiter):
    grads = _sample_grads(sample_loss, phi, samples)
    x, info = _solve(follower, theta, phi, grads, damping, tol, solver, maxiter)
    unravel = ravel_pytree(phi)[1]
    return jax.vmap(unravel)(-x), info


def influence(
    follower: Callable[[Any, Any], Array],
    sample_loss: Callable[[Any, Any], Array],
    theta: Any,
    phi: Any,
    samples: Any,
    *,
    solver: str = "cg",
    damping: float = 0.0,
    tol: float = 1e-10,
    maxiter: int | None = None,
) -> Any:
    """``I^θ(y_i) = −(H + damping I)⁻¹ ∇_φ ℓ(φ; y_i)`` for each sample ``y_i``.

    Args:
        follower: ``L(theta, phi)``, whose Hessian in ``phi`` is H.
        sample_loss: ``ℓ(phi, sample) -> scalar``, the loss of one sample.
        theta: as in :func:`~jaxpapers.fpo.steering_gradient` (``phi = φ*(θ)``).
        phi: see ``theta``.
        samples: a pytree whose leaves have a leading sample axis ``n``.
        solver: as in :func:`~jaxpapers.fpo.steering_gradient` (CG
            runs once per sample, vmapped; the dense solver factorises H once).
        damping: see ``solver``.
        tol: see ``solver``.
        maxiter: see ``solver``.

    Returns:
        A pytree like ``phi`` with a leading axis ``n``. Raises like ``steering_gradient``.

    Examples:
        >>> follower = lambda th, ph: jnp.sum((ph - th) ** 2)          # H = 2 I
        >>> sample_loss = lambda ph, y: jnp.sum((ph - y) ** 2)         # grad = 2 (ph - y)
        >>> influence(follower, sample_loss, jnp.zeros(2), jnp.zeros(2),
        ...           jnp.array([[1.0, 1.0]])).tolist()
        [[1.0, 1.0]]
    """
    check_params("theta", theta)
    check_params("phi", phi)
    check_objective("follower", follower, theta, phi)
    check_objective("sample_loss", sample_loss, phi, _first(samples), arg_names="phi, sample")
    check_solver(solver, damping, tol, maxiter)
    value, info = _influence(
        follower, sample_loss, theta, phi, samples, damping, tol, solver, maxiter
    )
    return checked(value, info, "influence")


@partial(
    jax.jit, static_argnames=("leader", "follower", "reward", "sample_loss", "solver", "maxiter")
)
def _effective(
    leader, follower, reward, sample_loss, theta, phi, samples, damping, tol, solver, maxiter
):
    v, info = _direction(leader, follower, theta, phi, damping, tol, solver, maxiter)
    grads = _sample_grads(sample_loss, phi, samples)
    rewards = jax.vmap(reward, in_axes=(None, 0))(phi, samples)
    return rewards - grads @ ravel_pytree(v)[0], info


def effective_reward(
    leader: Callable[[Any, Any], Array],
    follower: Callable[[Any, Any], Array],
    reward: Callable[[Any, Any], Array],
    sample_loss: Callable[[Any, Any], Array],
    theta: Any,
    phi: Any,
    samples: Any,
    *,
    solver: str = "cg",
    damping: float = 0.0,
    tol: float = 1e-10,
    maxiter: int | None = None,
) -> Float[Array, " n"]:
    """``r̃_θ(y_i) = r_φ(y_i) + ⟨∇_φ J, I^θ(y_i)⟩`` for each sample (one linear solve).

    A policy gradient on ``r̃`` equals the total gradient ``∇F(θ)`` (spec §1.4); any baseline
    may be subtracted.

    Args:
        leader: ``J(theta, phi)`` and ``L(theta, phi)``.
        follower: see ``leader``.
        reward: ``r(phi, sample) -> scalar``, the reward model's score of one sample.
        sample_loss: ``ℓ(phi, sample) -> scalar``, the reward model's loss on that sample.
        theta: as in :func:`influence`.
        phi: see ``theta``.
        samples: see ``theta``.
        solver: see ``theta``.
        damping: see ``theta``.
        tol: see ``theta``.
        maxiter: see ``theta``.

    Returns:
        ``[n]`` effective rewards. Raises like ``steering_gradient``.

    Examples:
        >>> leader = lambda th, ph: jnp.sum(th * ph)
        >>> follower = lambda th, ph: jnp.sum((ph - th) ** 2)
        >>> reward = lambda ph, y: jnp.sum(ph * y)
        >>> sample_loss = lambda ph, y: jnp.sum((ph - y) ** 2)
        >>> effective_reward(leader, follower, reward, sample_loss, jnp.ones(2), jnp.ones(2),
        ...                  jnp.array([[2.0, 1.0]])).tolist()
        [4.0]
    """
    check_params("theta", theta)
    check_params("phi", phi)
    check_objective("leader", leader, theta, phi)
    check_objective("follower", follower, theta, phi)
    first = _first(samples)
    check_objective("reward", reward, phi, first, arg_names="phi, sample")
    check_objective("sample_loss", sample_loss, phi, first, arg_names="phi, sample")
    check_solver(solver, damping, tol, maxiter)
    value, info = _effective(
        leader, follower, reward, sample_loss, theta, phi, samples, damping, tol, solver, maxiter
    )
    return checked(value, info, "effective_reward")
