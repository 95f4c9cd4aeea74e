"""Argument checks specific to attention maps (shape, sign, row sums, masks).

Generic checks come from :mod:`jaxpapers._validate`; what lives here is what only attention maps
need: square ``[..., n, n]`` floats, nonnegative weights, row-stochastic rows over the valid
tokens, and a boolean padding mask that broadcasts to the map. Value checks run on concrete
arrays only; under ``jit`` the functions report bad input as data (NaN with a ``defined`` flag).
"""

from __future__ import annotations

import numpy as np

import jax
import jax.numpy as jnp

from jaxpapers import _validate

__all__ = ["check_mask", "check_matrix", "row_sum_tolerance"]


def row_sum_tolerance(dtype) -> float:
    """How far a row sum may be from one: 1e-4 in float32 (softmax rounding), 1e-8 in float64."""
    return 1e-4 if jnp.finfo(dtype).bits <= 32 else 1e-8


def check_matrix(A, name: str = "A", *, stochastic: bool = False, mask=None) -> jax.Array:
    """Check ``A`` is a float array ``[..., n, n]`` (n ≥ 2) with nonnegative finite entries.

    With ``stochastic=True`` the valid rows (under ``mask``) must also sum to one over the valid
    columns: attention-level entry points demand this, graph-level ones accept any nonnegative
    weights (so that ``A.T`` is a legal argument, as orientation blindness needs).
    """
    if not hasattr(A, "shape") or not hasattr(A, "dtype"):
        raise TypeError(f"{name} must be an array [..., n, n], got {type(A).__name__}")
    A = jnp.asarray(A)
    _validate.check_ndim(name, A, tuple(range(2, 33)), what="an array [..., n, n] (rank >= 2)")
    if A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name} must be square in its last two axes, got shape {A.shape}")
    if not jnp.issubdtype(A.dtype, jnp.floating):
        raise TypeError(f"{name} must have a floating dtype, got {A.dtype}")
    if A.shape[-1] < 2:
        raise ValueError(f"{name} must have n >= 2 tokens to have a cut, got n = {A.shape[-1]}")
    values = _validate.as_concrete(name, A)  # numpy: checks must not be staged into a trace
    if values is not None:
        _validate.check_finite(name, values)
        if np.any(values < 0):
            raise ValueError(f"{name} must be nonnegative, got min entry {values.min():.3g}")
        if stochastic and _validate.is_concrete(mask):
            _check_rows(values, name, mask)
    return A


def _check_rows(A: np.ndarray, name: str, mask) -> None:
    valid = np.ones(A.shape[:-1], bool) if mask is None else np.broadcast_to(mask, A.shape[:-1])
    row_sums = np.sum(np.where(valid[..., None, :], A, 0.0), axis=-1)
    tol = row_sum_tolerance(A.dtype)
    error = float(np.max(np.where(valid, np.abs(row_sums - 1.0), 0.0), initial=0.0))
    if error > tol:
        raise ValueError(
            f"the rows of {name} must sum to one over the valid tokens (attention is "
            f"row-stochastic), got a largest deviation of {error:.3g} > {tol:g}. Renormalise "
            "explicitly with `restrict_to_tokens` if you meant to drop columns"
        )


def check_mask(mask, A) -> jax.Array | None:
    """``mask`` must be boolean ``[..., n]`` broadcastable to ``A.shape[:-1]``."""
    if mask is None:
        return None
    if not hasattr(mask, "shape"):
        raise TypeError(f"mask must be a boolean array [..., n], got {type(mask).__name__}")
    mask = jnp.asarray(mask)
    if mask.dtype != jnp.bool_:
        raise TypeError(f"mask must be boolean (True = valid token), got dtype {mask.dtype}")
    n = A.shape[-1]
    if mask.ndim < 1 or mask.shape[-1] != n:
        raise ValueError(f"mask must have shape [..., {n}] to match A {A.shape}, got {mask.shape}")
    try:
        target = jnp.broadcast_shapes(mask.shape, A.shape[:-1])
    except ValueError:
        target = None
    if target != A.shape[:-1]:
        raise ValueError(
            f"mask must broadcast to A's leading shape {A.shape[:-1]}, got shape {mask.shape}"
        )
    return jnp.broadcast_to(mask, A.shape[:-1])
