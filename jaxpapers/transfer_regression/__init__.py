"""Augmented transfer regression for covariates completely missing in the target population.

Zhao & Wang (2026), arXiv:2605.04469. A target sample (say UK Biobank) measures the outcome Y
and covariates X but not Z; a source study measures all three. Under sub-population shift
(Z | Y, X has the same law in both) the target's regression coefficient of Y on (1, X, Z) is
estimated by an augmented estimating equation that combines a density ratio of (Y, X)
(exponential tilting) with imputations of the first and second moments of Z. It is consistent
when either nuisance model is right, root-n and asymptotically normal, and efficient when both
are.

* :func:`fit`: the estimator (``"dr"``) and its baselines (``"ipw"``, ``"imp"``, ``"naive"``),
  with sandwich standard errors, Wald intervals and the effective sample size of the weights;
* :func:`bootstrap`: two-sample bootstrap, vmapped over keys and sharded over devices;
* the pieces: :func:`fit_density_ratio`, :func:`fit_imputation` / :func:`impute`,
  :func:`dr_moments`;
* :func:`simulate` (scenarios S1–S4), :func:`true_beta`, :func:`study` (bias, SD, RMSE,
  coverage over replications).

>>> import jax
>>> import jaxpapers.transfer_regression as tr
>>> source, target = tr.simulate(jax.random.key(0), "S3", 1000, 1000)
>>> result = tr.fit(source, target, estimator="dr")
>>> result.beta.shape, bool(result.converged)
((3,), True)
"""

from jaxpapers.transfer_regression._bootstrap import bootstrap as bootstrap
from jaxpapers.transfer_regression._checks import (
    DegenerateWeightsWarning as DegenerateWeightsWarning,
)
from jaxpapers.transfer_regression._features import linear_features as linear_features
from jaxpapers.transfer_regression._features import quadratic_features as quadratic_features
from jaxpapers.transfer_regression._fit import fit as fit
from jaxpapers.transfer_regression._impute import fit_imputation as fit_imputation
from jaxpapers.transfer_regression._impute import impute as impute
from jaxpapers.transfer_regression._moments import dr_moments as dr_moments
from jaxpapers.transfer_regression._moments import solve_beta as solve_beta
from jaxpapers.transfer_regression._simulate import SCENARIOS as SCENARIOS
from jaxpapers.transfer_regression._simulate import simulate as simulate
from jaxpapers.transfer_regression._simulate import true_beta as true_beta
from jaxpapers.transfer_regression._study import study as study
from jaxpapers.transfer_regression._tilt import effective_sample_size as effective_sample_size
from jaxpapers.transfer_regression._tilt import fit_density_ratio as fit_density_ratio
from jaxpapers.transfer_regression._types import ESTIMATORS as ESTIMATORS
from jaxpapers.transfer_regression._types import BootstrapResult as BootstrapResult
from jaxpapers.transfer_regression._types import Config as Config
from jaxpapers.transfer_regression._types import DensityRatioFit as DensityRatioFit
from jaxpapers.transfer_regression._types import ImputationFit as ImputationFit
from jaxpapers.transfer_regression._types import Moments as Moments
from jaxpapers.transfer_regression._types import Result as Result
from jaxpapers.transfer_regression._types import StudyResult as StudyResult
from jaxpapers.transfer_regression._types import Truth as Truth


def citation() -> str:
    """BibTeX of the paper this module implements."""
    return """@article{zhao2026augmented,
  title   = {Augmented transfer regression learning for completely missing covariates},
  author  = {Zhao, Huali and Wang, Tianying},
  journal = {arXiv preprint arXiv:2605.04469},
  year    = {2026}
}"""
