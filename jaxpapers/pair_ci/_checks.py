"""Argument checks of the public entry points (wording of :mod:`jaxpapers._validate`).

Shapes and dtypes are always checked (they are static under ``jit``); values only when they are
concrete. Under ``jit`` a bad value cannot raise, so the tests flag it instead: the cache's
``valid`` is False and every p-value is NaN (:func:`jaxpapers.pair_ci._impute.values_ok`).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

import jax.numpy as jnp
from jaxtyping import Array, Int

from jaxpapers import _validate
from jaxpapers.pair_ci._types import Config

__all__ = [
    "check_cardinalities",
    "check_data",
    "check_folds",
    "check_no_constant_column",
    "column_index",
    "conditioning_set",
]


def check_data(data: Any, cardinalities: tuple[int, ...] | None = None, name: str = "data"):
    """2-D floating data; concrete values are finite or NaN (missing), discrete ones codes."""
    _validate.check_ndim(name, data, 2, "a 2-D (n, p) array")
    if not jnp.issubdtype(data.dtype, jnp.floating):
        raise TypeError(
            f"{name} must be floating point with NaN for missing cells, got {data.dtype}"
        )
    values = _validate.as_concrete(name, data)
    if values is None:
        return
    missing = np.isnan(values)
    empty = np.flatnonzero(missing.all(axis=0))
    if empty.size:
        raise ValueError(
            f"{name} must have an observed cell in every column, got all-NaN column(s) "
            f"{empty.tolist()}: nothing to impute from"
        )
    infinite = np.argwhere(np.isinf(values))
    if infinite.size:
        row, column = (int(v) for v in infinite[0])
        raise ValueError(
            f"{name} must hold finite values, or NaN for missing cells, got "
            f"{len(infinite)} inf cell(s) (first at row {row}, column {column})"
        )
    if cardinalities is not None:
        _check_codes(name, values, missing, cardinalities)


def _check_codes(name, values, missing, cardinalities):
    limit = np.asarray(cardinalities)[None, :]
    bad = ~missing & ((values != np.round(values)) | (values < 0) | (values >= limit))
    if bad.any():
        row, column = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(
            f"{name}[:, {column}] must hold integer state codes in [0, {cardinalities[column]}) "
            f"(cardinalities[{column}] = {cardinalities[column]}), got {values[row, column]:g} "
            f"at row {row} ({int(bad.sum())} bad cell(s) in all)"
        )


def check_no_constant_column(data: Any, name: str = "data") -> None:
    """A concrete column whose observed cells all hold one value carries no information."""
    values = _validate.as_concrete(name, data)
    if values is None:
        return
    with np.errstate(invalid="ignore"):
        spread = np.nanmax(values, axis=0) - np.nanmin(values, axis=0)
    constant = np.flatnonzero(spread == 0)
    if constant.size:
        raise ValueError(
            f"{name} must vary in every column (a constant variable cannot be tested for "
            f"dependence; drop it), got constant column(s) {constant.tolist()}"
        )


def check_cardinalities(cardinalities: Any, p: int, learner: str) -> None:
    """``cardinalities`` goes with the categorical learner: p integers ≥ 2."""
    if (learner == "categorical") != (cardinalities is not None):
        raise ValueError(
            "cardinalities must be given with learner='categorical' and only with it, got "
            f"learner={learner!r}, cardinalities={cardinalities!r}"
        )
    if cardinalities is None:
        return
    if not isinstance(cardinalities, tuple) or len(cardinalities) != p:
        raise ValueError(f"cardinalities must be a tuple of {p} integers, got {cardinalities!r}")
    for j, count in enumerate(cardinalities):
        _validate.check_integer(f"cardinalities[{j}]", count, minimum=2)


def check_folds(n: int, config: Config) -> None:
    if n < 2 * config.n_folds:
        raise ValueError(
            f"data must have at least {2 * config.n_folds} rows (2 per fold for "
            f"n_folds={config.n_folds}), got {n}"
        )


def column_index(name: str, value: Any, p: int) -> Int[Array, ""]:
    """An integer column index in [0, p): a Python/numpy int or a 0-d integer array."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        if not jnp.issubdtype(dtype, jnp.integer) or np.ndim(value) != 0:
            raise TypeError(
                f"{name} must be an integer column index, got {dtype} of shape {np.shape(value)}"
            )
    elif isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer column index, got {value!r}")
    concrete = _validate.as_concrete(name, value)
    if concrete is not None and not 0 <= int(concrete) < p:
        raise ValueError(f"{name} must index a column in [0, {p}), got {int(concrete)}")
    return jnp.asarray(value, jnp.int32)


def conditioning_set(cond_set: Sequence[int] | Any, p: int, x: Any, y: Any) -> Int[Array, " s"]:
    """Integer indices in [0, p), distinct, without x and y (checked when concrete)."""
    if isinstance(cond_set, Sequence) and len(cond_set) == 0:
        cond_set = np.zeros(0, np.int32)
    dtype = getattr(cond_set, "dtype", None)
    dtype = np.asarray(cond_set).dtype if dtype is None else dtype
    if not jnp.issubdtype(dtype, jnp.integer):
        raise TypeError(f"cond_set must hold integer column indices, got {cond_set!r}")
    values = _validate.as_concrete("cond_set", cond_set)
    if values is not None and _validate.is_concrete((x, y)):
        _check_distinct(values.reshape(-1).tolist(), int(x), int(y), p)
    return jnp.asarray(cond_set, jnp.int32).reshape(-1)


def _check_distinct(cond: list[int], x: int, y: int, p: int) -> None:
    for i, c in enumerate(cond):
        if not 0 <= c < p:
            raise ValueError(f"cond_set[{i}] must index a column in [0, {p}), got {c}")
    if x == y:
        raise ValueError(f"x and y must be different variables, got x == y == {x}")
    if x in cond or y in cond:
        raise ValueError(f"cond_set must not contain x ({x}) or y ({y}), got {cond}")
    if len(set(cond)) != len(cond):
        raise ValueError(f"cond_set must hold distinct indices, got repeated ones in {cond}")
