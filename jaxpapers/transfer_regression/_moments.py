"""Doubly robust moments of the target design and the estimating function (spec §3).

With design X̃ = (1, X, Z) the target coefficient solves E_T[X̃(Y − X̃ᵀβ)] = 0, i.e.
β* = M_xx⁻¹ M_xy with M_xx = E_T[X̃X̃ᵀ], M_xy = E_T[X̃Y]. For any h(Y, X, Z) with imputed
version h̄(V) = E[h | V] the doubly robust estimate of E_T[h] is

    DR(h) = mean_T[ h̄(V) ] + mean_S[ ŵ(V) (h − h̄(V)) ],

consistent when ŵ is the density ratio OR h̄ is the conditional mean. Applied to the blocks of
X̃X̃ᵀ and X̃Y with h̄ built from x̄ = (1, X, m₁) and C = m₂ − m₁m₁ᵀ (E[ZZᵀ|V] = m₁m₁ᵀ + C):

    M̂_xx = mean_T[x̄x̄ᵀ + E(C)] + mean_S[ŵ (X̃X̃ᵀ − x̄x̄ᵀ − E(C))],
    M̂_xy = mean_T[x̄ Y]         + mean_S[ŵ (X̃ − x̄) Y],

where E(C) puts C in the Z block. Blocks of (1, X, Y) alone have h = h̄, so the augmentation
vanishes there and they are plain target means. The same formula, with h̄ scaled by s and the
weights replaced by a·ŵ + b, gives the baselines (:data:`MIXES` holds (s, a, b)):

* ``"dr"``: (1, 1, 0);
* ``"ipw"``: h̄ ≡ 0, so M̂ = mean_S[ŵ X̃X̃ᵀ] (the ŵ-weighted source OLS; spec §9 correction);
* ``"imp"``: ŵ ≡ 0, so M̂ = mean_T[h̄] (plug-in imputation);
* ``"naive"``: ŵ ≡ 1 and h̄ ≡ 0 (source OLS, ignoring the shift).

Because (s, a, b) are numbers, not branches, the four estimators are one program that can be
``vmap``-ped over the rows of :data:`MIXES`.

The estimating function is linear in β: Ψ_n(β) = M̂_xy − M̂_xx β = mean_T Ū + mean_S ŵ(U − Ū)
with U = X̃(Y − X̃ᵀβ) and Ū = E[U | V] (:func:`row_scores`), so β̂ = M̂_xx⁻¹ M̂_xy.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxpapers import linalg
from jaxpapers.transfer_regression._types import Moments

__all__ = ["MIXES", "dr_moments", "mix", "row_scores", "solve_beta"]

MIXES = {
    "naive": (0.0, 0.0, 1.0),
    "ipw": (0.0, 1.0, 0.0),
    "imp": (1.0, 0.0, 0.0),
    "dr": (1.0, 1.0, 0.0),
}
"""(s, a, b) of each estimator: imputations scaled by s, source weights a·ŵ + b."""


def mix(estimator: str, dtype=jnp.float32) -> Array:
    """The (s, a, b) row of ``estimator`` as an array."""
    return jnp.asarray(MIXES[estimator], dtype)


class _Parts(NamedTuple):
    """Per-row pieces of the two samples (module docstring), rows last.

    Rows are the last (contiguous) axis: every moment is then a long dot over rows, which
    XLA:CPU runs several times faster than the same products on (n, d) arrays under ``vmap``.
    """

    y_t: Array  # (nT,)
    xbar_t: Array  # (d, nT) s·(1, x, m1)
    c_t: Array  # (q, q, nT) s·(m2 − m1 m1ᵀ)
    y_s: Array  # (nS,)
    design_s: Array  # (d, nS) (1, x, z)
    xbar_s: Array  # (d, nS)
    c_s: Array  # (q, q, nS)
    weights: Array  # (nS,)


def _design(x, z):
    """(1, x, z) of every row, as a (d, n) array."""
    ones = jnp.ones((1, x.shape[0]), x.dtype)
    return jnp.concatenate([ones, x.T, z.T], axis=0)


def _parts(target, source, weights, imputed_target, imputed_source, mixing) -> _Parts:
    """Per-row pieces for the estimator (s, a, b) = ``mixing`` (module docstring)."""
    (y_t, x_t), (y_s, x_s, z_s) = target, source
    scale, weight_scale, weight_shift = mixing[0], mixing[1], mixing[2]

    def imputed(x, m1, m2):
        c = m2 - m1[:, :, None] * m1[:, None, :]
        return scale * _design(x, m1), scale * jnp.moveaxis(c, 0, -1)

    xbar_t, c_t = imputed(x_t, *imputed_target)
    xbar_s, c_s = imputed(x_s, *imputed_source)
    weights = weight_scale * weights + weight_shift
    return _Parts(y_t, xbar_t, c_t, y_s, _design(x_s, z_s), xbar_s, c_s, weights)


def _embed(c, d):
    """E(C): the (q, q) block C in the bottom-right corner of a (d, d) zero matrix."""
    q = c.shape[-1]
    return jnp.zeros(c.shape[:-2] + (d, d), c.dtype).at[..., d - q :, d - q :].set(c)


def _moments(parts: _Parts) -> Moments:
    d, n_t = parts.xbar_t.shape
    n_s = parts.y_s.shape[0]
    w = parts.weights
    gap = parts.design_s - parts.xbar_s  # zero in the observed rows when imputing
    weighted_gap = gap * w[None, :]
    cross = weighted_gap @ parts.xbar_s.T
    xx = (
        parts.xbar_t @ parts.xbar_t.T / n_t
        + _embed(jnp.mean(parts.c_t, axis=-1), d)
        + (cross + cross.T + weighted_gap @ gap.T) / n_s
        - _embed(parts.c_s @ w / n_s, d)
    )
    xy = parts.xbar_t @ parts.y_t / n_t + weighted_gap @ parts.y_s / n_s
    return Moments(0.5 * (xx + xx.T), xy)


def dr_moments(
    target: tuple[Float[ArrayLike, " nT"], Float[ArrayLike, "nT p"]],
    source: tuple[Float[ArrayLike, " nS"], Float[ArrayLike, "nS p"], Float[ArrayLike, "nS q"]],
    weights: Float[ArrayLike, " nS"] | None = None,
    imputed_target: tuple[Float[ArrayLike, "nT q"], Float[ArrayLike, "nT q q"]] | None = None,
    imputed_source: tuple[Float[ArrayLike, "nS q"], Float[ArrayLike, "nS q q"]] | None = None,
    *,
    estimator: str = "dr",
) -> Moments:
    """Doubly robust estimates of E_T[X̃X̃ᵀ] and E_T[X̃Y] (module docstring, spec §3).

    Args:
        target: (y, x) of the target rows.
        source: (y, x, z) of the source rows.
        weights: ŵ of the source rows (mean 1); used by ``"dr"`` and ``"ipw"``.
        imputed_target: (m₁, m₂) of each row, shapes (n, q) and (n, q, q);
            used by ``"dr"`` and ``"imp"``.
        imputed_source: see ``imputed_target``.
        estimator: ``"dr"``, ``"ipw"`` (h̄ ≡ 0), ``"imp"`` (ŵ ≡ 0) or ``"naive"`` (ŵ ≡ 1,
            h̄ ≡ 0). Arguments an estimator does not use may be None.

    Returns:
        :class:`Moments` (M̂_xx, M̂_xy); β̂ = M̂_xx⁻¹ M̂_xy (:func:`solve_beta`).

    Examples:
        >>> import jax.numpy as jnp
        >>> y, x, z = jnp.array([1.0, 2.0, 4.0]), jnp.array([[0.0], [1.0], [2.0]]), \
jnp.array([[1.0], [0.0], [1.0]])
        >>> m = dr_moments((y, x), (y, x, z), estimator="naive")
        >>> (3 * m.xy).round(4).tolist()   # source sums of (Y, XY, ZY)
        [7.0, 10.0, 5.0]
    """
    _check_needed(estimator, weights, imputed_target, imputed_source)
    y_t, x_t = (jnp.asarray(a) for a in target)
    y_s, x_s, z_s = (jnp.asarray(a) for a in source)
    target, source = (y_t, x_t), (y_s, x_s, z_s)
    dtype, q = y_s.dtype, z_s.shape[1]

    def absent(n):
        return jnp.zeros((n, q), dtype), jnp.zeros((n, q, q), dtype)

    def given(imputed):
        return jnp.asarray(imputed[0]), jnp.asarray(imputed[1])

    w = jnp.ones_like(y_s) if weights is None else jnp.asarray(weights)
    m_t = absent(y_t.shape[0]) if imputed_target is None else given(imputed_target)
    m_s = absent(y_s.shape[0]) if imputed_source is None else given(imputed_source)
    parts = _parts(target, source, w, m_t, m_s, mix(estimator, dtype))
    return _moments(parts)


def _check_needed(estimator, weights, imputed_target, imputed_source):
    if estimator not in ("naive", "ipw", "imp", "dr"):
        raise ValueError(f"estimator must be one of 'naive', 'ipw', 'imp', 'dr', got {estimator!r}")
    if estimator in ("dr", "ipw") and weights is None:
        raise ValueError(f"estimator {estimator!r} needs weights, got None")
    if estimator in ("dr", "imp") and (imputed_target is None or imputed_source is None):
        raise ValueError(f"estimator {estimator!r} needs imputed_target and imputed_source")


def solve_beta(moments: Moments) -> Float[Array, " d"]:
    """β̂ = M̂_xx⁻¹ M̂_xy by a Cholesky solve (NaN when M̂_xx is not positive definite)."""
    return linalg.spd_solve(moments.xx, moments.xy)


def row_scores(parts: _Parts, beta: Array) -> tuple[Array, Array]:
    """Per-row terms of Ψ_n(β), rows last: Ū(β; V_i) of the target rows, (d, n_T), and
    ŵ_j(U_j − Ū_j) of the source rows, (d, n_S).

    mean_T of the first plus mean_S of the second equals M̂_xy − M̂_xx β.
    """
    d = beta.shape[0]

    def imputed_score(xbar, c, y):
        q = c.shape[0]
        cz = jnp.einsum("abn,b->an", c, beta[d - q :])  # E(C) β: only the Z rows
        correction = jnp.concatenate([jnp.zeros((d - q, c.shape[-1]), c.dtype), cz], axis=0)
        return xbar * (y - beta @ xbar)[None, :] - correction

    score_t = imputed_score(parts.xbar_t, parts.c_t, parts.y_t)
    full = parts.design_s * (parts.y_s - beta @ parts.design_s)[None, :]
    score_s = parts.weights[None, :] * (full - imputed_score(parts.xbar_s, parts.c_s, parts.y_s))
    return score_t, score_s
