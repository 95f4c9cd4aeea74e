"""Configuration and result types of PAIR-CI and the PC algorithm."""

from __future__ import annotations

import dataclasses
from typing import Literal, NamedTuple

import numpy as np

import jax
from jaxtyping import Array, Bool, Float, Int

__all__ = ["Config", "ImputationCache", "PairCIResult", "PCResult"]

LEARNERS = ("linear", "rff", "categorical")


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of one PAIR-CI test (hashable: a static argument of ``jit``).

    Attributes:
        n_folds: K, cross-validation folds (spec §3 step 1; citest default 10).
        n_imputations: m, proper imputations per fold (spec §3 step 2; citest default 10).
        learner: ``"linear"`` (ridge), ``"rff"`` (random-Fourier-feature ridge, non-linear) or
            ``"categorical"`` (multinomial logistic regression, log-loss; discrete data).
        null: ``"permute"`` (null model sees a permuted copy of the candidate, citest) or
            ``"drop"`` (the candidate column is zeroed, i.e. excluded).
        score_rows: ``"all"`` scores every test row (imputed targets cancel in the paired
            difference) or ``"observed_target"`` scores only rows whose target was observed.
        ridge: ridge penalty λ of the linear and RFF learners (on standardised features).
        rff_features: number of random Fourier features of the ``"rff"`` learner.
        rff_scale: length scale of the RFF kernel on standardised inputs.
        logistic_steps: majorisation–minimisation steps of the ``"categorical"`` learner.
        logistic_ridge: L2 penalty of the ``"categorical"`` learner.
        imputation_sweeps: sweeps of the chained (MICE-style) Bayesian-regression imputer.
        imputation_ridge: ridge stabiliser of the imputer's Gram matrices.
        impute_with_target: impute with every variable, the tested pair included (the default;
            spec §7.2/§10). ``False`` leaves the target column out of the imputation model of the
            other columns, as citest does; it breaks calibration under MNAR and is kept only to
            document why (acceptance check C6). Needs per-test imputation, so the cached tester
            of a PC run refuses it.
        symmetric: in PC, test both directions and combine ``p = min(1, 2 min(p_ab, p_ba))``.
    """

    n_folds: int = 5
    n_imputations: int = 5
    learner: Literal["linear", "rff", "categorical"] = "linear"
    null: Literal["permute", "drop"] = "permute"
    score_rows: Literal["all", "observed_target"] = "all"
    ridge: float = 1e-3
    rff_features: int = 60
    rff_scale: float = 1.0
    logistic_steps: int = 15
    logistic_ridge: float = 1.0
    imputation_sweeps: int = 5
    imputation_ridge: float = 1e-6
    impute_with_target: bool = True
    symmetric: bool = True

    def __post_init__(self):
        for name in ("n_folds", "n_imputations", "rff_features", "imputation_sweeps"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Config.{name} must be a positive int, got {value!r}")
        if self.n_folds < 2:
            raise ValueError(f"Config.n_folds must be at least 2, got {self.n_folds}")
        if self.learner not in LEARNERS:
            raise ValueError(f"Config.learner must be one of {LEARNERS}, got {self.learner!r}")
        if self.null not in ("permute", "drop"):
            raise ValueError(f"Config.null must be 'permute' or 'drop', got {self.null!r}")
        if self.score_rows not in ("all", "observed_target"):
            raise ValueError(
                f"Config.score_rows must be 'all' or 'observed_target', got {self.score_rows!r}"
            )
        for name in ("ridge", "rff_scale", "logistic_ridge"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Config.{name} must be > 0, got {getattr(self, name)!r}")


class ImputationCache(NamedTuple):
    """Everything a PAIR-CI test needs that does not depend on the tested (x, y, S).

    Computed once per data set by :func:`impute_folds` and shared by every test of a PC run.

    Attributes:
        completed: ``(K, m, n, p)`` completed data sets; ``completed[k, b]`` was imputed by the
            b-th draw of an imputer fitted on the training rows of fold k.
        observed: ``(n, p)`` mask of observed cells of the original data.
        fold: ``(n,)`` fold index of each row.
        permutation: ``(K, n)`` row permutations; ``permutation[k]`` maps training rows of fold k
            to training rows and test rows to test rows (common random numbers, spec §3 step 3).
        learner_keys: ``(K,)`` one learner key per fold, reused for every imputation and model.
    """

    completed: Float[Array, "K m n p"]
    observed: Bool[Array, "n p"]
    fold: Int[Array, " n"]
    permutation: Int[Array, "K n"]
    learner_keys: jax.Array


class PairCIResult(NamedTuple):
    """One PAIR-CI test of X_x ⊥ X_y | X_S (spec §3 steps 5–8).

    Attributes:
        statistic: t = Q̄ / √T.
        pvalue: one-sided p = P(T_ν > t); large when the candidate does not help.
        estimate: Q̄, pooled cross-validated loss reduction from adding the candidate.
        std_error: √T.
        df: Barnard–Rubin degrees of freedom ν.
        within: Ū, mean Nadeau–Bengio-corrected cross-validation variance.
        between: B, between-imputation variance of the per-imputation estimates.
        fold_means: ``(m, K)`` fold means ḡ_k^(b) of the loss differences.
    """

    statistic: Float[Array, ""]
    pvalue: Float[Array, ""]
    estimate: Float[Array, ""]
    std_error: Float[Array, ""]
    df: Float[Array, ""]
    within: Float[Array, ""]
    between: Float[Array, ""]
    fold_means: Float[Array, "m K"]


class PCResult(NamedTuple):
    """Output of :func:`pc` (host numpy arrays; PC's control flow is data dependent).

    Attributes:
        skeleton: ``(p, p)`` symmetric adjacency.
        cpdag: ``(p, p)`` edge marks: ``cpdag[i, j] = 1`` and ``cpdag[j, i] = 0`` means i → j;
            both 1 means an undirected edge i — j.
        sepset: ``(p, p, max_cond_set_size)`` separating set of each removed edge, padded with -1.
        removed: ``(p, p)`` whether the edge was removed by a CI test (its sepset is valid).
        max_pvalue: ``(p, p)`` largest p-value seen for the pair (NaN if never tested).
        n_tests: number of CI tests run (a symmetrised PAIR-CI test counts once).
        tests_per_level: tests run at each conditioning-set size.
    """

    skeleton: Bool[np.ndarray, "p p"]
    cpdag: Int[np.ndarray, "p p"]
    sepset: Int[np.ndarray, "p p s"]
    removed: Bool[np.ndarray, "p p"]
    max_pvalue: Float[np.ndarray, "p p"]
    n_tests: int
    tests_per_level: tuple[int, ...]
