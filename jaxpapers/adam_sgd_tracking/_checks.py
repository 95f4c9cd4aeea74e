"""Argument checks of the closed-form functions that hold eagerly and under ``jit``.

A concrete value is checked with :mod:`jaxpapers._validate` (``ValueError`` naming the argument).
A traced value cannot be inspected, so the check is compiled into the program with
``equinox.error_if``: a bad value raises at run time with the same wording instead of turning
into a plausible number (an infinite floor for a zero step, a finite bound for a negative
curvature).
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from jaxpapers import _validate

__all__ = ["positive", "within"]


def positive(name: str, value: Any) -> jax.Array:
    """``value`` (as an array), checked to be finite and > 0 eagerly or inside ``jit``."""
    if _validate.is_concrete(value):
        _validate.check_positive(name, value)
        return jnp.asarray(value)
    value = jnp.asarray(value)
    bad = jnp.any(~jnp.isfinite(value) | (value <= 0))
    return eqx.error_if(value, bad, f"{name} must be > 0 and finite")


def within(name: str, value: Any, *, low: float, high: float, high_open: bool = False) -> jax.Array:
    """``value`` checked to lie in ``[low, high]`` (or ``[low, high)``), eagerly or in ``jit``."""
    if _validate.is_concrete(value):
        _validate.check_range(name, value, low=low, high=high, high_open=high_open)
        return jnp.asarray(value)
    value = jnp.asarray(value)
    above = value >= high if high_open else value > high
    bad = jnp.any(~jnp.isfinite(value) | (value < low) | above)
    interval = f"[{low:g}, {high:g}{')' if high_open else ']'}"
    return eqx.error_if(value, bad, f"{name} must lie in {interval}")
