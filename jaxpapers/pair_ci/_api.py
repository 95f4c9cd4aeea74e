"""Public entry points: one PAIR-CI test, and the CI testers that :func:`pc` batches.

A :class:`CITest` bundles a pure per-test function ``pvalue(state, x, y, cond_set, cond_mask)``
with the arrays it reads (``state``). Builders do the per-data-set work once (PAIR-CI's K × m
imputations, a correlation matrix) so that every test of a PC run reuses it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from jaxpapers._typing import PRNGKey
from jaxpapers.pair_ci._baselines import fisher_z_from_correlation, g_test
from jaxpapers.pair_ci._impute import chained_imputation, impute_folds
from jaxpapers.pair_ci._test import pair_ci_from_cache, pair_ci_pvalue
from jaxpapers.pair_ci._types import Config, PairCIResult

DEFAULT_CONFIG = Config()

__all__ = [
    "CITest",
    "fisher_z_tester",
    "g_tester",
    "impute_then_test",
    "pair_ci_test",
    "pair_ci_tester",
]


class CITest(NamedTuple):
    """A batched-ready CI test: ``pvalue(state, x, y, cond_set, cond_mask) -> p`` and its state.

    ``pvalue`` must be pure and written for one test (PC vmaps and shards it); ``state`` is a
    pytree of arrays shared by all tests; ``n_vars`` is the number of variables.
    """

    pvalue: Callable[..., Array]
    state: Any
    n_vars: int


def _is_concrete(value: Any) -> bool:
    return not isinstance(value, jax.core.Tracer)


def validate_data(data: Any, name: str = "data") -> None:
    """Shape/dtype checks, and (for concrete data) no all-missing column."""
    if not hasattr(data, "shape") or len(data.shape) != 2:
        raise ValueError(
            f"{name} must be a 2-D (n, p) array, got shape {getattr(data, 'shape', None)}"
        )
    if not jnp.issubdtype(data.dtype, jnp.floating):
        raise TypeError(
            f"{name} must be floating point with NaN for missing cells, got {data.dtype}"
        )
    if _is_concrete(data):
        empty = np.flatnonzero(np.all(np.isnan(np.asarray(data)), axis=0))
        if empty.size:
            raise ValueError(
                f"{name} has all-NaN column(s) {empty.tolist()}: nothing to impute from"
            )


def validate_indices(p: int, x: Any, y: Any, cond_set: Any) -> None:
    """x, y, cond_set must be distinct, in range, and disjoint (checked when concrete)."""
    values = [x, y, cond_set]
    if not all(_is_concrete(v) for v in values):
        return
    x, y = int(x), int(y)
    cond = [int(c) for c in np.asarray(cond_set).reshape(-1)]
    for label, index in [("x", x), ("y", y)] + [(f"cond_set[{i}]", c) for i, c in enumerate(cond)]:
        if not 0 <= index < p:
            raise ValueError(f"{label} must index a column in [0, {p}), got {index}")
    if x == y:
        raise ValueError(f"x and y must be different variables, got x == y == {x}")
    if x in cond or y in cond:
        raise ValueError(f"cond_set must not contain x ({x}) or y ({y}), got {cond}")
    if len(set(cond)) != len(cond):
        raise ValueError(f"cond_set has repeated indices: {cond}")


def _check_folds(n: int, config: Config) -> None:
    if n < 2 * config.n_folds:
        raise ValueError(
            f"data has {n} rows, fewer than 2 per fold for n_folds={config.n_folds}; "
            f"need at least {2 * config.n_folds} rows"
        )


@functools.partial(jax.jit, static_argnames=("config", "cardinalities"))
def _pair_ci_test_jit(key, data, x, y, cond_set, config, cardinalities):
    exclude = None
    if not config.impute_with_target:  # citest-style scope: the target predicts nothing
        exclude = jnp.zeros(data.shape[1], bool).at[y].set(True)
    cache = impute_folds(key, data, config, cardinalities, exclude)
    n_states = max(cardinalities) if cardinalities else 0
    mask = jnp.ones(cond_set.shape, bool)
    return pair_ci_from_cache(cache, x, y, cond_set, mask, config, n_states)


def pair_ci_test(
    key: PRNGKey,
    data: Float[Array, "n p"],
    x: int | Int[Array, ""],
    y: int | Int[Array, ""],
    cond_set: Sequence[int] | Int[Array, " s"],
    *,
    n_imputations: int = 5,
    n_folds: int = 5,
    learner: str = "linear",
    config: Config | None = None,
    cardinalities: tuple[int, ...] | None = None,
) -> PairCIResult:
    """PAIR-CI test of H0: X_x ⊥ X_y | X_S on data with missing values (NaN).

    Imputes the whole matrix K × m times (imputer fitted on each fold's training rows, every
    variable as predictor), fits the paired full/null models per fold and imputation, and pools
    the fold means by Rubin's rules with Nadeau–Bengio within-variance and Barnard–Rubin ν
    (module :mod:`jaxpapers.pair_ci._test`; Robinson & Lall 2026, arXiv:2605.04838).

    Args:
        key: randomness of folds, imputations, permutations and learners.
        data: ``(n, p)`` floats, NaN = missing; discrete columns hold codes 0..C−1.
        x: candidate variable index; y: target variable index.
        cond_set: conditioning-set indices (may be empty).
        n_imputations, n_folds, learner: shortcuts for the corresponding :class:`Config` fields
            (ignored when ``config`` is given).
        config: full settings.
        cardinalities: states per column when the data are discrete (``learner="categorical"``).

    Returns:
        :class:`PairCIResult` with ``statistic`` and one-sided ``pvalue``. One direction only;
        :func:`symmetric_pvalue` combines both.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from jaxpapers.pair_ci import pair_ci_test, simulate_confounder
        >>> data = simulate_confounder(jax.random.key(0), 500, mechanism="mnar")
        >>> res = pair_ci_test(jax.random.key(1), data, 1, 0, [2, 3])
        >>> bool(res.pvalue > 0.05)
        True
    """
    if config is None:
        config = Config(n_folds=n_folds, n_imputations=n_imputations, learner=learner)
    validate_data(data)
    cond_set = jnp.asarray(cond_set, jnp.int32).reshape(-1)
    validate_indices(data.shape[1], x, y, cond_set)
    _check_folds(data.shape[0], config)
    _check_learner(config, cardinalities, data.shape[1])
    x, y = jnp.asarray(x, jnp.int32), jnp.asarray(y, jnp.int32)
    return _pair_ci_test_jit(key, data, x, y, cond_set, config, cardinalities)


def _check_learner(config: Config, cardinalities, p: int) -> None:
    if (config.learner == "categorical") != (cardinalities is not None):
        raise ValueError(
            "learner='categorical' needs cardinalities= (states per column), and other learners "
            f"need continuous data (cardinalities=None); got learner={config.learner!r}, "
            f"cardinalities={cardinalities!r}"
        )
    if cardinalities is not None and len(cardinalities) != p:
        raise ValueError(f"cardinalities has {len(cardinalities)} entries for {p} columns")


@functools.partial(jax.jit, static_argnames=("config", "cardinalities"))
def _impute_folds_jit(key, data, config, cardinalities):
    return impute_folds(key, data, config, cardinalities)


def pair_ci_tester(
    key: PRNGKey,
    data: Float[Array, "n p"],
    config: Config = DEFAULT_CONFIG,
    cardinalities: tuple[int, ...] | None = None,
) -> CITest:
    """PAIR-CI for :func:`pc`: imputes once (K × m completed data sets), shared by every test."""
    validate_data(data)
    _check_folds(data.shape[0], config)
    _check_learner(config, cardinalities, data.shape[1])
    if not config.impute_with_target:
        raise ValueError(
            "impute_with_target=False needs a per-test imputation; the cached tester of a PC "
            "run imputes once with every variable"
        )
    cache = _impute_folds_jit(key, data, config, cardinalities)
    n_states = max(cardinalities) if cardinalities else 0
    return CITest(_pair_ci_pvalue_fn(config, n_states), cache, data.shape[1])


@functools.lru_cache(maxsize=64)
def _pair_ci_pvalue_fn(config: Config, n_states: int) -> Callable[..., Array]:
    # One function object per (config, n_states): PC's compiled batch is reused across data sets.
    return functools.partial(_pair_ci_state_pvalue, config=config, n_states=n_states)


def _pair_ci_state_pvalue(cache, x, y, cond_set, cond_mask, *, config, n_states):
    return pair_ci_pvalue(cache, x, y, cond_set, cond_mask, config, n_states)


def _fisher_state_pvalue(state, x, y, cond_set, cond_mask):
    correlation, n = state
    return fisher_z_from_correlation(correlation, n, x, y, cond_set, cond_mask).pvalue


def fisher_z_tester(data: Float[Array, "n p"]) -> CITest:
    """Fisher-z for :func:`pc` on complete data (the correlation matrix is computed once)."""
    validate_data(data)
    if _is_concrete(data) and bool(jnp.any(jnp.isnan(data))):
        raise ValueError("fisher_z_tester needs complete data; impute first (impute_then_test)")
    correlation = jnp.corrcoef(data, rowvar=False)
    return CITest(_fisher_state_pvalue, (correlation, jnp.asarray(data.shape[0])), data.shape[1])


@functools.lru_cache(maxsize=16)
def _g_pvalue_fn(n_states: int) -> Callable[..., Array]:
    return functools.partial(_g_state_pvalue, n_states=n_states)


def _g_state_pvalue(data, x, y, cond_set, cond_mask, *, n_states):
    return g_test(data, x, y, cond_set, cond_mask, n_states)


def g_tester(data: Float[Array, "n p"], cardinalities: tuple[int, ...]) -> CITest:
    """G-test for :func:`pc` on complete discrete data."""
    validate_data(data)
    return CITest(_g_pvalue_fn(max(cardinalities)), data, data.shape[1])


@functools.partial(jax.jit, static_argnames=("config", "cardinalities"))
def _impute_once(key, data, config, cardinalities):
    return chained_imputation(key, data, jnp.ones(data.shape[0], bool), config, cardinalities)


def impute_then_test(
    key: PRNGKey,
    data: Float[Array, "n p"],
    config: Config = DEFAULT_CONFIG,
    cardinalities: tuple[int, ...] | None = None,
) -> CITest:
    """The naive baseline: one proper imputation of all rows, then Fisher-z (or G-test).

    The imputation uses every variable (spec §8 C3: "one proper Bayesian-regression imputation
    ... on all rows").
    """
    validate_data(data)
    completed = _impute_once(key, data, config, cardinalities)
    if cardinalities is None:
        return fisher_z_tester(completed)
    return g_tester(completed, cardinalities)
