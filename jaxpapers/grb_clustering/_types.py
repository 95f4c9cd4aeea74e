"""Settings and result containers of :mod:`jaxpapers.grb_clustering`."""

from __future__ import annotations

import dataclasses
from typing import Literal, NamedTuple

import numpy as np

from jaxtyping import Array, Bool, Float, Int

from jaxpapers import _validate

__all__ = [
    "ALGOS",
    "BETWEEN",
    "RULES",
    "TESTS",
    "Batse",
    "Calibrated",
    "Clustering",
    "Combined",
    "Config",
    "PointTests",
    "Selection",
]

ALGOS = ("kmeans", "gmm")
BETWEEN = ("all", "nearest")
TESTS = ("mwu", "ks")
RULES = ("cauchy", "hmp", "bonferroni", "simes", "fisher")


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the clustering, the per-point tests and the calibration (spec §3).

    Hashable, so it can be closed over or passed as a static argument of ``jit``. The defaults
    are the spec's (§3.1: K-means with 10 restarts and 100 Lloyd steps, GMM with 3 restarts,
    200 EM steps and covariance regulariser 1e-6, as scikit-learn's defaults).

    Attributes:
        kmeans_restarts: k-means++ restarts (vmapped over keys); the lowest inertia wins.
        kmeans_steps: most Lloyd iterations per restart; a restart has converged when an
            iteration leaves every assignment unchanged.
        gmm_restarts: EM restarts (vmapped over keys); the highest log-likelihood wins.
        gmm_steps: most EM iterations per restart.
        gmm_tol: EM has converged when the mean log-likelihood per point changes by less than
            this (scikit-learn's ``tol``).
        gmm_reg: added to the diagonal of every covariance (scikit-learn's ``reg_covar``).
        between: which distances B_i a point's within-cluster distances are compared with:
            ``"all"`` (every other cluster, spec default) or ``"nearest"`` (only the other
            cluster with the smallest median distance to the point; stricter for K ≥ 3).
        test: per-point test, ``"mwu"`` (one-sided Mann–Whitney, normal approximation with
            tie and continuity corrections) or ``"ks"`` (one-sided two-sample
            Kolmogorov–Smirnov, Hodges' asymptotic p-value).
        rule: how :func:`calibrated_pvalue` integrates the per-point p-values it reports
            next to the calibrated one (:func:`integrate`).
    """

    kmeans_restarts: int = 10
    kmeans_steps: int = 100
    gmm_restarts: int = 3
    gmm_steps: int = 200
    gmm_tol: float = 1e-3
    gmm_reg: float = 1e-6
    between: Literal["all", "nearest"] = "all"
    test: Literal["mwu", "ks"] = "mwu"
    rule: Literal["cauchy", "hmp", "bonferroni", "simes", "fisher"] = "cauchy"

    def __post_init__(self):
        for name in ("kmeans_restarts", "kmeans_steps", "gmm_restarts", "gmm_steps"):
            _validate.check_integer(f"Config.{name}", getattr(self, name), minimum=1)
        _validate.check_positive("Config.gmm_tol", self.gmm_tol)
        _validate.check_range("Config.gmm_reg", self.gmm_reg, low=0.0)
        _validate.check_choice("Config.between", self.between, BETWEEN)
        _validate.check_choice("Config.test", self.test, TESTS)
        _validate.check_choice("Config.rule", self.rule, RULES)


class Batse(NamedTuple):
    """BATSE bursts as returned by :func:`load_batse`.

    Attributes:
        X: ``(n, d)`` log10 features, not standardised (3 or 9 columns).
        trigger: ``(n,)`` BATSE trigger numbers.
        columns: the names of ``X``'s columns.
        counts: how many catalogue rows were read, lacked a variable, had a value ≤ 0 where a
            logarithm is taken, and were kept (``rows = incomplete + non_positive + kept``).
    """

    X: Float[np.ndarray, "n d"]
    trigger: Int[np.ndarray, " n"]
    columns: tuple[str, ...]
    counts: dict[str, int]


class PointTests(NamedTuple):
    """Per-point tests of one partition (spec §3.2).

    Attributes:
        pvalue: ``(n,)`` one-sided p-value p_i of "within-cluster distances of point i are
            stochastically smaller than its between-cluster distances"; 1 for a point whose
            cluster has no other member.
        auc: ``(n,)`` effect size AUC_i = 1 − U_i/(n_w n_b) = P(within < between); 0.5 for a
            point alone in its cluster.
    """

    pvalue: Float[Array, " n"]
    auc: Float[Array, " n"]


class Combined(NamedTuple):
    """An integrated p-value and its base-10 logarithm (finite far below float underflow)."""

    pvalue: Float[Array, ""]
    log10_pvalue: Float[Array, ""]


class Clustering(NamedTuple):
    """A partition found by K-means or a Gaussian mixture (:func:`cluster`).

    Clusters are numbered by increasing mean of the first feature (for BATSE 3-var: label 0
    holds the shortest bursts), so labels are comparable across keys and algorithms.

    Attributes:
        labels: ``(n,)`` cluster of each point, in ``0..K-1``.
        centers: ``(K, d)`` cluster means.
        objective: the winning restart's inertia (K-means, Σ squared distances to the centre)
            or mean log-likelihood per point (GMM).
        converged: whether the winning restart converged within its step budget.
        num_steps: Lloyd or EM iterations the winning restart took.
    """

    labels: Int[Array, " n"]
    centers: Float[Array, "K d"]
    objective: Float[Array, ""]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]


class Calibrated(NamedTuple):
    """A calibrated p-value for "the data hold at least K groups" (spec §3.4).

    Attributes:
        pvalue: P_cal = (1 + #{b: S_b ≥ S_obs}) / (1 + B).
        statistic: S_obs, the mean per-point AUC of the observed K-partition.
        null_statistics: ``(B,)`` S_b of the re-clustered null replicates.
        integrated: the uncorrected integrated p-value of the observed partition (the
            clusters were found on the same data, so it is far too small: spec §0).
        converged: the observed clustering, the null fit and every replicate's clustering
            converged.
        labels: ``(n,)`` the observed K-partition that was tested.
    """

    pvalue: Float[Array, ""]
    statistic: Float[Array, ""]
    null_statistics: Float[Array, " B"]
    integrated: Combined
    converged: Bool[Array, ""]
    labels: Int[Array, " n"]


class Selection(NamedTuple):
    """The step-wise choice of the number of groups (spec §3.5).

    Attributes:
        k: the selected number of groups; 1 means "no groups".
        pvalues: ``(k_max − 1,)`` calibrated p-values P_cal(K) for K = 2..k_max; NaN for the
            K that the step-wise rule never reached.
    """

    k: Int[Array, ""]
    pvalues: Float[Array, " k_max_minus_1"]
