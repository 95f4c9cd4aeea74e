"""Classical CI tests used as baselines and oracles: Fisher-z and the G-test.

Fisher-z (complete continuous data): r = partial correlation of X and Y given S from the inverse
of the correlation matrix of (X, Y, S); z = √(n − |S| − 3) · atanh(r); p = 2(1 − Φ(|z|)).
Impute-then-test (spec §5) applies it to one proper imputation.

G-test (complete discrete data): G = 2 Σ O log(O / E) over the cells of (X, Y, S), E = N_xs N_ys /
N_s, with df = Σ_s (r_s − 1)(c_s − 1) over strata s with at least one row, r_s / c_s the observed
levels of X / Y in s (as in causal-learn's ``chisq``/``gsq``); p = P(χ²_df > G).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from jaxpapers.linalg import cho_solve, cholesky

__all__ = ["FisherZResult", "fisher_z_from_correlation", "fisher_z_test", "g_test"]


class FisherZResult(NamedTuple):
    """Fisher-z test result (scalars)."""

    statistic: Float[Array, ""]
    pvalue: Float[Array, ""]
    partial_correlation: Float[Array, ""]


def fisher_z_from_correlation(
    correlation: Float[Array, "p p"],
    n: int | Int[Array, ""],
    x: Int[Array, ""],
    y: Int[Array, ""],
    cond_set: Int[Array, " s"],
    cond_mask: Bool[Array, " s"],
) -> FisherZResult:
    """Fisher-z test of X_x ⊥ X_y | X_S from a correlation matrix (masked, padded S)."""
    index = jnp.concatenate([jnp.stack([x, y]).astype(jnp.int32), cond_set.astype(jnp.int32)])
    active = jnp.concatenate([jnp.ones(2, bool), cond_mask])
    sub = correlation[index][:, index]
    both = active[:, None] & active[None, :]
    eye = jnp.eye(index.shape[0], dtype=correlation.dtype)
    # Padded variables become independent unit-variance columns: they leave r unchanged.
    sub = jnp.where(both, sub, eye)
    precision = cho_solve(cholesky(sub), eye[:, :2])  # the first two columns of sub⁻¹
    r = -precision[0, 1] / jnp.sqrt(precision[0, 0] * precision[1, 1])
    r = jnp.clip(r, -1.0 + 1e-7, 1.0 - 1e-7)
    size = jnp.sum(cond_mask).astype(correlation.dtype)
    z = jnp.sqrt(jnp.maximum(jnp.asarray(n, correlation.dtype) - size - 3.0, 1.0)) * jnp.arctanh(r)
    pvalue = 2.0 * jax.scipy.stats.norm.sf(jnp.abs(z))
    return FisherZResult(z, pvalue, r)


def fisher_z_test(
    data: Float[Array, "n p"],
    x: Int[Array, ""] | int,
    y: Int[Array, ""] | int,
    cond_set: Int[Array, " s"],
    cond_mask: Bool[Array, " s"] | None = None,
) -> FisherZResult:
    """Fisher-z partial-correlation test of X_x ⊥ X_y | X_S on complete data (no NaN)."""
    cond_set = jnp.asarray(cond_set, jnp.int32)
    cond_mask = jnp.ones(cond_set.shape, bool) if cond_mask is None else cond_mask
    correlation = jnp.corrcoef(data, rowvar=False)
    return fisher_z_from_correlation(
        correlation, data.shape[0], jnp.asarray(x), jnp.asarray(y), cond_set, cond_mask
    )


def g_test(
    data: Float[Array, "n p"],
    x: Int[Array, ""],
    y: Int[Array, ""],
    cond_set: Int[Array, " s"],
    cond_mask: Bool[Array, " s"],
    n_states: int,
) -> Float[Array, ""]:
    """p-value of the G-test of X_x ⊥ X_y | X_S on complete discrete data (codes 0..C−1).

    ``n_states`` is a static bound on the number of states of every variable.
    """
    codes = data.astype(jnp.int32)
    weights = n_states ** jnp.arange(cond_set.shape[0])
    stratum = jnp.sum(
        codes[:, cond_set] * cond_mask[None, :].astype(jnp.int32) * weights[None, :], axis=1
    )
    n_strata = n_states ** cond_set.shape[0]
    cell = (stratum * n_states + codes[:, x]) * n_states + codes[:, y]
    counts = jnp.zeros(n_strata * n_states * n_states, data.dtype).at[cell].add(1.0)
    counts = counts.reshape(n_strata, n_states, n_states)
    n_xs = jnp.sum(counts, axis=2, keepdims=True)
    n_ys = jnp.sum(counts, axis=1, keepdims=True)
    n_s = jnp.sum(counts, axis=(1, 2), keepdims=True)
    expected = n_xs * n_ys / jnp.maximum(n_s, 1.0)
    terms = jnp.where(counts > 0, counts * jnp.log(counts / jnp.maximum(expected, 1e-30)), 0.0)
    statistic = 2.0 * jnp.sum(terms)
    rows = jnp.sum(n_xs[:, :, 0] > 0, axis=1)
    cols = jnp.sum(n_ys[:, 0, :] > 0, axis=1)
    df = jnp.sum(jnp.maximum(rows - 1, 0) * jnp.maximum(cols - 1, 0)).astype(data.dtype)
    return jnp.where(df > 0, jax.scipy.special.gammaincc(df / 2.0, statistic / 2.0), 1.0)
