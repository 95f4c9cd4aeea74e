"""The Stackelberg gradient decomposition: steering term, total gradient, influence.

The policy (leader, parameters θ) maximises ``F(θ) = J(θ, φ*(θ))`` where the reward model
(follower, φ) retrains to ``φ*(θ) = argmin_φ L(θ, φ)``. By the implicit function theorem
(``L(θ, ·)`` strongly convex, ``H = ∇²_φφ L(θ, φ*)``)::

    ∇F(θ) = ∇_θ J(θ, φ*)  −  ∇²_θφ L(θ, φ*) · H⁻¹ · ∇_φ J(θ, φ*)
            └ standard PG ┘   └──────── parameter-steering term ────────┘

Standard ("myopic") iterative RLHF follows only the first term. ``H⁻¹`` is never formed: the
system ``(H + damping I) v = ∇_φ J`` is solved by conjugate gradients on Hessian-vector
products (``solver="cg"``) or by a dense Cholesky factorisation (``solver="dense"``, small φ),
and ``∇²_θφ L · v`` is one vector-Jacobian product.

Reference: Gauthier, Bach & Jordan, "Explaining and Preventing Alignment Collapse in Iterative
RLHF", arXiv:2605.04266 (2026), the gradient decomposition and the effective reward;
Koh & Liang, "Understanding Black-box Predictions via Influence Functions", ICML 2017.

Each public function is jitted at module level with the objective functions static, so eager
calls with the same ``leader``/``follower`` objects reuse one compiled program; inside a user's
``jit``/``vmap`` they are simply inlined. Objectives written as fresh lambdas on every call
compile every call.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from jaxpapers.fpo._checks import (
    check_objective,
    check_params,
    check_solver,
    checked,
)
from jaxpapers.fpo._solve import cg, dense_solve, follower_hessian, follower_hvp
from jaxpapers.fpo._types import SteeringInfo

__all__ = [
    "steering_direction",
    "steering_gradient",
    "steering_gradient_with_info",
    "total_gradient",
]

Objective = Callable[[Any, Any], jax.Array]
_STATIC = ("leader", "follower", "solver", "maxiter")


def _grad_phi_flat(follower: Objective, theta: Any, unravel: Callable) -> Callable:
    return lambda phi_flat: ravel_pytree(jax.grad(follower, argnums=1)(theta, unravel(phi_flat)))[0]


def _solve(follower, theta, phi, rhs, damping, tol, solver, maxiter):
    """``(H + damping I)⁻¹ rhs`` for one (``[p]``) or several (``[n, p]``) right-hand sides."""
    phi_flat, unravel = ravel_pytree(phi)
    grad_phi = _grad_phi_flat(follower, theta, unravel)
    if solver == "dense":
        hessian = follower_hessian(grad_phi, phi_flat, damping)
        x, info = dense_solve(hessian, rhs.T if rhs.ndim == 2 else rhs)
        return (x.T if rhs.ndim == 2 else x), info
    matvec = follower_hvp(grad_phi, phi_flat, damping)
    limit = 10 * phi_flat.size if maxiter is None else maxiter
    if rhs.ndim == 1:
        return cg(matvec, rhs, tol, limit)
    x, infos = jax.vmap(lambda b: cg(matvec, b, tol, limit))(rhs)
    worst = SteeringInfo(
        jnp.all(infos.converged),
        jnp.max(infos.num_steps),
        jnp.max(infos.residual),
        jnp.max(infos.status),
    )
    return x, worst


@partial(jax.jit, static_argnames=_STATIC)
def _direction(leader, follower, theta, phi, damping, tol, solver, maxiter):
    g_flat = ravel_pytree(jax.grad(leader, argnums=1)(theta, phi))[0]
    v_flat, info = _solve(follower, theta, phi, g_flat, damping, tol, solver, maxiter)
    return ravel_pytree(phi)[1](v_flat), info


@partial(jax.jit, static_argnames=_STATIC)
def _steering(leader, follower, theta, phi, damping, tol, solver, maxiter):
    v, info = _direction(leader, follower, theta, phi, damping, tol, solver, maxiter)
    _, mixed = jax.vjp(lambda th: jax.grad(follower, argnums=1)(th, phi), theta)
    (cross,) = mixed(v)  # ∇²_θφ L · v = ∇_θ <∇_φ L(θ, φ), v>
    return jax.tree.map(jnp.negative, cross), info


def _validate_call(leader, follower, theta, phi, solver, damping, tol, maxiter) -> None:
    check_params("theta", theta)
    check_params("phi", phi)
    check_objective("leader", leader, theta, phi)
    check_objective("follower", follower, theta, phi)
    check_solver(solver, damping, tol, maxiter)


def steering_direction(
    leader: Objective,
    follower: Objective,
    theta: Any,
    phi: Any,
    *,
    solver: str = "cg",
    damping: float = 0.0,
    tol: float = 1e-10,
    maxiter: int | None = None,
) -> tuple[Any, SteeringInfo]:
    """``v = (H + damping I)⁻¹ ∇_φ J(θ, φ)``: the direction through which retraining steers.

    ``⟨ḡ_r, I^θ(y)⟩ = −⟨v, ∇_φ ℓ(φ; y)⟩`` for every sample, so one solve serves all the exact
    penalties of a batch (:func:`~jaxpapers.fpo.penalty` with ``direction=v``).

    Arguments: as :func:`steering_gradient`.

    Returns:
        ``(v, info)``: ``v`` a pytree like ``phi``; ``info`` a :class:`SteeringInfo` (check
        ``info.converged``; nothing is raised here).

    Examples:
        >>> leader = lambda th, ph: jnp.sum(th * ph)
        >>> follower = lambda th, ph: jnp.sum((ph - th) ** 2)   # H = 2 I, phi* = theta
        >>> v, info = steering_direction(leader, follower, jnp.ones(2), jnp.ones(2))
        >>> v.tolist(), bool(info.converged)
        ([0.5, 0.5], True)
    """
    _validate_call(leader, follower, theta, phi, solver, damping, tol, maxiter)
    return _direction(leader, follower, theta, phi, damping, tol, solver, maxiter)


def steering_gradient_with_info(
    leader: Objective,
    follower: Objective,
    theta: Any,
    phi: Any,
    *,
    solver: str = "cg",
    damping: float = 0.0,
    tol: float = 1e-10,
    maxiter: int | None = None,
) -> tuple[Any, SteeringInfo]:
    """The steering term and how its linear solve went; never raises on non-convergence.

    Use this inside ``vmap`` over seeds or problems: one bad Hessian marks its own
    ``info.converged = False`` (with ``info.status`` saying why) and kills nothing.

    Arguments and value: as :func:`steering_gradient`, plus the :class:`SteeringInfo`.
    """
    _validate_call(leader, follower, theta, phi, solver, damping, tol, maxiter)
    return _steering(leader, follower, theta, phi, damping, tol, solver, maxiter)


def steering_gradient(
    leader: Objective,
    follower: Objective,
    theta: Any,
    phi: Any,
    *,
    solver: str = "cg",
    damping: float = 0.0,
    tol: float = 1e-10,
    maxiter: int | None = None,
) -> Any:
    """The parameter-steering term ``−∇²_θφ L · (H + damping I)⁻¹ · ∇_φ J`` at ``(θ, φ)``.

    Args:
        leader: ``J(theta, phi) -> scalar``, the policy's objective (expected reward).
        follower: ``L(theta, phi) -> scalar``, the reward model's training loss on policy data;
            ``L(theta, .)`` must be strongly convex near ``phi`` (else pass ``damping``).
        theta: the policy's parameters (a pytree of floating arrays).
        phi: the follower's optimum ``φ*(θ)``, supplied by the caller (a pytree).
        solver: ``"cg"`` (Hessian-vector products and conjugate gradients, no matrix is
            formed) or ``"dense"`` (``p_φ x p_φ`` Hessian and Cholesky; small ``phi`` only).
        damping: λ ≥ 0 in ``H + λI``.
        tol: CG stops when ``||(H + λI) v − g|| <= tol ||g||`` (recursive residual).
        maxiter: CG iteration cap; default 10 × the number of entries of ``phi``.

    Returns:
        A pytree like ``theta``. Raises ``ValueError`` (eagerly; an ``equinox`` runtime error
        under ``jit``) when the solve fails: H not positive definite, iterations exhausted, or
        non-finite values. Use :func:`steering_gradient_with_info` to get the failure as data.

    Examples:
        >>> leader = lambda th, ph: jnp.sum(th * ph)
        >>> follower = lambda th, ph: jnp.sum((ph - th) ** 2)   # phi*(theta) = theta
        >>> theta = jnp.array([1.0, 2.0])
        >>> steering_gradient(leader, follower, theta, theta).tolist()  # d/dθ of θ·φ*(θ) = 2θ
        [1.0, 2.0]
    """
    value, info = steering_gradient_with_info(
        leader, follower, theta, phi, solver=solver, damping=damping, tol=tol, maxiter=maxiter
    )
    return checked(value, info, "steering_gradient")


def total_gradient(
    leader: Objective,
    follower: Objective,
    theta: Any,
    phi: Any,
    *,
    solver: str = "cg",
    damping: float = 0.0,
    tol: float = 1e-10,
    maxiter: int | None = None,
) -> Any:
    """``∇F(θ) = ∇_θ J(θ, φ) + steering``: the gradient of ``J(θ, φ*(θ))`` when ``φ = φ*(θ)``.

    Arguments and errors: as :func:`steering_gradient`.

    Examples:
        >>> leader = lambda th, ph: jnp.sum(th * ph)
        >>> follower = lambda th, ph: jnp.sum((ph - th) ** 2)
        >>> theta = jnp.array([1.0, 2.0])
        >>> total_gradient(leader, follower, theta, theta).tolist()  # d/dθ |θ|² = 2θ
        [2.0, 4.0]
    """
    steering = steering_gradient(
        leader, follower, theta, phi, solver=solver, damping=damping, tol=tol, maxiter=maxiter
    )
    standard = jax.grad(leader, argnums=0)(theta, phi)
    return jax.tree.map(jnp.add, standard, steering)
