"""A slow numpy transcription of the estimator (spec §3–§6), written independently of the
library: loops over rows, the estimating-equation form Ψ_n(β) = mean_T Ū + mean_S ŵ(U − Ū)
solved as −A⁻¹c from evaluations at β = 0 and the unit vectors (as in the spec's prototype),
the plug-in sandwich of spec §6, and the full sandwich of the stacked M-estimator
(θ, Γ, Σ, β) with A from central finite differences and inverted whole (no block structure).

Only for tests (float64, small n).
"""

from __future__ import annotations

import numpy as np


def design(*columns):
    n = columns[0].shape[0]
    return np.column_stack([np.ones(n)] + [np.reshape(c, (n, -1)) for c in columns])


def tilt_weights(phi_s, phi_t, iters=100):
    """Exponential tilting by plain Newton (phi includes the constant column)."""
    theta = np.zeros(phi_s.shape[1])
    target = phi_t.mean(0)
    for _ in range(iters):
        w = np.exp(phi_s @ theta)
        grad = (w[:, None] * phi_s).mean(0) - target
        if np.abs(grad).max() < 1e-12:
            break
        hess = (phi_s.T * w) @ phi_s / len(w)
        theta -= np.linalg.solve(hess, grad)
    return theta


def imputation(psi_s, z):
    gamma = np.linalg.lstsq(psi_s, z, rcond=None)[0]
    resid = z - psi_s @ gamma
    return gamma, resid.T @ resid / len(z)


def u_full(y, xt, beta):
    """U = X̃ (Y − X̃ᵀβ), one row per unit."""
    return np.array([xt[i] * (y[i] - xt[i] @ beta) for i in range(len(y))])


def u_imputed(y, x, m1, sigma, beta, p):
    """Ū = E[U | V]: first 1 + p entries use m1 for Z; the Z entries use m2 = m1m1ᵀ + Σ."""
    rows = []
    for i in range(len(y)):
        xbar = np.concatenate([[1.0], x[i], m1[i]])
        r = y[i] - xbar @ beta
        m2 = np.outer(m1[i], m1[i]) + sigma
        z_part = m1[i] * (y[i] - beta[0] - x[i] @ beta[1 : 1 + p]) - m2 @ beta[1 + p :]
        rows.append(np.concatenate([xbar[: 1 + p] * r, z_part]))
    return np.array(rows)


def _rows(eta, shapes, source, target, estimator, features):
    """Stacked per-row estimating functions (target rows, source rows) at η = (θ, Γ, Σ, β)."""
    (y_s, x_s, z_s), (y_t, x_t) = source, target
    k1, q, p = shapes
    theta, gamma, sigma, beta = _split(eta, k1, q, p)
    phi_s, phi_t, psi_s, psi_t = features
    w = np.exp(phi_s @ theta)
    resid = z_s - psi_s @ gamma
    imp = estimator in ("dr", "imp")
    use_w = {"dr": w, "ipw": w, "imp": 0.0 * w, "naive": np.ones_like(w)}[estimator]
    full = u_full(y_s, design(x_s, z_s), beta)
    if imp:
        ubar_s = u_imputed(y_s, x_s, psi_s @ gamma, sigma, beta, p)
        ubar_t = u_imputed(y_t, x_t, psi_t @ gamma, sigma, beta, p)
    else:
        ubar_s, ubar_t = 0.0 * full, np.zeros((len(y_t), full.shape[1]))
    rows_s = np.column_stack([
        w[:, None] * phi_s,
        np.einsum("na,nb->nab", psi_s, resid).reshape(len(y_s), -1),
        np.einsum("na,nb->nab", resid, resid).reshape(len(y_s), -1) - sigma.ravel()[None],
        use_w[:, None] * (full - ubar_s),
    ])  # fmt: skip
    zeros = np.zeros((len(y_t), psi_s.shape[1] * q + q * q))
    rows_t = np.column_stack([-phi_t, zeros, ubar_t])
    return rows_t, rows_s


def _split(eta, k1, q, p):
    d = 1 + p + q
    theta = eta[:k1]
    gamma = eta[k1 : k1 + k1 * q].reshape(k1, q)
    sigma = eta[k1 + k1 * q : k1 + k1 * q + q * q].reshape(q, q)
    return theta, gamma, sigma, eta[-d:]


def fit(source, target, estimator="dr"):
    """β̂, plug-in SE and full (stacked) SE, with φ = ψ = (1, y, x)."""
    (y_s, x_s, z_s), (y_t, x_t) = source, target
    p, q = x_s.shape[1], z_s.shape[1]
    phi_s, phi_t = design(y_s, x_s), design(y_t, x_t)
    theta = tilt_weights(phi_s, phi_t)
    w = np.exp(phi_s @ theta)
    w = w / w.mean()
    gamma, sigma = imputation(phi_s, z_s)
    m1_s, m1_t = phi_s @ gamma, phi_t @ gamma
    use_w = {"dr": w, "ipw": w, "imp": 0.0 * w, "naive": np.ones_like(w)}[estimator]
    imp = estimator in ("dr", "imp")
    xt_s = design(x_s, z_s)

    def ee_rows(beta):
        full = u_full(y_s, xt_s, beta)
        if imp:
            ubar_t = u_imputed(y_t, x_t, m1_t, sigma, beta, p)
            ubar_s = u_imputed(y_s, x_s, m1_s, sigma, beta, p)
        else:
            ubar_t, ubar_s = np.zeros((len(y_t), full.shape[1])), 0.0 * full
        return ubar_t, use_w[:, None] * (full - ubar_s)

    def ee(beta):
        rows_t, rows_s = ee_rows(beta)
        return rows_t.mean(0) + rows_s.mean(0)

    d = 1 + p + q
    c = ee(np.zeros(d))
    a = np.column_stack([ee(np.eye(d)[j]) - c for j in range(d)])
    beta = np.linalg.solve(a, -c)
    rows_t, rows_s = ee_rows(beta)
    meat = np.cov(rows_t.T) / len(y_t) + np.cov(rows_s.T) / len(y_s)
    a_inv = np.linalg.inv(a)
    plugin = np.sqrt(np.diag(a_inv @ meat @ a_inv.T))
    full = _full_se(np.concatenate([theta, gamma.ravel(), sigma.ravel(), beta]),
                    (phi_s.shape[1], q, p), source, target, estimator,
                    (phi_s, phi_t, phi_s, phi_t))  # fmt: skip
    return beta, plugin, full, w


def _full_se(eta, shapes, source, target, estimator, features, step=1e-6):
    def mean_ee(e):
        rows_t, rows_s = _rows(e, shapes, source, target, estimator, features)
        return rows_t.mean(0) + rows_s.mean(0)

    jac = np.column_stack([
        (mean_ee(eta + step * unit) - mean_ee(eta - step * unit)) / (2 * step)
        for unit in np.eye(len(eta))
    ])  # fmt: skip
    # Σ enters symmetrically: its q² entries are not all free; keep only the upper triangle.
    k1, q, p = shapes
    start = k1 + k1 * q
    free = [i for i in range(len(eta)) if not (start <= i < start + q * q) or
            (i - start) // q <= (i - start) % q]  # fmt: skip
    jac = _symmetrise_sigma(jac, start, q)[np.ix_(free, free)]
    rows_t, rows_s = _rows(eta, shapes, source, target, estimator, features)
    rows_t, rows_s = rows_t[:, free], rows_s[:, free]
    meat = np.cov(rows_t.T) / len(rows_t) + np.cov(rows_s.T) / len(rows_s)
    a_inv = np.linalg.inv(jac)
    cov = a_inv @ meat @ a_inv.T
    d = 1 + p + q
    return np.sqrt(np.diag(cov))[-d:]


def _symmetrise_sigma(jac, start, q):
    """Columns for Σ_ab (a < b) get the derivative along Σ_ab = Σ_ba (both entries move)."""
    jac = jac.copy()
    for a in range(q):
        for b in range(a + 1, q):
            i, j = start + a * q + b, start + b * q + a
            jac[:, i] = jac[:, i] + jac[:, j]
    return jac
