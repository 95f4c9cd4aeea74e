"""Imputation models of the first and second moments of Z given v = (y, x) (spec §4.2).

Fitted on the source only: under sub-population shift Z | (Y, X) is the same in both
samples, so the source fit transports to the target (spec §11: never pool S and T).

    m₁(v) = Γᵀψ(v),   ψ(v) = (1, f(v)),   Γ by multivariate least squares of Z on ψ in S;
    m₂(v) = m₁(v)m₁(v)ᵀ + Σ,   Σ = mean_S[(Z − m₁)(Z − m₁)ᵀ]   (homoscedastic).
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxpapers import linalg
from jaxpapers.transfer_regression._types import ImputationFit

__all__ = ["fit_imputation", "impute", "with_intercept"]


def with_intercept(features: Float[Array, "n k"]) -> Float[Array, "n k1"]:
    """ψ = (1, f): the features with a leading column of ones."""
    return jnp.concatenate([jnp.ones((features.shape[0], 1), features.dtype), features], axis=1)


def fit_imputation(
    features_source: Float[ArrayLike, "nS k"], z: Float[ArrayLike, "nS q"]
) -> ImputationFit:
    """Least-squares imputation models of E[Z | v] and E[ZZᵀ | v] (module docstring).

    Args:
        features_source: f(v) of the source rows, (n_S, k); an intercept is added.
        z: the covariates missing in the target, (n_S, q).

    Returns:
        :class:`ImputationFit` with Γ, (1 + k, q), and Σ, (q, q).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> f = jax.random.normal(jax.random.key(0), (2000, 1))
        >>> z = 1.0 + 2.0 * f + 0.5 * jax.random.normal(jax.random.key(1), (2000, 1))
        >>> fit = fit_imputation(f, z)
        >>> fit.coef[:, 0].round(1).tolist(), round(float(fit.residual_cov[0, 0]), 2)
        ([1.0, 2.0], 0.25)
    """
    psi, z = with_intercept(jnp.asarray(features_source)), jnp.asarray(z)
    coef = linalg.lstsq(psi, z)
    residual = z - psi @ coef
    return ImputationFit(coef, residual.T @ residual / z.shape[0])


def impute(
    fit: ImputationFit, features: Float[ArrayLike, "n k"]
) -> tuple[Float[Array, "n q"], Float[Array, "n q q"]]:
    """m₁(v) and m₂(v) = m₁m₁ᵀ + Σ for each row's features f(v)."""
    m1 = with_intercept(jnp.asarray(features)) @ fit.coef
    m2 = m1[:, :, None] * m1[:, None, :] + fit.residual_cov[None, :, :]
    return m1, m2
