"""Collinearity diagnostics of a library matrix: condition number, spectrum, VIFs."""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers.sparse._stlsq import column_scales

__all__ = ["Collinearity", "collinearity"]


class Collinearity(NamedTuple):
    """Diagnostics of the column-normalised library G̃ = G / ‖G_j‖.

    Attributes:
        condition_number: κ₂(G̃) = σ_max / σ_min.
        singular_values: σ of G̃, descending.
        null_direction: right singular vector of σ_min (names the near-dependency, in
            normalised columns; sign fixed so that its largest entry is positive).
        vif: variance-inflation factors VIF_j = 1/(1 − R_j²) (uncentred R_j², regressing
            column j on the others), equal to ``[(G̃ᵀG̃)⁻¹]_jj``.
    """

    condition_number: Float[Array, ""]
    singular_values: Float[Array, " J"]
    null_direction: Float[Array, " J"]
    vif: Float[Array, " J"]


def collinearity(
    G: Float[Array, "Q J"], row_weights: Float[Array, " Q"] | None = None
) -> Collinearity:
    """Condition number, singular spectrum, near-null direction and VIFs of G (columns scaled).

    Rows are weighted by ``sqrt(row_weights)`` (0/1 masks or bootstrap multiplicities).
    """
    weights = jnp.ones(G.shape[0], G.dtype) if row_weights is None else row_weights
    normalised = jnp.sqrt(weights)[:, None] * G / column_scales(G, row_weights)[None, :]
    _, sigma, vt = jnp.linalg.svd(normalised, full_matrices=False)
    direction = vt[-1]
    direction = direction * jnp.sign(direction[jnp.argmax(jnp.abs(direction))])
    vif = jnp.sum((vt / sigma[:, None]) ** 2, axis=0)  # diag((G̃ᵀG̃)⁻¹) = Σ_k v_kj² / σ_k²
    return Collinearity(sigma[0] / sigma[-1], sigma, direction, vif)
