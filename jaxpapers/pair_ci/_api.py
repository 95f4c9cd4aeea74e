"""Public entry points: one PAIR-CI test, and the CI testers that :func:`pc` batches.

Three names, three jobs:

* :func:`pair_ci_test` — one test of X_x ⊥ X_y | X_S on raw data (imputes, then tests; one
  direction, candidate x and target y);
* :func:`pair_ci_tester` — a :class:`CITest` for :func:`pc`: imputes once per data set and
  tests both directions of every (x, y, S) PC asks about against that cache;
* :func:`pair_ci_directed` — the pure statistic of one direction on a cache (what both call).

A :class:`CITest` bundles a pure per-test function ``fn(state, x, y, cond_set, cond_mask) ->
(pvalue, converged)`` with the arrays it reads (``state``); the ``*_tester`` builders do the
per-data-set work once (PAIR-CI's K × m imputations, a correlation matrix).

The two PAIR-CI entry points jit their work (they are drivers, with ``Config`` static); every
function they call is pure and can be used inside a user's own ``jit``/``vmap``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Literal, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.pair_ci import _checks
from jaxpapers.pair_ci._baselines import fisher_z_from_correlation, g_test
from jaxpapers.pair_ci._impute import impute_chained, impute_folds
from jaxpapers.pair_ci._statistic import pair_ci_directed, pvalue_for_pc
from jaxpapers.pair_ci._types import Config, Result

DEFAULT_CONFIG = Config()

__all__ = [
    "CITest",
    "fisher_z_tester",
    "g_tester",
    "impute_then_tester",
    "pair_ci_test",
    "pair_ci_tester",
]


class CITest(NamedTuple):
    """A CI test ready for batching: ``fn(state, x, y, cond_set, cond_mask)`` and its state.

    ``fn`` is pure, written for one test (PC vmaps and shards it), and returns ``(pvalue,
    converged)``; ``state`` is a pytree of arrays shared by all tests; ``n_vars`` is the number
    of variables.
    """

    fn: Callable[..., tuple[Array, Array]]
    state: Any
    n_vars: int


@functools.partial(jax.jit, static_argnames=("config", "cardinalities"))
def _pair_ci_test_jit(key, data, x, y, cond_set, config, cardinalities):
    exclude = None
    if not config.impute_with_target:  # citest-style scope: the target predicts nothing
        exclude = jnp.zeros(data.shape[1], bool).at[y].set(True)
    cache = impute_folds(key, data, config, cardinalities, exclude)
    n_states = max(cardinalities) if cardinalities else 0
    mask = jnp.ones(cond_set.shape, bool)
    return pair_ci_directed(cache, x, y, cond_set, mask, config, n_states)


def pair_ci_test(
    key: PRNGKey,
    data: Float[Array, "n p"],
    x: int | Int[Array, ""],
    y: int | Int[Array, ""],
    cond_set: Sequence[int] | Int[Array, " s"],
    *,
    n_imputations: int = 5,
    n_folds: int = 5,
    learner: Literal["linear", "rff", "categorical"] = "linear",
    config: Config | None = None,
    cardinalities: tuple[int, ...] | None = None,
) -> Result:
    """PAIR-CI test of H0: X_x ⊥ X_y | X_S on data with missing values (NaN).

    Imputes the whole matrix K × m times (imputer fitted on each fold's training rows, every
    variable as predictor), fits the paired full/null models per fold and imputation, and pools
    the fold means by Rubin's rules with Nadeau–Bengio within-variance and Barnard–Rubin ν
    (:mod:`jaxpapers.pair_ci._statistic`; Robinson & Lall 2026, arXiv:2605.04838).

    Args:
        key: randomness of folds, imputations, permutations and learners.
        data: ``(n, p)`` floats, NaN = missing; discrete columns hold codes 0..C−1.
        x: candidate variable index (an integer).
        y: target variable index.
        cond_set: conditioning-set indices (may be empty).
        n_imputations: m, completed data sets per fold (shortcut for the :class:`Config` field;
            ignored when ``config`` is given).
        n_folds: K, cross-fitting folds (shortcut for the :class:`Config` field; ignored when
            ``config`` is given).
        learner: ``"linear"``, ``"rff"`` or ``"categorical"`` (shortcut for the
            :class:`Config` field; ignored when ``config`` is given).
        config: full settings.
        cardinalities: states per column when the data are discrete (``learner="categorical"``).

    Returns:
        :class:`Result` with ``statistic`` and the one-sided ``pvalue`` (one direction;
        :func:`symmetric_pvalue` combines both). Under ``jit``, bad values (inf, codes outside
        the cardinalities) give NaN and ``valid=False``; eagerly they raise ``ValueError``.

    Examples:
        >>> import jax
        >>> from jaxpapers.pair_ci import pair_ci_test, simulate_confounder
        >>> data = simulate_confounder(jax.random.key(0), 500, mechanism="mnar")
        >>> res = pair_ci_test(jax.random.key(1), data, 1, 0, [2, 3])
        >>> bool(res.pvalue > 0.05), bool(res.converged)
        (True, True)
    """
    if config is None:
        config = Config(n_folds=n_folds, n_imputations=n_imputations, learner=learner)
    _checks.check_data(data, cardinalities)
    n, p = data.shape
    x = _checks.column_index("x", x, p)
    y = _checks.column_index("y", y, p)
    cond_set = _checks.conditioning_set(cond_set, p, x, y)
    _checks.check_folds(n, config)
    _checks.check_cardinalities(cardinalities, p, config.learner)
    return _pair_ci_test_jit(key, data, x, y, cond_set, config, cardinalities)


@functools.partial(jax.jit, static_argnames=("config", "cardinalities"))
def _impute_folds_jit(key, data, config, cardinalities):
    return impute_folds(key, data, config, cardinalities)


def pair_ci_tester(
    key: PRNGKey,
    data: Float[Array, "n p"],
    config: Config = DEFAULT_CONFIG,
    cardinalities: tuple[int, ...] | None = None,
) -> CITest:
    """PAIR-CI for :func:`pc`: imputes once (K × m completed data sets), shared by every test.

    Each test is symmetrised when ``config.symmetric`` (:func:`symmetric_pvalue`). The
    imputation cache is ``tester.state`` (its ``converged`` flags report the imputer).

    Examples:
        >>> import jax
        >>> from jaxpapers.pair_ci import Config, pair_ci_tester, pc, simulate_confounder
        >>> data = simulate_confounder(jax.random.key(0), 500, mechanism="mnar", beta=1.0)
        >>> tester = pair_ci_tester(jax.random.key(1), data, Config(n_folds=5, n_imputations=3))
        >>> bool(pc(data, tester, max_cond_set_size=1).skeleton[0, 1])  # Y ← X is found
        True
    """
    _checks.check_data(data, cardinalities)
    _checks.check_no_constant_column(data)
    _checks.check_folds(data.shape[0], config)
    _checks.check_cardinalities(cardinalities, data.shape[1], config.learner)
    if not config.impute_with_target:
        raise ValueError(
            "config.impute_with_target must be True in pair_ci_tester (False needs a per-test "
            "imputation; the cached tester of a PC run imputes once with every variable)"
        )
    cache = _impute_folds_jit(key, data, config, cardinalities)
    n_states = max(cardinalities) if cardinalities else 0
    return CITest(_pair_ci_fn(config, n_states), cache, data.shape[1])


@functools.lru_cache(maxsize=64)
def _pair_ci_fn(config: Config, n_states: int) -> Callable[..., tuple[Array, Array]]:
    # One function object per (config, n_states): PC's compiled batch is reused across data sets.
    return functools.partial(pvalue_for_pc, config=config, n_states=n_states)


def _fisher_fn(state, x, y, cond_set, cond_mask):
    correlation, n = state
    result = fisher_z_from_correlation(correlation, n, x, y, cond_set, cond_mask)
    return result.pvalue, jnp.asarray(True)


def fisher_z_tester(data: Float[Array, "n p"]) -> CITest:
    """Fisher-z for :func:`pc` on complete data (the correlation matrix is computed once)."""
    _checks.check_data(data)
    if _validate.is_concrete(data) and bool(jnp.any(jnp.isnan(data))):
        raise ValueError(
            "data must be complete for fisher_z_tester, got NaN cells; impute first "
            "(impute_then_tester)"
        )
    _checks.check_no_constant_column(data)
    correlation = jnp.corrcoef(data, rowvar=False)
    return CITest(_fisher_fn, (correlation, jnp.asarray(data.shape[0])), data.shape[1])


@functools.lru_cache(maxsize=16)
def _g_fn(n_states: int) -> Callable[..., tuple[Array, Array]]:
    return functools.partial(_g_state_fn, n_states=n_states)


def _g_state_fn(data, x, y, cond_set, cond_mask, *, n_states):
    return g_test(data, x, y, cond_set, cond_mask, n_states), jnp.asarray(True)


def g_tester(data: Float[Array, "n p"], cardinalities: tuple[int, ...]) -> CITest:
    """G-test for :func:`pc` on complete discrete data (codes 0..C−1)."""
    _checks.check_data(data, cardinalities)
    _checks.check_cardinalities(cardinalities, data.shape[1], "categorical")
    _checks.check_no_constant_column(data)
    return CITest(_g_fn(max(cardinalities)), data, data.shape[1])


@functools.partial(jax.jit, static_argnames=("config", "cardinalities"))
def _impute_once(key, data, config, cardinalities):
    return impute_chained(key, data, jnp.ones(data.shape[0], bool), config, cardinalities)[0]


def impute_then_tester(
    key: PRNGKey,
    data: Float[Array, "n p"],
    config: Config = DEFAULT_CONFIG,
    cardinalities: tuple[int, ...] | None = None,
) -> CITest:
    """The naive baseline for :func:`pc`: one proper imputation, then Fisher-z (or G-test).

    The imputation uses every variable and every row (spec §8 C3: "one proper
    Bayesian-regression imputation ... on all rows"; discrete data: the multinomial logistic
    imputer).
    """
    _checks.check_data(data, cardinalities)
    if cardinalities is not None:
        _checks.check_cardinalities(cardinalities, data.shape[1], "categorical")
    completed = _impute_once(key, data, config, cardinalities)
    if cardinalities is None:
        return fisher_z_tester(completed)
    return g_tester(completed, cardinalities)
