"""Threshold sweeps and MSTLS λ-selection, vmapped over the thresholds."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from jaxpapers.sparse._stlsq import SparseResult, check_system, refit, stlsq

__all__ = ["SweepResult", "distinct_supports", "mstls", "threshold_sweep"]


class SweepResult(NamedTuple):
    """STLSQ over a grid of thresholds (leading axis = threshold).

    Attributes:
        thresholds: the λ grid.
        coefficients: ξ_λ in original units.
        support: the support selected at each λ.
        num_terms: ‖ξ_λ‖₀.
        residual: relative residual ‖√w (b − G ξ_λ)‖ / ‖√w b‖.
        loss: the MSTLS loss L(λ) = ‖G(ξ_λ − ξ_LS)‖/‖G ξ_LS‖ + ‖ξ_λ‖₀ / J.
        num_steps: STLSQ thresholding rounds at each λ.
        converged: whether STLSQ's support settled at each λ.
    """

    thresholds: Float[Array, " L"]
    coefficients: Float[Array, "L J"]
    support: Bool[Array, "L J"]
    num_terms: Int[Array, " L"]
    residual: Float[Array, " L"]
    loss: Float[Array, " L"]
    num_steps: Int[Array, " L"]
    converged: Bool[Array, " L"]


def _weighted_norm(r, weights):
    return jnp.sqrt(jnp.sum(weights * r**2))


def threshold_sweep(
    G: Float[Array, "Q J"],
    b: Float[Array, " Q"],
    thresholds: Float[Array, " L"],
    *,
    row_weights: Float[Array, " Q"] | None = None,
    active: Bool[Array, " J"] | None = None,
    ridge: float = 1e-8,
    max_iter: int = 20,
) -> SweepResult:
    """Run :func:`stlsq` at every λ in ``thresholds`` (one ``vmap``) and score each support.

    The loss is the model-selection criterion of MSTLS (Messenger & Bortz, "Weak SINDy for
    partial differential equations", J. Comput. Phys. 2021, arXiv:2007.02848):
    ``L(λ) = ‖G(ξ_λ − ξ_LS)‖ / ‖G ξ_LS‖ + ‖ξ_λ‖₀ / J`` with ξ_LS the least-squares fit on all
    active columns.
    """
    check_system(G, b, row_weights)
    weights = jnp.ones(G.shape[0], G.dtype) if row_weights is None else row_weights
    results = jax.vmap(
        lambda lam: stlsq(
            G, b, lam, row_weights=row_weights, active=active, ridge=ridge, max_iter=max_iter
        )
    )(thresholds)
    full = stlsq(G, b, 0.0, row_weights=row_weights, active=active, ridge=ridge, max_iter=1)
    fit_full = G @ full.coefficients
    gap = jax.vmap(lambda c: _weighted_norm(G @ c - fit_full, weights))(results.coefficients)
    num_terms = jnp.sum(results.support, axis=1)
    loss = gap / _weighted_norm(fit_full, weights) + num_terms / G.shape[1]
    residual = jax.vmap(lambda c: _weighted_norm(b - G @ c, weights))(results.coefficients)
    residual = residual / _weighted_norm(b, weights)
    return SweepResult(
        thresholds,
        results.coefficients,
        results.support,
        num_terms,
        residual,
        loss,
        results.num_steps,
        results.converged,
    )


def mstls(
    G: Float[Array, "Q J"],
    b: Float[Array, " Q"],
    thresholds: Float[Array, " L"],
    *,
    row_weights: Float[Array, " Q"] | None = None,
    active: Bool[Array, " J"] | None = None,
    ridge: float = 1e-8,
) -> tuple[SparseResult, Float[Array, ""]]:
    """MSTLS: the STLSQ solution at the λ that minimises the sweep loss; returns (result, λ*).

    Deviation: the WSINDy bounds on kept coefficients are not applied; STLSQ's relative
    threshold plays their role.
    """
    sweep = threshold_sweep(G, b, thresholds, row_weights=row_weights, active=active, ridge=ridge)
    best = jnp.argmin(sweep.loss)
    support = sweep.support[best]
    coef = refit(G, b, support, row_weights=row_weights, ridge=ridge)
    result = SparseResult(coef, support, sweep.num_steps[best], sweep.converged[best])
    return result, thresholds[best]


def distinct_supports(
    sweep: SweepResult, names: tuple[str, ...] | None = None
) -> list[tuple[tuple[str, ...], float, float]]:
    """Every distinct support of a sweep with the λ-interval on which it was selected (host).

    Returns a list of ``(terms, λ_low, λ_high)`` in order of increasing λ; ``terms`` are column
    names (or indices as strings when ``names`` is None).
    """
    support = np.asarray(sweep.support)
    lams = np.asarray(sweep.thresholds)
    labels = names or tuple(str(j) for j in range(support.shape[1]))
    runs: list[tuple[tuple[str, ...], float, float]] = []
    for lam, row in zip(lams, support, strict=True):
        terms = tuple(label for label, kept in zip(labels, row, strict=True) if kept)
        if runs and runs[-1][0] == terms:
            runs[-1] = (terms, runs[-1][1], float(lam))
        else:
            runs.append((terms, float(lam), float(lam)))
    return runs
