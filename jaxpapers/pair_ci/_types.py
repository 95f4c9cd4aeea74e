"""Settings and result types of PAIR-CI and the PC algorithm."""

from __future__ import annotations

import dataclasses
from typing import Literal, NamedTuple

import numpy as np

import jax
from jaxtyping import Array, Bool, Float, Int

from jaxpapers import _validate

__all__ = ["Config", "ImputationCache", "PCResult", "Result"]

LEARNERS = ("linear", "rff", "categorical")


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of a PAIR-CI test (frozen and hashable: a static argument of ``jit``).

    Examples:
        >>> from jaxpapers.pair_ci import Config
        >>> Config(n_folds=10, n_imputations=10).n_folds
        10
        >>> Config(n_folds=1)
        Traceback (most recent call last):
        ...
        ValueError: Config.n_folds must be an integer >= 2, got 1
    """

    n_folds: int = 5
    """K, cross-validation folds (spec §3 step 1; citest's default is 10)."""
    n_imputations: int = 5
    """m, proper imputations per fold (spec §3 step 2; citest's default is 10)."""
    learner: Literal["linear", "rff", "categorical"] = "linear"
    """``"linear"`` (ridge, squared error), ``"rff"`` (ridge on random Fourier features,
    squared error; non-linear) or ``"categorical"`` (multinomial logistic regression on one-hot
    inputs, log-loss; discrete data with ``cardinalities``)."""
    null: Literal["permute", "drop"] = "permute"
    """The null model sees a permuted copy of the candidate (``"permute"``, citest) or none
    (``"drop"``: the candidate column is zeroed)."""
    score_rows: Literal["all", "observed_target"] = "all"
    """Score every test row (imputed targets cancel in the paired difference) or only rows
    whose target was observed."""
    ridge: float = 1e-3
    """Ridge penalty λ of the ``"linear"`` and ``"rff"`` learners (standardised features)."""
    rff_features: int = 60
    """Random Fourier features of the ``"rff"`` learner."""
    rff_scale: float = 1.0
    """Length scale of the ``"rff"`` kernel on standardised inputs."""
    logistic_ridge: float = 1.0
    """L2 penalty λ of every multinomial logistic fit (the ``"categorical"`` learner and the
    imputer of discrete columns); the intercepts are not penalised."""
    logistic_steps: int = 100
    """Cap on the majorisation–minimisation steps of each multinomial logistic fit."""
    logistic_tol: float = 1e-3
    """A logistic fit has converged when no coefficient moves by more than this (relative to
    1 + its size) in one step."""
    imputation_sweeps: int = 5
    """Sweeps of the chained-equations imputer over the incompletely observed columns."""
    imputation_ridge: float = 1e-6
    """Ridge stabiliser of the Gram matrices of the imputer's Bayesian linear regressions."""
    impute_with_target: bool = True
    """Impute with every variable, the tested pair included (the default; spec §7.2, §10).
    ``False`` leaves the target out of the imputation model of the other columns, as citest
    does; it breaks calibration under MNAR and is kept only to show why (spec check C6). It
    needs a per-test imputation, so :func:`pair_ci_tester` refuses it."""
    symmetric: bool = True
    """In :func:`pair_ci_tester` (PC), test both directions and combine
    ``p = min(1, 2 min(p_xy, p_yx))`` (spec §3 step 9)."""

    def __post_init__(self):
        _validate.check_integer("Config.n_folds", self.n_folds, minimum=2)
        for name in ("n_imputations", "rff_features", "logistic_steps", "imputation_sweeps"):
            _validate.check_integer(f"Config.{name}", getattr(self, name), minimum=1)
        _validate.check_choice("Config.learner", self.learner, LEARNERS)
        _validate.check_choice("Config.null", self.null, ("permute", "drop"))
        _validate.check_choice("Config.score_rows", self.score_rows, ("all", "observed_target"))
        for name in ("ridge", "rff_scale", "logistic_ridge", "logistic_tol"):
            _validate.check_positive(f"Config.{name}", getattr(self, name))
        _validate.check_range("Config.imputation_ridge", self.imputation_ridge, low=0.0)
        for name in ("impute_with_target", "symmetric"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"Config.{name} must be a bool, got {getattr(self, name)!r}")


class ImputationCache(NamedTuple):
    """Everything a PAIR-CI test needs that does not depend on the tested (x, y, S).

    Computed once per data set by :func:`impute_folds` and shared by every test of a PC run.

    Attributes:
        completed: ``(K, m, n, p)`` completed data sets; ``completed[k, b]`` is the b-th draw
            of an imputer fitted on the training rows of fold k.
        observed: ``(n, p)`` mask of the observed cells of the original data.
        fold: ``(n,)`` fold of each row.
        permutation: ``(K, n)`` row permutations; ``permutation[k]`` maps training rows of
            fold k to training rows and test rows to test rows (common random numbers, spec §3
            step 3).
        learner_keys: ``(K,)`` one learner key per fold, reused for every imputation and model.
        converged: ``(K, m)`` every conditional model of every sweep of that imputation chain
            was fitted: finite draws, and each multinomial logistic fit (discrete columns) met
            ``logistic_tol`` within ``logistic_steps``.
        num_steps: ``(K, m)`` sweeps the chain ran (``imputation_sweeps``: a chained-equations
            sampler has no fixed point to stop at, so it runs a set number of sweeps).
        valid: the data passed the value checks (finite or NaN cells; integer codes inside the
            cardinalities). Only ever False under ``jit``, where bad values cannot raise; the
            tests of an invalid cache return NaN.
    """

    completed: Float[Array, "K m n p"]
    observed: Bool[Array, "n p"]
    fold: Int[Array, " n"]
    permutation: Int[Array, "K n"]
    learner_keys: jax.Array
    converged: Bool[Array, "K m"]
    num_steps: Int[Array, "K m"]
    valid: Bool[Array, ""]


class Result(NamedTuple):
    """One PAIR-CI test of X_x ⊥ X_y | X_S, candidate x and target y (spec §3 steps 5–8).

    Attributes:
        statistic: t = Q̄ / √T.
        pvalue: one-sided p = P(T_ν > t); large when the candidate does not help. NaN when
            ``valid`` is False.
        estimate: Q̄, the pooled cross-validated loss reduction from adding the candidate.
        std_error: √T.
        df: Barnard–Rubin degrees of freedom ν.
        within: Ū, the mean Nadeau–Bengio-corrected cross-validation variance.
        between: B, the between-imputation variance of the per-imputation estimates.
        fold_means: ``(m, K)`` fold means ḡ_k^(b) of the loss differences.
        converged: every learner fit (2 K m of them) converged; closed-form learners always do
            unless a solve gives NaN.
        num_steps: the most iterations any learner fit took (1 for the closed-form learners).
        imputation_converged: every imputation chain of the cache converged
            (:attr:`ImputationCache.converged`).
        valid: the data passed the value checks (see :class:`ImputationCache`).
    """

    statistic: Float[Array, ""]
    pvalue: Float[Array, ""]
    estimate: Float[Array, ""]
    std_error: Float[Array, ""]
    df: Float[Array, ""]
    within: Float[Array, ""]
    between: Float[Array, ""]
    fold_means: Float[Array, "m K"]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]
    imputation_converged: Bool[Array, ""]
    valid: Bool[Array, ""]


class PCResult(NamedTuple):
    """Output of :func:`pc` (host numpy arrays: PC's control flow depends on the data).

    Attributes:
        skeleton: ``(p, p)`` symmetric adjacency.
        cpdag: ``(p, p)`` edge marks: ``cpdag[i, j] = 1`` and ``cpdag[j, i] = 0`` means i → j;
            both 1 means an undirected edge i — j.
        sepset: ``(p, p, max(max_cond_set_size, 1))`` separating set of each removed edge,
            padded with -1.
        removed: ``(p, p)`` whether the edge was removed by a CI test (its sepset is valid).
        max_pvalue: ``(p, p)`` largest p-value seen for the pair (NaN if never tested).
        n_tests: number of CI tests run (a symmetrised PAIR-CI test counts once).
        tests_per_level: tests run at each conditioning-set size.
        unconverged_tests: tests whose iterative learner fits did not converge (their p-values
            are used as they are); the imputer's convergence is the tester's own
            (``pair_ci_tester(...).state.converged``).
    """

    skeleton: Bool[np.ndarray, "p p"]
    cpdag: Int[np.ndarray, "p p"]
    sepset: Int[np.ndarray, "p p s"]
    removed: Bool[np.ndarray, "p p"]
    max_pvalue: Float[np.ndarray, "p p"]
    n_tests: int
    tests_per_level: tuple[int, ...]
    unconverged_tests: int
