"""Eager argument checks shared by the public functions (skipped for traced values)."""

from __future__ import annotations

import numpy as np

import jax
import jax.numpy as jnp


def is_concrete(x) -> bool:
    """True for arrays whose values can be inspected now (not inside ``jit``/``vmap``)."""
    return not isinstance(x, jax.core.Tracer)


def check_matrix(A, name: str = "A", *, stochastic: bool = False, mask=None) -> jax.Array:
    """Check ``A`` is a float array ``[..., n, n]`` with nonnegative finite entries.

    With ``stochastic=True`` the valid rows (under ``mask``) must also sum to one over the valid
    columns: attention-level entry points demand this, graph-level ones accept any nonnegative
    weights (so that ``A.T`` is a legal argument, as orientation blindness needs).
    """
    if not hasattr(A, "shape") or not hasattr(A, "dtype"):
        raise TypeError(f"{name} must be an array [..., n, n], got {type(A).__name__}")
    A = jnp.asarray(A)
    if A.ndim < 2:
        raise ValueError(f"{name} must have shape [..., n, n] (rank >= 2), got shape {A.shape}")
    if A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name} must be square in its last two axes, got shape {A.shape}")
    if not jnp.issubdtype(A.dtype, jnp.floating):
        raise TypeError(f"{name} must have a floating dtype, got {A.dtype}")
    if A.shape[-1] < 2:
        raise ValueError(f"{name} needs at least 2 tokens to have a cut, got n = {A.shape[-1]}")
    if is_concrete(A):
        values = np.asarray(A)  # numpy: value checks must not be staged into an outer trace
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name} must be finite, found NaN or inf")
        if np.any(values < 0):
            raise ValueError(f"{name} must be nonnegative, min entry is {values.min():.3g}")
        if stochastic and (mask is None or is_concrete(mask)):
            _check_rows(values, name, mask)
    return A


def _check_rows(A: np.ndarray, name, mask):
    valid = np.ones(A.shape[:-1], bool) if mask is None else np.broadcast_to(mask, A.shape[:-1])
    row_sums = np.sum(np.where(valid[..., None, :], A, 0.0), axis=-1)
    tol = 1e-4 if A.dtype.itemsize <= 4 else 1e-8
    error = float(np.max(np.where(valid, np.abs(row_sums - 1.0), 0.0)))
    if error > tol:
        raise ValueError(
            f"the rows of {name} must sum to one (attention is row-stochastic); the largest "
            f"deviation is {error:.3g} > {tol:g}. Renormalise explicitly with "
            "`restrict_to_tokens` if you meant to drop columns"
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
            f"mask shape {mask.shape} does not broadcast to A's leading shape {A.shape[:-1]}"
        )
    return jnp.broadcast_to(mask, A.shape[:-1])
