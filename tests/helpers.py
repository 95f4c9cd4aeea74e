"""Helpers shared by the tests of every module."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

import jax


def tree_allclose(a: Any, b: Any, *, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """True when two pytrees have the same structure and all leaves are close."""
    if jax.tree.structure(a) != jax.tree.structure(b):
        return False
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        x, y = _plain(x), _plain(y)
        if x.shape != y.shape or not np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True):
            return False
    return True


def tree_equal(a: Any, b: Any) -> bool:
    """True when two pytrees are identical, bit for bit (NaNs in the same places)."""
    if jax.tree.structure(a) != jax.tree.structure(b):
        return False
    return all(
        x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x, y, equal_nan=_is_float(x))
        for x, y in zip(
            map(_plain, jax.tree.leaves(a)), map(_plain, jax.tree.leaves(b)), strict=True
        )
    )


def lapack_calls(compiled: Any) -> list[str]:
    """The LAPACK custom-call targets in a compiled program (``jit(f).lower(...).compile()``).

    Programs that batch small solves must have none: two LAPACK calls ready at once can
    deadlock XLA:CPU's thread pool on 2 cores (see ``jaxpapers.linalg``).
    """
    text = compiled.as_text()
    return sorted(set(re.findall(r'custom_call_target="(lapack[^"]*)"', text)))


def _plain(leaf: Any) -> np.ndarray:
    """Numpy view of a leaf; typed PRNG keys become their key data."""
    dtype = getattr(leaf, "dtype", None)
    if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        leaf = jax.random.key_data(leaf)
    return np.asarray(leaf)


def _is_float(x: np.ndarray) -> bool:
    return np.issubdtype(x.dtype, np.inexact)
