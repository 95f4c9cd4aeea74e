"""Rubin's rules for pooling multiply imputed estimates, with Barnard–Rubin degrees of freedom.

Given ``m`` completed-data estimates ``Q_b`` with variances ``U_b``,

    Q̄ = mean_b Q_b,   Ū = mean_b U_b,   B = var_b Q_b  (ddof 1),   T = Ū + (1 + 1/m) B,

and the pooled statistic ``t = Q̄ / √T`` is referred to a Student t with the small-sample degrees of
freedom of Barnard & Rubin (1999), for complete-data degrees of freedom ``ν_c``:

    r = (1 + 1/m) B / Ū,   ν_old = (m − 1)(1 + 1/r)²,   λ = (1 + 1/m) B / T,
    ν_obs = (ν_c + 1)/(ν_c + 3) · ν_c · (1 − λ),   ν = ν_old ν_obs / (ν_old + ν_obs).

Guards (so that a vmapped batch never produces NaN): ``B = 0`` gives ``ν = ν_c``; ``T = 0`` gives
``t = 0``.

References:
    Rubin, D. B. (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
    Barnard, J. & Rubin, D. B. (1999). Small-sample degrees of freedom with multiple imputation.
    Biometrika 86(4), 948–955.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

__all__ = ["RubinResult", "barnard_rubin_df", "rubin_pool", "student_t_sf"]


class RubinResult(NamedTuple):
    """Pooled estimate of ``m`` imputations (all scalars).

    Attributes:
        estimate: Q̄, the mean of the per-imputation estimates.
        within: Ū, the mean within-imputation variance.
        between: B, the between-imputation variance (ddof 1).
        total: T = Ū + (1 + 1/m) B.
        df: Barnard–Rubin degrees of freedom ν.
        statistic: t = Q̄ / √T (0 when T = 0).
    """

    estimate: Float[Array, ""]
    within: Float[Array, ""]
    between: Float[Array, ""]
    total: Float[Array, ""]
    df: Float[Array, ""]
    statistic: Float[Array, ""]


def barnard_rubin_df(
    within: Float[Array, ""],
    between: Float[Array, ""],
    n_imputations: int,
    complete_df: float | Float[Array, ""],
) -> Float[Array, ""]:
    """Barnard–Rubin (1999) degrees of freedom ν (module docstring); ``ν_c`` when ``B = 0``."""
    m = n_imputations
    inflated = (1.0 + 1.0 / m) * between
    total = within + inflated
    has_between = (between > 0) & (within > 0)
    safe_between = jnp.where(has_between, inflated, 1.0)
    safe_within = jnp.where(has_between, within, 1.0)
    ratio = safe_between / safe_within
    df_old = (m - 1) * (1.0 + 1.0 / ratio) ** 2
    fraction_missing = jnp.where(has_between, inflated / jnp.where(total > 0, total, 1.0), 0.0)
    df_obs = (complete_df + 1.0) / (complete_df + 3.0) * complete_df * (1.0 - fraction_missing)
    # ν = ν_old ν_obs / (ν_old + ν_obs), written as a harmonic sum: B ≪ Ū makes ν_old overflow to
    # inf (float32), and inf/inf would be NaN, while 1/inf = 0 gives the right limit ν_obs.
    df = 1.0 / (1.0 / df_old + 1.0 / df_obs)
    complete = jnp.asarray(complete_df, dtype=df.dtype)
    # Within = 0 < between: all information is between imputations; ν_obs = 0 would give ν = 0.
    return jnp.where(has_between, df, jnp.where(between > 0, m - 1.0, complete))


def rubin_pool(
    estimates: Float[Array, " m"],
    variances: Float[Array, " m"],
    complete_df: float | Float[Array, ""],
) -> RubinResult:
    """Pool per-imputation estimates and variances with Rubin's rules (module docstring).

    Args:
        estimates: ``Q_b``, one completed-data estimate per imputation, shape ``(m,)``.
        variances: ``U_b``, their completed-data variances, shape ``(m,)``.
        complete_df: ``ν_c``, complete-data degrees of freedom (e.g. ``K − 1`` for a K-fold
            cross-validated mean).

    Returns:
        A :class:`RubinResult`. With ``m = 1`` the between variance is 0 and ``ν = ν_c``.

    Examples:
        >>> import jax.numpy as jnp
        >>> res = rubin_pool(jnp.array([1.0, 1.2, 0.8]), jnp.array([0.1, 0.1, 0.1]), 9.0)
        >>> round(float(res.total), 4)  # 0.1 + (4/3)·0.04
        0.1533
    """
    m = estimates.shape[0]
    estimate = jnp.mean(estimates)
    within = jnp.mean(variances)
    between = jnp.var(estimates, ddof=1) if m > 1 else jnp.zeros_like(estimate)
    total = within + (1.0 + 1.0 / m) * between
    df = barnard_rubin_df(within, between, m, complete_df)
    statistic = jnp.where(total > 0, estimate / jnp.sqrt(jnp.where(total > 0, total, 1.0)), 0.0)
    return RubinResult(estimate, within, between, total, df, statistic)


def student_t_sf(t: Float[Array, "*shape"], df: Float[Array, "*shape"]) -> Float[Array, "*shape"]:
    """Upper tail ``P(T > t)`` of Student's t with (real) ``df`` degrees of freedom.

    Uses ``P(|T| > |t|) = I_{df/(df+t²)}(df/2, 1/2)`` (regularised incomplete beta); differs from
    ``scipy.stats.t.sf`` by float rounding only.
    """
    two_sided = jax.scipy.special.betainc(df / 2.0, jnp.full_like(df, 0.5), df / (df + t * t))
    return jnp.where(t > 0, 0.5 * two_sided, 1.0 - 0.5 * two_sided)
