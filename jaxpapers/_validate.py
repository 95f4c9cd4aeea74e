"""Shared argument checks with one error wording: ``NAME must be EXPECTATION, got GIVEN``.

Public functions validate eagerly: shapes and dtypes always (they are static under ``jit``),
values only when they are concrete. Inside a user's ``jit`` the values are tracers and pass
unchecked, as in optax; functions meant to run under ``jit`` on data that can be bad report it
as data instead (a NaN with a flag, a result code) or use ``equinox.error_if``.

>>> import numpy as np
>>> from jaxpapers import _validate
>>> _validate.check_range("alpha", 0.5, low=0.0, high=1.0)
>>> _validate.check_range("alpha", 1.5, low=0.0, high=1.0)
Traceback (most recent call last):
...
ValueError: alpha must lie in [0, 1], got 1.5
>>> _validate.check_integer("max_cond_set_size", 1.5, minimum=0)
Traceback (most recent call last):
...
TypeError: max_cond_set_size must be an integer >= 0, got 1.5 (float)
"""

from __future__ import annotations

import numbers
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

import jax
import jax.core

__all__ = [
    "as_concrete",
    "check_choice",
    "check_finite",
    "check_integer",
    "check_ndim",
    "check_positive",
    "check_range",
    "check_same_length",
    "describe",
    "is_concrete",
]


def is_concrete(value: Any) -> bool:
    """True when ``value``'s numbers can be inspected now (not a tracer inside ``jit``/``vmap``)."""
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(value))


def as_concrete(name: str, value: Any) -> np.ndarray | None:
    """``value`` as a numpy array, or None for a tracer; a TypeError for non-numeric input."""
    if not is_concrete(value):
        return None
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be numeric, got {type(value).__name__}") from error
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}")
    return array


def describe(value: Any) -> str:
    """A short rendering of what was given, for error messages."""
    array = np.asarray(value)
    if array.ndim == 0:
        item = array.item()
        return f"{item:.6g}" if isinstance(item, float) else repr(item)
    shown = ", ".join(f"{x:.4g}" for x in array.ravel()[:6].astype(float))
    more = ", ..." if array.size > 6 else ""
    return f"an array of shape {array.shape} holding [{shown}{more}]"


def check_finite(name: str, value: Any) -> None:
    """``ValueError`` when concrete ``value`` holds NaN or inf (says where and how many)."""
    array = as_concrete(name, value)
    if array is None or not np.issubdtype(array.dtype, np.inexact):
        return
    bad = ~np.isfinite(array)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0]) if array.ndim else ()
        at = f" at index {where}" if where else ""
        raise ValueError(
            f"{name} must be finite, got {int(bad.sum())} NaN/inf value(s) (first{at}: "
            f"{array[bad].ravel()[0]})"
        )


def check_range(
    name: str,
    value: Any,
    *,
    low: float = -np.inf,
    high: float = np.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """``ValueError`` unless every concrete entry of ``value`` is finite and inside the interval."""
    check_finite(name, value)
    array = as_concrete(name, value)
    if array is None:
        return
    below = array <= low if low_open else array < low
    above = array >= high if high_open else array > high
    if below.any() or above.any():
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must lie in {interval}, got {describe(array)}")


def check_positive(name: str, value: Any) -> None:
    """``ValueError`` unless every concrete entry of ``value`` is finite and > 0."""
    array = as_concrete(name, value)
    if array is None:
        return
    check_finite(name, array)
    if (array <= 0).any():
        raise ValueError(f"{name} must be > 0, got {describe(array)}")


def check_integer(name: str, value: Any, *, minimum: int | None = None) -> int:
    """``value`` as a Python int; TypeError for non-integers (1.5, True), ValueError below min."""
    bound = "" if minimum is None else f" >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer{bound}, got {value!r} ({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer{bound}, got {value}")
    return int(value)


def check_choice(name: str, value: Any, choices: Collection[Any]) -> None:
    """``ValueError`` unless ``value`` is one of ``choices`` (which the message lists)."""
    if value not in choices:
        listing = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listing}, got {value!r}")


def check_ndim(name: str, value: Any, ndim: int | Sequence[int], what: str = "") -> None:
    """``ValueError`` unless ``value`` has (one of) the given number(s) of axes."""
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    shape = np.shape(value)
    if len(shape) not in allowed:
        expectation = what or " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{name} must be {expectation}, got shape {shape}")


def check_same_length(**arrays: Any) -> int:
    """``ValueError`` unless all arrays have the same leading length; returns that length."""
    lengths = {name: np.shape(value)[0] if np.ndim(value) else -1 for name, value in arrays.items()}
    if -1 in lengths.values() or len(set(lengths.values())) != 1:
        shown = ", ".join(f"{name}: {n if n >= 0 else 'a scalar'}" for name, n in lengths.items())
        raise ValueError(f"{', '.join(arrays)} must have the same number of rows, got {shown}")
    return next(iter(lengths.values()))
