"""Monte Carlo summaries: mean ± standard error, and resampling p-values with their floor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxpapers import _validate

__all__ = ["MeanSE", "mean_se", "resampling_pvalue"]


class MeanSE(NamedTuple):
    """Mean of replicates and its standard error s/√n (s with ddof = 1)."""

    mean: Float[Array, " ..."]
    se: Float[Array, " ..."]


def mean_se(values: Float[ArrayLike, "n ..."] | Sequence[float], axis: int = 0) -> MeanSE:
    """Mean over ``axis`` and its standard error, s/√n with the unbiased s.

    >>> mean_se([1.0, 2.0, 3.0])
    MeanSE(mean=Array(2., dtype=float32), se=Array(0.57735026, dtype=float32))
    """
    x = jnp.asarray(values)
    x = x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.float32)
    n = x.shape[axis]
    if n < 2:
        raise ValueError(f"values needs at least 2 replicates along axis {axis}, got {n}")
    return MeanSE(jnp.mean(x, axis=axis), jnp.std(x, axis=axis, ddof=1) / jnp.sqrt(n))


def resampling_pvalue(
    observed: Float[ArrayLike, ""],
    null_statistics: Float[ArrayLike, " B"],
    alternative: str = "greater",
) -> Float[Array, ""]:
    """Monte Carlo p-value of a permutation, bootstrap or parametric-resimulation test.

        p = (1 + #{b: T_b ≥ T_obs}) / (1 + B)       ("greater"; "less" flips the inequality)

    counts the observed statistic as one draw of the null, so the test is exact at level
    α whenever α(1 + B) is an integer and p is never below 1/(1 + B) (Phipson & Smyth 2010,
    "Permutation p-values should never be zero"). ``"two-sided"`` doubles the smaller tail,
    capped at 1.

    >>> round(float(resampling_pvalue(3.0, jnp.array([0.5, 1.0, 4.0, 2.0]))), 6)
    0.4
    """
    _validate.check_choice("alternative", alternative, ("greater", "less", "two-sided"))
    t = jnp.asarray(observed)
    null = jnp.asarray(null_statistics)
    if null.ndim != 1 or null.shape[0] < 1:
        raise ValueError(f"null_statistics must be 1-D with >= 1 draw, got shape {null.shape}")
    size = null.shape[0]

    def tail(hits):
        return (1.0 + jnp.sum(hits).astype(null.dtype)) / (1.0 + size)

    if alternative == "greater":
        return tail(null >= t)
    if alternative == "less":
        return tail(null <= t)
    return jnp.minimum(1.0, 2.0 * jnp.minimum(tail(null >= t), tail(null <= t)))
