"""Argument checks shared by the FPO functions (eager; shapes and structures are static)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import equinox as eqx
import jax
import jax.numpy as jnp

from jaxpapers import _validate
from jaxpapers.fpo._types import SOLVERS, STATUS, SteeringInfo

__all__ = ["check_objective", "check_params", "check_same_structure", "check_solver", "checked"]

FAILURE_MESSAGES = (
    "",
    "conjugate gradients stopped at maxiter before reaching tol: raise maxiter or tol, or add "
    "damping",
    "the follower Hessian H = d²L/dphi² is not positive definite at phi (L(theta, .) must be "
    "strongly convex there): pass damping > 0, or check that phi is the follower's optimum",
    "a non-finite value appeared in the follower Hessian or in grad_phi J",
)


def _describe_tree(tree: Any) -> str:
    leaves = jax.tree.leaves(tree)
    shapes = ", ".join(str(tuple(jnp.shape(leaf))) for leaf in leaves[:4])
    more = ", ..." if len(leaves) > 4 else ""
    return f"{jax.tree.structure(tree)} with leaf shapes [{shapes}{more}]"


def check_params(name: str, tree: Any) -> None:
    """``tree`` is a non-empty pytree of floating arrays of one dtype, finite when concrete."""
    leaves = jax.tree.leaves(tree)
    if not leaves:
        raise ValueError(f"{name} must be a non-empty pytree of arrays, got {tree!r}")
    dtypes = {jnp.result_type(leaf) for leaf in leaves}
    if not all(jnp.issubdtype(d, jnp.floating) for d in dtypes):
        raise TypeError(
            f"{name} must hold floating-point arrays, got dtypes {sorted(map(str, dtypes))}"
        )
    if len(dtypes) > 1:
        raise TypeError(f"{name} must hold arrays of one dtype, got {sorted(map(str, dtypes))}")
    for leaf in leaves:
        _validate.check_finite(name, leaf)


def check_same_structure(name: str, tree: Any, like_name: str, like: Any) -> None:
    """``tree`` has the pytree structure and leaf shapes of ``like``."""
    if jax.tree.structure(tree) != jax.tree.structure(like):
        raise ValueError(
            f"{name} must have the pytree structure of {like_name}, got {_describe_tree(tree)} "
            f"and {like_name} is {_describe_tree(like)}"
        )
    for a, b in zip(jax.tree.leaves(tree), jax.tree.leaves(like), strict=True):
        if jnp.shape(a) != jnp.shape(b):
            raise ValueError(
                f"{name} must have the leaf shapes of {like_name}, got {_describe_tree(tree)} "
                f"and {like_name} is {_describe_tree(like)}"
            )


def check_objective(name: str, fn: Callable, *args: Any, arg_names: str = "theta, phi") -> None:
    """``fn(*args)`` traces on these pytrees and returns a floating scalar."""
    if not callable(fn):
        raise TypeError(f"{name} must be a callable {name}({arg_names}) -> scalar, got {fn!r}")
    try:
        out = jax.eval_shape(fn, *args)
    except Exception as error:  # say which call failed on which pytrees, keep the cause
        shown = "; ".join(
            f"{n.strip()}: {_describe_tree(a)}"
            for n, a in zip(arg_names.split(","), args, strict=False)
        )
        raise ValueError(
            f"{name}({arg_names}) failed on the given pytrees ({shown}); are the policy and "
            f"reward-model parameters passed in the right places? {type(error).__name__}: {error}"
        ) from error
    if (
        not isinstance(out, jax.ShapeDtypeStruct)
        or out.shape != ()
        or not jnp.issubdtype(out.dtype, jnp.floating)
    ):
        raise ValueError(f"{name} must return a floating-point scalar, got {out}")


def check_solver(solver: str, damping: Any, tol: Any, maxiter: int | None) -> None:
    _validate.check_choice("solver", solver, SOLVERS)
    _validate.check_range("damping", damping, low=0.0)
    _validate.check_positive("tol", tol)
    if maxiter is not None:
        _validate.check_integer("maxiter", maxiter, minimum=1)


def checked(value: Any, info: SteeringInfo, name: str) -> Any:
    """``value`` when the solve converged; otherwise a clear error naming the reason.

    Eagerly (concrete ``info``) a ``ValueError``; under ``jit`` an ``equinox`` runtime error.
    """
    if _validate.is_concrete(info.status):
        status = np.asarray(info.status).reshape(-1)
        bad = np.flatnonzero(status != 0)
        if bad.size:
            code = int(status[bad[0]])
            steps = int(np.asarray(info.num_steps).reshape(-1)[bad[0]])
            residual = float(np.asarray(info.residual).reshape(-1)[bad[0]])
            raise ValueError(
                f"{name}: {FAILURE_MESSAGES[code]} (status {STATUS[code]!r} after {steps} CG "
                f"steps, relative residual {residual:.3g})"
            )
        return value
    return eqx.branched_error_if(value, info.status != 0, info.status, FAILURE_MESSAGES)
