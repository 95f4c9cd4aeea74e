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
    """Sample covariance (ddof 1) of the columns of ``rows`` (d, n), rows last."""
    centred = rows - jnp.mean(rows, axis=1, keepdims=True)
    return centred @ centred.T / (rows.shape[1] - 1)


def sandwich_se(
    factor: Float[Array, "d d"], score_t: Float[Array, "d nT"], score_s: Float[Array, "d nS"]
) -> Float[Array, " d"]:
    """√diag of M̂⁻¹ (Cov_T(f_T)/n_T + Cov_S(f_S)/n_S) M̂⁻¹ given M̂ = L Lᵀ (``factor`` = L).

    The scores come rows last, (d, n), as :func:`row_scores` returns them.
    """
    meat = _cov(score_t) / score_t.shape[1] + _cov(score_s) / score_s.shape[1]
    half = linalg.cho_solve(factor, meat)
    cov = linalg.cho_solve(factor, half.T)
    return jnp.sqrt(jnp.diag(cov))


def nuisance_corrected_scores(
    parts, beta, tilt: Tilt, imputation: ImputationFit, features, target, source, mixing
) -> tuple[Array, Array]:
    """Rows f − J A_η⁻¹ f_η of the stacked influence function (module docstring), rows last.

    ``parts`` are the per-row pieces the estimate was computed from, ``mixing`` its (s, a, b)
    (``_moments.MIXES``); ``features`` holds the imputation features f(v) of the target and
    source rows. Blocks of J that an estimator does not use are zero (a = 0: no tilt; s = 0:
    no imputation), so one program serves the four estimators.
    """
    score_t, score_s = row_scores(parts, beta)
    phi_t, phi_s = tilt.phi_target.T, tilt.phi_source.T
    psi_t, psi_s = with_intercept(features[0]).T, with_intercept(features[1]).T
    jac_theta, jac_gamma, jac_sigma = nuisance_jacobian(parts, beta, tilt, psi_t, psi_s, mixing)
    # f_θ = −φ (target rows), ŵφ (source rows): J_θ A_θ⁻¹ φᵢ for every row by solving
    # A_θ Kᵀ = J_θᵀ once, then K φᵢ.
    weights = tilt.weights
    a_theta = (phi_s * weights[None, :]) @ phi_s.T / weights.shape[0]
    gain = linalg.spd_solve(a_theta, jac_theta.T).T
    score_t = score_t + gain @ phi_t
    score_s = score_s - (gain @ phi_s) * weights[None, :]
    # f_Γ = ψ rᵀ, f_Σ = r rᵀ − Σ (source rows only); J_Γ·((mean ψψᵀ)⁻¹ ψ_j r_jᵀ) with the
    # solve moved onto J_Γ (d·q right-hand sides).
    residual = source[2].T - imputation.coef.T @ psi_s  # (q, nS)
    gram = psi_s @ psi_s.T / psi_s.shape[1]
    gain = linalg.spd_solve(gram, jnp.moveaxis(jac_gamma, 1, 0).reshape(gram.shape[0], -1))
    gain = jnp.moveaxis(gain.reshape(jac_gamma.shape[1], *jac_gamma.shape[::2]), 0, 1)
    q = residual.shape[0]
    # Σ_ab gain[d, a, b] ψ_a r_b as one (d, k·q) × (k·q, n) product
    outer_gamma = (psi_s[:, None, :] * residual[None, :, :]).reshape(-1, psi_s.shape[1])
    score_s = score_s + gain.reshape(gain.shape[0], -1) @ outer_gamma
    outer = residual[:, None, :] * residual[None, :, :] - imputation.residual_cov[:, :, None]
    return score_t, score_s + jac_sigma.reshape(-1, q * q) @ outer.reshape(q * q, -1)


def nuisance_jacobian(parts, beta, tilt: Tilt, psi_target, psi_source, mixing):
    """J = ∂Ψ_β/∂(θ, Γ, Σ) at (β̂, η̂), in closed form: (d, 1 + k), (d, k_ψ, q), (d, q, q).

    With w̃ = a·e^{θᵀφ} + b, x̄ = s(1, x, Γᵀψ), C = sΣ and r = y − x̄ᵀβ,
    Ψ_β = mean_T Ū + mean_S w̃ (U − Ū) and Ū = x̄ r − E(C)β, so

        ∂Ψ_β/∂θ   = mean_S[ a e^{θᵀφ} (U − Ū) φᵀ ],
        ∂Ψ_β/∂Γ_kc = s Σᵢ ωᵢ ψᵢₖ (e_{z_c} rᵢ − x̄ᵢ β_{z_c}),
        ∂Ψ_β/∂Σ_ab = −s (e_{z_a} β_{z_b} + e_{z_b} β_{z_a}) (1 − mean_S w̃) / 2,

    with ωᵢ = 1/n_T on target rows and −w̃ᵢ/n_S on source rows (the Σ block is symmetrised
    as M̂_xx is, which leaves its contraction with the symmetric f_Σ unchanged). Every row
    sum is one matrix product, so no (n, d, dim η) tangent is ever formed (``jax.jacfwd`` of
    Ψ_β gives the same J; a test checks it). ``psi_target`` and ``psi_source`` are ψ = (1, f)
    rows last, (k_ψ, n).
    """
    scale, weight_scale, weight_shift = mixing[0], mixing[1], mixing[2]
    d, q = beta.shape[0], parts.c_s.shape[0]
    n_t, n_s = parts.y_t.shape[0], parts.y_s.shape[0]
    phi_s = tilt.phi_source.T
    raw = jnp.exp(tilt.theta @ phi_s)  # e^{θᵀφ}, unnormalised
    weights = weight_scale * raw + weight_shift
    _, augmentation = row_scores(parts._replace(weights=jnp.ones_like(parts.weights)), beta)
    jac_theta = (augmentation * (weight_scale * raw / n_s)[None, :]) @ phi_s.T
    # x̄ = s(1, x, m1) already carries s: ∂x̄/∂m1 = s E_z, and ∂Ū/∂m1 = s(E_z r − x̄ β_zᵀ)
    resid_t = parts.y_t - beta @ parts.xbar_t
    omega_resid_s = -(weights / n_s) * (parts.y_s - beta @ parts.xbar_s)
    mean_psi_r = psi_target @ resid_t / n_t + psi_source @ omega_resid_s  # (k_ψ,)
    mean_xbar_psi = parts.xbar_t @ psi_target.T / n_t - (
        parts.xbar_s * (weights / n_s)[None, :]) @ psi_source.T  # (d, k_ψ)  # fmt: skip
    beta_z = beta[d - q :]
    embed = jnp.eye(d, dtype=beta.dtype)[:, d - q :]  # E_z, (d, q)
    jac_gamma = scale * (
        embed[:, None, :] * mean_psi_r[None, :, None]
        - mean_xbar_psi[:, :, None] * beta_z[None, None, :]
    )
    outer = embed[:, :, None] * beta_z[None, None, :]  # e_{z_a} β_{z_b}
    jac_sigma = -0.5 * scale * (1.0 - jnp.mean(weights)) * (outer + jnp.swapaxes(outer, 1, 2))
    return jac_theta, jac_gamma, jac_sigma
