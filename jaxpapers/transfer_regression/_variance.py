"""Influence-function sandwich variance of β̂ (spec §6), with or without nuisance terms.

β̂ solves Ψ_n(β) = mean_T f_T + mean_S f_S = 0 (f_T = Ū, f_S = ŵ(U − Ū); see ``_moments``), so

    β̂ − β* ≈ M̂⁻¹ [mean_T f_T + mean_S f_S],
    Var β̂ ≈ M̂⁻¹ (Cov_T(f_T)/n_T + Cov_S(f_S)/n_S) M̂⁻¹,       M̂ = M̂_xx.

``"plugin"`` uses f as it stands (ŵ, m₁, m₂ treated as known; the spec's §6 formula, valid for
DR when both nuisance models are right). ``"full"`` stacks the estimating equations of the
nuisance parameters η = (θ, Γ, Σ) with those of β,

    tilt:        mean_S[e^{θᵀφ}φ] − mean_T[φ] = 0,
    imputation:  mean_S[ψ (Z − Γᵀψ)ᵀ] = 0,   mean_S[r rᵀ] − Σ = 0   (r = Z − Γᵀψ),

and replaces f by its projection f − J A_η⁻¹ f_η with J = ∂Ψ_β/∂η (:func:`nuisance_jacobian`,
in closed form) and A_η = ∂Ψ_η/∂η, which is block diagonal at the solution (mean_S[wφφᵀ],
−I ⊗ mean_S ψψᵀ, −I; ∂/∂Γ of mean_S r rᵀ vanishes because OLS residuals are orthogonal to ψ).
This is the usual
M-estimation sandwich: it accounts for the estimation of ŵ, m₁, m₂ and stays valid when one
of the two nuisance models is misspecified (β̂ then converges to β* by double robustness).
It is what IPW and IMP need (their influence functions carry the nuisance terms); for DR the
terms vanish when both models are right, and at n = 2000 with heavy weights the estimated
terms make the full sandwich undercover, so ``Config.variance="auto"`` uses the plug-in form
for DR (see ``Config``).
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers import linalg
from jaxpapers.transfer_regression._impute import with_intercept
from jaxpapers.transfer_regression._moments import row_scores
from jaxpapers.transfer_regression._tilt import Tilt
from jaxpapers.transfer_regression._types import ImputationFit

__all__ = ["nuisance_corrected_scores", "nuisance_jacobian", "sandwich_se"]


def _cov(rows: Array) -> Array:
    centred = rows - jnp.mean(rows, axis=0, keepdims=True)
    return centred.T @ centred / (rows.shape[0] - 1)


def sandwich_se(
    factor: Float[Array, "d d"], score_t: Float[Array, "nT d"], score_s: Float[Array, "nS d"]
) -> Float[Array, " d"]:
    """√diag of M̂⁻¹ (Cov_T(f_T)/n_T + Cov_S(f_S)/n_S) M̂⁻¹ given M̂ = L Lᵀ (``factor`` = L)."""
    meat = _cov(score_t) / score_t.shape[0] + _cov(score_s) / score_s.shape[0]
    half = linalg.cho_solve(factor, meat)
    cov = linalg.cho_solve(factor, half.T)
    return jnp.sqrt(jnp.diag(cov))


def nuisance_corrected_scores(
    parts, beta, tilt: Tilt, imputation: ImputationFit, features, target, source, mixing
) -> tuple[Array, Array]:
    """Rows f − J A_η⁻¹ f_η of the stacked influence function (module docstring).

    ``parts`` are the per-row pieces the estimate was computed from, ``mixing`` its (s, a, b)
    (``_moments.MIXES``); ``features`` holds the imputation features f(v) of the target and
    source rows. Blocks of J that an estimator does not use are zero (a = 0: no tilt; s = 0:
    no imputation), so one program serves the four estimators.
    """
    score_t, score_s = row_scores(parts, beta)
    jac_theta, jac_gamma, jac_sigma = nuisance_jacobian(
        parts, beta, tilt, with_intercept(features[0]), with_intercept(features[1]), mixing
    )
    # f_θ = −φ (target rows), ŵφ (source rows): J_θ A_θ⁻¹ φᵢ for every row by solving
    # A_θ Kᵀ = J_θᵀ once, then K φᵢ.
    weights = tilt.weights
    a_theta = (tilt.phi_source * weights[:, None]).T @ tilt.phi_source / weights.shape[0]
    gain = linalg.spd_solve(a_theta, jac_theta.T).T
    score_t = score_t + tilt.phi_target @ gain.T
    score_s = score_s - weights[:, None] * (tilt.phi_source @ gain.T)
    # f_Γ = ψ rᵀ, f_Σ = r rᵀ − Σ (source rows only); J_Γ·((mean ψψᵀ)⁻¹ ψ_j r_jᵀ) with the
    # solve moved onto J_Γ (d·q right-hand sides).
    psi = with_intercept(features[1])
    residual = source[2] - psi @ imputation.coef
    gram = psi.T @ psi / psi.shape[0]
    gain = linalg.spd_solve(gram, jnp.moveaxis(jac_gamma, 1, 0).reshape(gram.shape[0], -1))
    gain = jnp.moveaxis(gain.reshape(jac_gamma.shape[1], *jac_gamma.shape[::2]), 0, 1)
    score_s = score_s + jnp.einsum("dab,na,nb->nd", gain, psi, residual)
    outer = residual[:, :, None] * residual[:, None, :] - imputation.residual_cov[None]
    return score_t, score_s + jnp.einsum("dab,nab->nd", jac_sigma, outer)


def nuisance_jacobian(parts, beta, tilt: Tilt, psi_target, psi_source, mixing):
    """J = ∂Ψ_β/∂(θ, Γ, Σ) at (β̂, η̂), in closed form: (d, 1 + k), (d, k_ψ, q), (d, q, q).

    With w̃ = a·e^{θᵀφ} + b, x̄ = s(1, x, Γᵀψ), C = sΣ and r = y − x̄ᵀβ,
    Ψ_β = mean_T Ū + mean_S w̃ (U − Ū) and Ū = x̄ r − E(C)β, so

        ∂Ψ_β/∂θ   = mean_S[ a e^{θᵀφ} (U − Ū) φᵀ ],
        ∂Ψ_β/∂Γ_kc = s Σᵢ ωᵢ ψᵢₖ (e_{z_c} rᵢ − x̄ᵢ β_{z_c}),
        ∂Ψ_β/∂Σ_ab = −s (e_{z_a} β_{z_b} + e_{z_b} β_{z_a}) (1 − mean_S w̃) / 2,

    with ωᵢ = 1/n_T on target rows and −w̃ᵢ/n_S on source rows (the Σ block is symmetrised
    as M̂_xx is, which leaves its contraction with the symmetric f_Σ unchanged). Every row sum is one
    matrix product, so no (n, d, dim η) tangent is ever formed (``jax.jacfwd`` of Ψ_β gives
    the same J; a test checks it).
    """
    scale, weight_scale, weight_shift = mixing[0], mixing[1], mixing[2]
    d, q = beta.shape[0], parts.c_s.shape[-1]
    n_t, n_s = parts.y_t.shape[0], parts.y_s.shape[0]
    raw = jnp.exp(tilt.phi_source @ tilt.theta)  # e^{θᵀφ}, unnormalised
    weights = weight_scale * raw + weight_shift
    _, augmentation = row_scores(parts._replace(weights=jnp.ones_like(parts.weights)), beta)
    jac_theta = augmentation.T @ ((weight_scale * raw / n_s)[:, None] * tilt.phi_source)
    # x̄ = s(1, x, m1) already carries s: ∂x̄/∂m1 = s E_z, and ∂Ū/∂m1 = s(E_z r − x̄ β_zᵀ)
    resid_t = parts.y_t - parts.xbar_t @ beta
    resid_s = parts.y_s - parts.xbar_s @ beta
    omega_s = -weights / n_s
    mean_psi_r = psi_target.T @ resid_t / n_t + psi_source.T @ (omega_s * resid_s)  # (k_ψ,)
    mean_xbar_psi = parts.xbar_t.T @ psi_target / n_t + parts.xbar_s.T @ (
        omega_s[:, None] * psi_source)  # (d, k_ψ)  # fmt: skip
    beta_z = beta[d - q :]
    embed = jnp.eye(d, dtype=beta.dtype)[:, d - q :]  # E_z, (d, q)
    jac_gamma = scale * (
        embed[:, None, :] * mean_psi_r[None, :, None]
        - mean_xbar_psi[:, :, None] * beta_z[None, None, :]
    )
    outer = embed[:, :, None] * beta_z[None, None, :]  # e_{z_a} β_{z_b}
    jac_sigma = -0.5 * scale * (1.0 - jnp.mean(weights)) * (outer + jnp.swapaxes(outer, 1, 2))
    return jac_theta, jac_gamma, jac_sigma
