"""Eager checks of the two samples, with the wording ``NAME must be EXPECTATION, got GIVEN``.

Shapes are checked always (they are static under ``jit``); values (NaN, rank) only when the
arrays are concrete. Inside a user's ``jit`` a singular design or a failed tilt shows up as
``Result.converged = False`` instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array

from jaxpapers import _validate
from jaxpapers.transfer_regression._features import feature_matrix
from jaxpapers.transfer_regression._types import ESTIMATORS, Config, Result

__all__ = ["DegenerateWeightsWarning", "check_samples", "warn_if_degenerate"]


class DegenerateWeightsWarning(UserWarning):
    """The density-ratio weights rest on few source rows, or the tilt failed (see ESS)."""


def _unpack(name: str, value: Any, names: Sequence[str]) -> list[Any]:
    if not isinstance(value, tuple | list):
        raise TypeError(f"{name} must be a tuple ({', '.join(names)}), got {type(value).__name__}")
    if len(value) != len(names):
        raise TypeError(
            f"{name} must be a tuple ({', '.join(names)}), got a {type(value).__name__} of "
            f"length {len(value)}"
        )
    return list(value)


def _dtype(arrays) -> Any:
    dtypes = [jnp.asarray(a).dtype for a in arrays]
    floats = [d for d in dtypes if jnp.issubdtype(d, jnp.floating)]
    if not floats:
        return jnp.zeros(()).dtype  # the default float
    with jax.numpy_dtype_promotion("standard"):
        return jnp.result_type(*floats)


def _rank(matrix: np.ndarray, dtype) -> int:
    """Numerical rank after scaling the columns to unit root-mean-square."""
    rms = np.sqrt(np.mean(matrix**2, axis=0))
    scaled = matrix / np.where(rms > 0, rms, 1.0)
    singular = np.linalg.svd(scaled, compute_uv=False)
    tol = singular.max(initial=0.0) * max(scaled.shape) * np.finfo(dtype).eps
    return int(np.sum(singular > tol))


def _check_full_rank(name: str, columns: Sequence[Any], what: str, dtype) -> None:
    array = np.concatenate([np.reshape(np.asarray(c, np.float64), (len(c), -1)) for c in columns],
                           axis=1)  # fmt: skip
    array = np.concatenate([np.ones((array.shape[0], 1)), array], axis=1)
    rank = _rank(array, dtype)
    if rank < array.shape[1]:
        raise ValueError(
            f"{name} must have full column rank, got rank {rank} < {array.shape[1]} columns of "
            f"{what} (a column is constant or a combination of the others: a singular design)"
        )


def _check_values(source, target, config: Config) -> None:
    (y_s, x_s, z_s), (y_t, x_t) = source, target
    for name, value in (("source y", y_s), ("source x", x_s), ("source z", z_s),
                        ("target y", y_t), ("target x", x_t)):  # fmt: skip
        _validate.check_finite(name, value)
    dtype = y_s.dtype
    _check_full_rank("the source design", [x_s, z_s], "(1, x, z)", dtype)
    ratio = [
        np.concatenate([feature_matrix(config.ratio_features, y_s, x_s),
                        feature_matrix(config.ratio_features, y_t, x_t)])
    ]  # fmt: skip
    _check_full_rank("the density-ratio features", ratio, "(1, f(y, x)) on both samples", dtype)
    imputation = [feature_matrix(config.imputation_features, y_s, x_s)]
    _check_full_rank("the imputation features", imputation, "(1, f(y, x)) on the source", dtype)


def _check_shapes(source, target, config: Config) -> None:
    (y_s, x_s, z_s), (y_t, x_t) = source, target
    for name, value, ndim in (("source y", y_s, 1), ("source x", x_s, 2), ("source z", z_s, 2),
                              ("target y", y_t, 1), ("target x", x_t, 2)):  # fmt: skip
        _validate.check_ndim(name, value, ndim, "1-D (n,)" if ndim == 1 else "2-D (n, columns)")
    n_s = _validate.check_same_length(source_y=y_s, source_x=x_s, source_z=z_s)
    n_t = _validate.check_same_length(target_y=y_t, target_x=x_t)
    p, q = x_s.shape[1], z_s.shape[1]
    if x_t.shape[1] != p:
        raise ValueError(f"target x must have {p} column(s) like the source x, got {x_t.shape[1]}")
    if q < 1:
        raise ValueError(f"source z must have at least 1 column, got shape {z_s.shape}")
    row = (jax.ShapeDtypeStruct((), y_s.dtype), jax.ShapeDtypeStruct((p,), x_s.dtype))
    k_ratio = jax.eval_shape(config.ratio_features, *row).shape[0]
    k_imp = jax.eval_shape(config.imputation_features, *row).shape[0]
    needed = max(1 + p + q, 1 + k_ratio, 1 + k_imp) + 1
    if n_s < needed:
        raise ValueError(
            f"the source must have at least {needed} rows (more than the {needed - 1} "
            f"parameters of the largest model: 1 + p + q = {1 + p + q} coefficients, "
            f"{1 + k_ratio} tilt and {1 + k_imp} imputation features), got {n_s}"
        )
    if n_t < 2 + k_ratio:
        raise ValueError(
            f"the target must have at least {2 + k_ratio} rows (more than the {1 + k_ratio} "
            f"density-ratio features it calibrates), got {n_t}"
        )


def check_samples(
    source: Any, target: Any, config: Config, estimator: str
) -> tuple[tuple[Array, Array, Array], tuple[Array, Array]]:
    """Validate and cast (y, x, z) and (y, x) to one float dtype; returns the two tuples."""
    _validate.check_choice("estimator", estimator, ESTIMATORS)
    if not isinstance(config, Config):
        raise TypeError(f"config must be a transfer_regression.Config, got {type(config)}")
    source = _unpack("source", source, ("y", "x", "z"))
    target = _unpack("target", target, ("y", "x"))
    names = ("source y", "source x", "source z", "target y", "target x")
    for name, value in zip(names, source + target, strict=True):
        if _validate.is_concrete(value):
            _validate.as_concrete(name, value)  # TypeError for non-numeric input
    dtype = _dtype(source + target)
    arrays = [jnp.asarray(a, dtype) for a in source + target]
    source, target = (arrays[0], arrays[1], arrays[2]), (arrays[3], arrays[4])
    _check_shapes(source, target, config)
    if _validate.is_concrete(arrays):
        with jax.ensure_compile_time_eval():  # concrete data closed over inside a user's jit
            _check_values(source, target, config)
    return source, target


def warn_if_degenerate(result: Result, estimator: str, n_source: int, config: Config) -> None:
    """A :class:`DegenerateWeightsWarning` naming the ESS when ŵ is degenerate or failed."""
    if estimator not in ("ipw", "dr") or not _validate.is_concrete(result):
        return
    ess, steps = float(result.ess), int(result.num_steps)
    share = f"effective sample size {ess:.1f} of {n_source} source rows ({ess / n_source:.1%})"
    if not bool(result.converged):
        warnings.warn(
            f"the {estimator} estimate is not usable (Result.converged is False): {share}; the "
            f"exponential tilt stopped after {steps} Newton step(s) without balancing the "
            "target's feature means (the target's (y, x) may lie outside the source's "
            "support) or the moment matrix is singular",
            DegenerateWeightsWarning,
            stacklevel=3,
        )
    elif ess < config.min_ess_fraction * n_source:
        warnings.warn(
            f"density-ratio weights are degenerate: {share}, below "
            f"Config.min_ess_fraction = {config.min_ess_fraction:g}; the {estimator} estimate "
            "rests on few source rows and its standard error may be unreliable",
            DegenerateWeightsWarning,
            stacklevel=3,
        )
