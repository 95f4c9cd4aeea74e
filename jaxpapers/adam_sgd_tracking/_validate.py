"""Eager argument checks: clear errors for bad step sizes, betas and non-finite inputs.

Checks run only on concrete values; inside a user's ``jit`` the values are tracers and are
passed through unchecked (as optax does), so the functions stay traceable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import jax

__all__ = ["check_beta", "check_finite", "check_hyperparams", "check_nonnegative"]


def _concrete(value: Any) -> np.ndarray | None:
    if isinstance(value, jax.core.Tracer):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"expected a real number or array, got {type(value).__name__}") from error


def check_finite(name: str, value: Any) -> None:
    """Raise ``ValueError`` when ``value`` holds NaN or inf."""
    array = _concrete(value)
    if array is not None and not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite, got {_show(array)}")


def check_nonnegative(name: str, value: Any) -> None:
    """Raise ``ValueError`` unless every entry of ``value`` is finite and >= 0."""
    check_finite(name, value)
    array = _concrete(value)
    if array is not None and (array < 0).any():
        raise ValueError(f"{name} must be >= 0, got {_show(array)}")


def check_beta(name: str, value: Any) -> None:
    """Raise ``ValueError`` unless every entry of ``value`` lies in [0, 1)."""
    check_finite(name, value)
    array = _concrete(value)
    if array is not None and ((array < 0) | (array >= 1)).any():
        raise ValueError(f"{name} must lie in [0, 1), got {_show(array)}")


def check_hyperparams(hyper: Any) -> None:
    """Check a :class:`Hyperparams`: step size >= 0, betas in [0, 1), eps >= 0."""
    check_nonnegative("learning_rate (the step size alpha)", hyper.learning_rate)
    check_beta("beta1", hyper.beta1)
    check_beta("beta2", hyper.beta2)
    check_nonnegative("eps", hyper.eps)


def _show(array: np.ndarray) -> str:
    if array.ndim == 0:
        return repr(float(array))
    shown = ", ".join(f"{x:.4g}" for x in array.ravel()[:6])
    return f"an array of shape {array.shape} holding [{shown}{', ...' if array.size > 6 else ''}]"
