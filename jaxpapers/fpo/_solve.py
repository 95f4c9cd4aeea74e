"""Solving the follower's linear system ``(H + damping I) v = g`` without forming H⁻¹.

``H = ∇²_φφ L(θ, φ)`` is only touched through Hessian-vector products (forward-over-reverse,
linearised once) by conjugate gradients, or, for small problems, formed densely and factorised
with the plain-XLA Cholesky of :mod:`jaxpapers.linalg` (no LAPACK call). Both report
convergence as data (:class:`~jaxpapers.fpo.SteeringInfo`).

Reference: Hestenes & Stiefel, "Methods of conjugate gradients for solving linear systems",
J. Res. Nat. Bur. Standards 49 (1952); Pearlmutter, "Fast exact multiplication by the
Hessian", Neural Computation 6 (1994).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers import linalg
from jaxpapers.fpo._types import SteeringInfo

__all__ = ["cg", "dense_solve", "follower_hessian", "follower_hvp"]

Vector = Float[Array, " p"]


def follower_hvp(grad_phi: Callable[[Vector], Vector], phi_flat: Vector, damping) -> Callable:
    """``v -> (H + damping I) v`` with ``H`` the Jacobian of ``grad_phi`` at ``phi_flat``.

    ``jax.linearize`` runs the gradient once; each product is then one forward-mode pass.
    """
    _, hvp = jax.linearize(grad_phi, phi_flat)
    damping = jnp.asarray(damping, phi_flat.dtype)
    return lambda v: hvp(v) + damping * v


def cg(matvec: Callable[[Vector], Vector], b: Vector, tol, maxiter: int) -> tuple:
    """Conjugate gradients for ``A x = b``, A symmetric positive definite, from ``x = 0``.

    Stops when the recursive residual satisfies ``||r|| <= tol ||b||``, after ``maxiter``
    iterations, or when a search direction has ``p^T A p <= 0`` (A is not positive definite
    along it: status 2) or is not finite (status 3); x is then the last iterate.

    Examples:
        >>> a = jnp.array([[4.0, 1.0], [1.0, 3.0]])
        >>> x, info = cg(lambda v: a @ v, jnp.array([1.0, 2.0]), 1e-6, 10)
        >>> [round(float(v), 4) for v in x], bool(info.converged), int(info.num_steps)
        ([0.0909, 0.6364], True, 2)
    """
    tol = jnp.asarray(tol, b.dtype)
    b_norm = jnp.sqrt(jnp.vdot(b, b))
    target = tol * b_norm
    zero = jnp.zeros((), jnp.int32)

    def running(carry):
        _, _, _, rs, k, status = carry
        return (k < maxiter) & (jnp.sqrt(rs) > target) & (status == 0)

    def step(carry):
        x, r, p, rs, k, _ = carry
        ap = matvec(p)
        curvature = jnp.vdot(p, ap)
        status = jnp.where(jnp.isfinite(curvature), jnp.where(curvature > 0, 0, 2), 3)
        alpha = jnp.where(status == 0, rs / jnp.where(status == 0, curvature, 1.0), 0.0)
        x, r = x + alpha * p, r - alpha * ap
        rs_new = jnp.where(status == 0, jnp.vdot(r, r), rs)
        p = r + (rs_new / jnp.where(rs > 0, rs, 1.0)) * p
        return x, r, p, rs_new, k + jnp.where(status == 0, 1, 0), status.astype(jnp.int32)

    init = (jnp.zeros_like(b), b, b, jnp.vdot(b, b), zero, zero)
    x, _, _, rs, k, status = jax.lax.while_loop(running, step, init)
    residual = jnp.sqrt(rs) / jnp.where(b_norm > 0, b_norm, 1.0)
    status = jnp.where(jnp.isfinite(b_norm), status, 3)
    converged = (status == 0) & (jnp.sqrt(rs) <= target)
    status = jnp.where((status == 0) & ~converged, 1, status)
    return x, SteeringInfo(converged, k, residual, status.astype(jnp.int32))


def follower_hessian(grad_phi: Callable[[Vector], Vector], phi_flat: Vector, damping) -> Array:
    """The dense ``H + damping I`` (symmetrised), ``p x p``; for small follower models only."""
    hessian = jax.jacfwd(grad_phi)(phi_flat)
    hessian = 0.5 * (hessian + hessian.T)
    return hessian + jnp.asarray(damping, phi_flat.dtype) * jnp.eye(
        phi_flat.size, dtype=phi_flat.dtype
    )


def dense_solve(hessian: Float[Array, "p p"], b: Float[Array, "p ..."]) -> tuple:
    """``hessian⁻¹ b`` by Cholesky (:func:`jaxpapers.linalg.cholesky`); status 2 if not SPD.

    ``b`` may hold several right-hand sides as columns. The residual is the true relative one.

    Examples:
        >>> x, info = dense_solve(jnp.array([[4.0, 1.0], [1.0, 3.0]]), jnp.array([1.0, 2.0]))
        >>> [round(float(v), 4) for v in x], bool(info.converged)
        ([0.0909, 0.6364], True)
    """
    factor = linalg.cholesky(hessian)
    finite_input = jnp.all(jnp.isfinite(hessian)) & jnp.all(jnp.isfinite(b))
    spd = jnp.all(jnp.isfinite(factor))
    columns = b if b.ndim == 2 else b[:, None]
    x = linalg.cho_solve(factor, columns)
    x = x if b.ndim == 2 else x[:, 0]
    b_norm = jnp.sqrt(jnp.sum(b * b))
    error = hessian @ x - b
    residual = jnp.sqrt(jnp.sum(error * error)) / jnp.where(b_norm > 0, b_norm, 1.0)
    status = jnp.where(finite_input, jnp.where(spd, 0, 2), 3).astype(jnp.int32)
    residual = jnp.where(status == 0, residual, jnp.inf).astype(b.dtype)
    return x, SteeringInfo(status == 0, jnp.zeros((), jnp.int32), residual, status)
