"""Simplification and model selection with an information criterion (spec §5).

For one equation with candidate terms φ_1..φ_K (from the network's expression) and targets y:

1. τ sweep: STLSQ (:func:`jaxpapers.sparse.stlsq`, one ``vmap`` over the log-spaced τ grid) on
   the training rows keeps, at each τ, the terms whose normalised coefficient is at least τ times
   the largest; the distinct supports are the candidate models.
2. Refit: every free constant of a candidate (outer coefficients c_k, and inner constants such as
   K in (x + K)⁻¹ or the slope of a logistic) is refitted on the training rows: linear least
   squares when there are no inner constants, else Levenberg–Marquardt
   (:func:`scipy.optimize.least_squares`) from the network's values.
3. Score on the validation rows with AICc = M ln(RSS/M) + 2k + 2k(k+1)/(M − k − 1) (or BIC =
   M ln(RSS/M) + k ln M), k the number of free constants; the smallest wins, ties to fewer terms.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import scipy.optimize
import sympy

import jax
import jax.numpy as jnp

from jaxpapers import sparse
from jaxpapers.symbolic_regression._types import Config, SelectionRow

__all__ = ["Selection", "information_criterion", "select_terms", "sweep_supports"]


class Selection(NamedTuple):
    """The model chosen for one equation.

    Attributes:
        support: :func:`select_terms`: which columns are kept (boolean, one per column);
            :func:`simplify`: the kept term functions φ_k (SymPy).
        coefficients: c_k (:func:`select_terms`: zero for dropped columns).
        constants: unused (empty); inner constants are inside the support's terms.
        expression: the refitted expression (SymPy; None for :func:`select_terms`).
        criterion: its information criterion on the validation rows.
        table: every candidate model scored (spec §5 table), in order of increasing τ.
    """

    support: np.ndarray | tuple
    coefficients: np.ndarray
    constants: dict
    expression: sympy.Expr | None
    criterion: float
    table: tuple[SelectionRow, ...]


def information_criterion(rss: float, rows: int, k: int, kind: str = "aicc") -> float:
    """AICc (small-sample corrected AIC) or BIC of a Gaussian model with k constants.

    Examples:
        >>> round(information_criterion(2.0, 100, 3), 4)
        -384.9523
    """
    rss = max(float(rss), 1e-300)
    fit = rows * math.log(rss / rows)
    if kind == "bic":
        return fit + k * math.log(rows)
    correction = 2 * k * (k + 1) / (rows - k - 1) if rows - k - 1 > 0 else math.inf
    return fit + 2 * k + correction


@jax.jit
def _sweep(features, target, thresholds, active):
    fit = jax.vmap(lambda lam: sparse.stlsq(features, target, lam, active=active))
    return fit(thresholds).support


def sweep_supports(
    features: np.ndarray, target: np.ndarray, thresholds: np.ndarray
) -> list[tuple[float, np.ndarray]]:
    """Distinct STLSQ supports over ``thresholds`` (smallest τ first) as (τ, support) pairs.

    Columns are padded with zeros to a multiple of 16 (inactive), so designs of similar width
    share one compiled program.
    """
    rows, width = features.shape
    padded = -(-width // 16) * 16
    design = np.zeros((rows, padded), features.dtype)
    design[:, :width] = features
    active = np.arange(padded) < width
    with jax.enable_x64(True):
        supports = np.asarray(
            _sweep(jnp.asarray(design), jnp.asarray(target), jnp.asarray(thresholds), active)
        )[:, :width]
    found: list[tuple[float, np.ndarray]] = []
    for lam, support in zip(thresholds, supports, strict=True):
        if support.any() and not any(np.array_equal(support, s) for _, s in found):
            found.append((float(lam), support))
    return found


class _Fit(NamedTuple):
    coefficients: np.ndarray
    constants: np.ndarray
    predict: Callable[[np.ndarray], np.ndarray]  # rows -> predictions (response space)


def _linear_fit(features: np.ndarray, target: np.ndarray, train: np.ndarray) -> _Fit:
    coefficients = np.linalg.lstsq(features[train], target[train], rcond=None)[0]
    return _Fit(coefficients, np.zeros(0), lambda rows: features[rows] @ coefficients)


def _score(fit: _Fit, target, validation, k, kind) -> tuple[float, float]:
    residual = fit.predict(validation) - target[validation]
    rss = float(residual @ residual)
    return rss, information_criterion(rss, int(validation.sum()), k, kind)


def choose(
    supports: Sequence[tuple[float, np.ndarray]],
    fit_support: Callable[[float, np.ndarray], tuple[_Fit, int, str, int]],
    target: np.ndarray,
    validation: np.ndarray,
    kind: str,
) -> tuple[int, list[_Fit], tuple[SelectionRow, ...]]:
    """Fit and score every support; the index of the best (ties: fewer terms).

    ``fit_support(τ, support)`` returns (fit, k, text, number of terms)."""
    fits, rows = [], []
    for lam, support in supports:
        fit, k, text, terms = fit_support(lam, support)
        rss, score = _score(fit, target, validation, k, kind)
        fits.append(fit)
        rows.append(SelectionRow(lam, terms, k, rss, score, text))
    order = sorted(range(len(rows)), key=lambda i: (rows[i].criterion, rows[i].num_terms))
    return order[0], fits, tuple(rows)


def select_terms(
    key: jax.Array,
    features: np.ndarray,
    target: np.ndarray,
    config: Config = Config(),  # noqa: B008  (frozen, hashable)
) -> Selection:
    """Threshold sweep + least-squares refit + information criterion on a numeric library.

    Rows are split at random (``key``) into training and validation
    (``config.validation_fraction``); supports come from the τ sweep on the training rows, and
    the one with the smallest criterion on the validation rows wins.

    Examples:
        >>> import jax, numpy as np
        >>> rng = np.random.default_rng(0)
        >>> phi = rng.uniform(-2, 2, (300, 5))
        >>> y = 2 * phi[:, 0] - 3 * phi[:, 3] + 0.01 * rng.standard_normal(300)
        >>> chosen = select_terms(jax.random.key(0), phi, y)
        >>> chosen.support.tolist(), chosen.coefficients.round(2).tolist()
        ([True, False, False, True, False], [2.0, 0.0, 0.0, -3.0, 0.0])
    """
    features, target = np.asarray(features, np.float64), np.asarray(target, np.float64)
    validation = validation_rows(key, target.shape[0], config.validation_fraction)
    train = ~validation
    supports = sweep_supports(features[train], target[train], thresholds(config))

    def fit_support(_, support):
        fit = _linear_fit(features[:, support], target, train)
        count = int(support.sum())
        return fit, count, f"columns {np.flatnonzero(support).tolist()}", count

    best, fits, table = choose(supports, fit_support, target, validation, config.criterion)
    coefficients = np.zeros(features.shape[1])
    coefficients[supports[best][1]] = fits[best].coefficients
    return Selection(supports[best][1], coefficients, {}, None, table[best].criterion, table)


def thresholds(config: Config) -> np.ndarray:
    """The τ grid: ``config.thresholds`` values, log-spaced over ``threshold_range``."""
    low, high = config.threshold_range
    return np.logspace(np.log10(low), np.log10(high), config.thresholds)


def validation_rows(key: jax.Array, rows: int, fraction: float) -> np.ndarray:
    """A boolean mask of round(fraction · rows) validation rows drawn at random."""
    count = round(fraction * rows)
    chosen = np.asarray(jax.random.permutation(key, rows))[:count]
    mask = np.zeros(rows, bool)
    mask[chosen] = True
    return mask


def least_squares_refit(
    residual: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray,
    jacobian: Callable[[np.ndarray], np.ndarray] | str = "2-point",
) -> np.ndarray:
    """Levenberg–Marquardt from ``start`` (``start`` is returned if it fails)."""
    if start.size == 0:
        return start
    try:
        result = scipy.optimize.least_squares(
            residual,
            start,
            jac=jacobian,  # pyright: ignore[reportArgumentType]
            method="lm",
            max_nfev=20 * (start.size + 1),
        )
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):
        return start
    return result.x if np.all(np.isfinite(result.x)) else start
