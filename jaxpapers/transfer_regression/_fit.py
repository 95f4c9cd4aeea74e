"""The estimator: nuisance fits, doubly robust moments, β̂ and its sandwich standard errors.

:func:`fit` is the public entry point (eager checks, one compiled program per estimator and
config, a warning when the weights degenerate); :func:`estimate` and :func:`estimate_all` are the
pure functions it and the batched drivers (bootstrap, simulation study) call.
"""

from __future__ import annotations

import functools
from statistics import NormalDist
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxpapers import linalg
from jaxpapers.transfer_regression import _checks
from jaxpapers.transfer_regression._features import feature_matrix
from jaxpapers.transfer_regression._impute import fit_imputation, impute
from jaxpapers.transfer_regression._moments import _moments, _parts, mix, row_scores
from jaxpapers.transfer_regression._tilt import Tilt, effective_sample_size, tilt
from jaxpapers.transfer_regression._types import ESTIMATORS, Config, ImputationFit, Result
from jaxpapers.transfer_regression._variance import nuisance_corrected_scores, sandwich_se

__all__ = ["Nuisance", "estimate", "estimate_all", "fit", "fit_nuisance"]

DEFAULT = Config()

# what users pass (fit, bootstrap) and what the pure functions take (arrays, one dtype)
Source = tuple[Float[ArrayLike, " nS"], Float[ArrayLike, "nS p"], Float[ArrayLike, "nS q"]]
Target = tuple[Float[ArrayLike, " nT"], Float[ArrayLike, "nT p"]]
SourceArrays = tuple[Float[Array, " nS"], Float[Array, "nS p"], Float[Array, "nS q"]]
TargetArrays = tuple[Float[Array, " nT"], Float[Array, "nT p"]]


class Nuisance(NamedTuple):
    """The fitted nuisance models, shared by the four estimators."""

    tilt: Tilt
    imputation: ImputationFit
    features: tuple[Array, Array]  # imputation features f(v) of the target and source rows


def fit_nuisance(source: SourceArrays, target: TargetArrays, config: Config) -> Nuisance:
    """Density ratio (tilt) and imputation models, both from features of v = (y, x)."""
    (y_s, x_s, z_s), (y_t, x_t) = source, target
    tilted = tilt(
        feature_matrix(config.ratio_features, y_s, x_s),
        feature_matrix(config.ratio_features, y_t, x_t),
        max_steps=config.max_steps,
        tol=config.tol,
        max_halvings=config.max_halvings,
    )
    f_t = feature_matrix(config.imputation_features, y_t, x_t)
    f_s = feature_matrix(config.imputation_features, y_s, x_s)
    return Nuisance(tilted, fit_imputation(f_s, z_s), (f_t, f_s))


def _from_nuisance(nuisance, source, target, mixing, config, with_se=True) -> Result:
    """β̂ (and se) of the estimator (s, a, b) = ``mixing`` from fitted nuisance models."""
    imputed_t = impute(nuisance.imputation, nuisance.features[0])
    imputed_s = impute(nuisance.imputation, nuisance.features[1])
    weights = nuisance.tilt.weights
    parts = _parts(target, source, weights, imputed_t, imputed_s, mixing)
    moments = _moments(parts)
    factor = linalg.cholesky(moments.xx)  # NaN when M̂_xx is not positive definite
    beta = linalg.cho_solve(factor, moments.xy[:, None])[:, 0]
    # the tilt matters where the weights are used (a ≠ 0: "ipw", "dr")
    usable = jnp.all(jnp.isfinite(beta)) & (nuisance.tilt.converged | (mixing[1] == 0))
    if with_se:
        plugin = row_scores(parts, beta)
        if config.variance == "plugin":
            scores = plugin
        else:
            full = nuisance_corrected_scores(
                parts, beta, nuisance.tilt, nuisance.imputation, nuisance.features, target,
                source, mixing,
            )  # fmt: skip
            scores = full
            if config.variance == "auto":  # plug-in for DR (s = a = 1), full for the others
                is_dr = (mixing[0] == 1) & (mixing[1] == 1)
                scores = jax.tree.map(lambda p, f: jnp.where(is_dr, p, f), plugin, full)
        se = sandwich_se(factor, *scores)
        usable = usable & jnp.all(jnp.isfinite(se))
    else:
        se = jnp.full_like(beta, jnp.nan)
    z = NormalDist().inv_cdf(0.5 + config.level / 2)
    return Result(
        beta, se, beta - z * se, beta + z * se, effective_sample_size(weights), weights,
        usable, nuisance.tilt.num_steps,
    )  # fmt: skip


def estimate(
    source: SourceArrays,
    target: TargetArrays,
    estimator: str = "dr",
    config: Config = DEFAULT,
    *,
    with_se: bool = True,
) -> Result:
    """:func:`fit` without the eager checks and the warning (a pure function to batch).

    ``with_se=False`` skips the variance (``se`` and the interval are NaN), for bootstraps.
    """
    nuisance = fit_nuisance(source, target, config)
    mixing = mix(estimator, source[0].dtype)
    return _from_nuisance(nuisance, source, target, mixing, config, with_se)


def estimate_all(
    source: SourceArrays, target: TargetArrays, config: Config = DEFAULT, *, with_se: bool = True
) -> Result:
    """All four estimators (:data:`ESTIMATORS` order) from one nuisance fit.

    One program ``vmap``-ped over the estimators' (s, a, b) rows. Returns a :class:`Result`
    whose ``beta``, ``se``, ``ci_low``, ``ci_high``, ``converged`` have a leading axis of 4;
    ``ess``, ``weights`` and ``num_steps`` are shared.
    """
    nuisance = fit_nuisance(source, target, config)
    table = jnp.stack([mix(name, source[0].dtype) for name in ESTIMATORS])
    stacked = jax.vmap(
        lambda mixing: _from_nuisance(nuisance, source, target, mixing, config, with_se)
    )(table)
    return stacked._replace(ess=stacked.ess[0], weights=stacked.weights[0],
                            num_steps=stacked.num_steps[0])  # fmt: skip


@functools.partial(jax.jit, static_argnames=("estimator", "config"))
def _estimate_jit(source, target, estimator, config):
    return estimate(source, target, estimator, config)


def fit(
    source: Source, target: Target, *, estimator: str = "dr", config: Config = DEFAULT
) -> Result:
    """Augmented (doubly robust) transfer regression for covariates missing in the target.

    The target population lacks covariates Z that the source measures. Under sub-population
    shift (Z | Y, X has the same law in both) the target coefficient
    β* = E_T[X̃X̃ᵀ]⁻¹ E_T[X̃Y], X̃ = (1, X, Z), is estimated by solving the augmented estimating
    equation

        Ψ_n(β) = mean_T Ū(β; V) + mean_S ŵ(V) [U(β) − Ū(β; V)] = 0,
        U(β) = X̃ (Y − X̃ᵀβ),   Ū = E[U | V],   V = (Y, X),

    with ŵ an exponential-tilting density ratio (:func:`fit_density_ratio`) and Ū built from
    imputation models of E[Z | V] and E[ZZᵀ | V] (:func:`fit_imputation`). It is consistent if
    either the ratio model or both imputation models are right, root-n and asymptotically
    normal, and efficient when both are (Zhao & Wang 2026). β̂ = M̂_xx⁻¹ M̂_xy in closed form
    (:func:`dr_moments`).

    Args:
        source: (y, x, z) with shapes (n_S,), (n_S, p), (n_S, q).
        target: (y, x) with shapes (n_T,), (n_T, p).
        estimator: ``"dr"`` (augmented, the paper's), ``"ipw"`` (ŵ-weighted source OLS),
            ``"imp"`` (imputation plug-in) or ``"naive"`` (source OLS, ignores the shift).
        config: feature maps of the nuisance models, interval level, variance type, Newton
            settings (:class:`Config`).

    Returns:
        :class:`Result`: β̂ ordered (intercept, x columns, z columns), standard errors,
        Wald interval, effective sample size and the weights, and ``converged``.

    Raises:
        ValueError: mismatched shapes, NaN or inf, fewer rows than parameters, or a singular
            design (checked eagerly when the arrays are concrete).

    Warns:
        DegenerateWeightsWarning: for ``"ipw"``/``"dr"``, when the tilt fails
            (``converged`` False, e.g. non-overlapping supports) or the effective sample size
            is below ``Config.min_ess_fraction`` of n_S.

    Examples:
        >>> import jax
        >>> import jaxpapers.transfer_regression as tr
        >>> source, target = tr.simulate(jax.random.key(0), "S1", 2000, 2000)
        >>> result = tr.fit(source, target)
        >>> bool(result.converged), result.beta.shape
        (True, (3,))
        >>> truth = tr.true_beta("S1").beta
        >>> bool(((result.ci_low < truth) & (truth < result.ci_high)).all())
        True

    References:
        Zhao & Wang, "Augmented transfer regression learning for completely missing
        covariates", arXiv:2605.04469 (2026).
    """
    source, target = _checks.check_samples(source, target, config, estimator)
    result: Result = _estimate_jit(source, target, estimator, config)
    _checks.warn_if_degenerate(result, estimator, source[0].shape[0], config)
    return result
