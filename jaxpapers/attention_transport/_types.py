"""Configuration and result containers of :mod:`jaxpapers.attention_transport`."""

from __future__ import annotations

from typing import NamedTuple

from jaxtyping import Array, Bool, Float, Int

FLOOR = 0.2
"""The paper's n-independent floor of uniform causal attention, φ ≥ 1/5 [paper]."""


class Landscape(NamedTuple):
    """Bipartite-Cheeger landscape over prefix cuts S_t = {1..t}, t = 1..n−1 (spec §1.4-3).

    Attributes:
        phi: conductance φ(t) of each prefix cut; 1.0 where ``valid`` is False.
        cut: cut weight of W = (A+Aᵀ)/2 across each prefix.
        volume: vol(S_t) = Σ_{k ≤ t} d_k.
        valid: the cut separates at least one valid token on each side and ends on a valid
            token (padding makes the other positions repeats of a valid cut).
        position: t / n_valid, the fraction of valid tokens left of the cut.
        phi_min: min_t φ(t), the head's transport capacity (1.0 when no cut exists).
        t_star: number of valid tokens left of the worst cut.
        t_star_frac: t* / n_valid.
        n_valid: number of valid tokens.
    """

    phi: Float[Array, "*batch n1"]
    cut: Float[Array, "*batch n1"]
    volume: Float[Array, "*batch n1"]
    valid: Bool[Array, "*batch n1"]
    position: Float[Array, "*batch n1"]
    phi_min: Float[Array, "*batch"]
    t_star: Int[Array, "*batch"]
    t_star_frac: Float[Array, "*batch"]
    n_valid: Int[Array, "*batch"]


class SpectralCheeger(NamedTuple):
    """Spectral side of the Cheeger inequality λ₂/2 ≤ φ ≤ √(2λ₂) (spec §1.4-4).

    Attributes:
        lambda2: second-smallest eigenvalue of L_sym = I − S_N (valid tokens only).
        phi_sweep: best conductance over the sweep cuts of the Fiedler ordering, an upper bound
            on the unrestricted conductance (useful where prefix cuts are not optimal, e.g.
            encoder heads).
        order: the Fiedler ordering (padded tokens last).
    """

    lambda2: Float[Array, "*batch"]
    phi_sweep: Float[Array, "*batch"]
    order: Int[Array, "*batch n"]


class HeadFeatures(NamedTuple):
    """Transport features of each head (spec §1.4-6): capacity φ, worst cut, gap and direction."""

    phi_min: Float[Array, "*batch"]
    t_star_frac: Float[Array, "*batch"]
    lambda2: Float[Array, "*batch"]
    asymmetry: Float[Array, "*batch"]
    below_floor: Bool[Array, "*batch"]


class HeadSummary(NamedTuple):
    """Aggregates of :class:`HeadFeatures` over heads: statistic ``[..., 4]`` per feature.

    Each of ``phi_min``, ``t_star_frac``, ``lambda2``, ``asymmetry`` holds (mean, median, q10,
    q90) over the aggregated heads; ``fraction_below_floor`` is the share of heads with φ < 1/5,
    the architecture signature named in the paper's v2.
    """

    phi_min: Float[Array, "*batch 4"]
    t_star_frac: Float[Array, "*batch 4"]
    lambda2: Float[Array, "*batch 4"]
    asymmetry: Float[Array, "*batch 4"]
    fraction_below_floor: Float[Array, "*batch"]
