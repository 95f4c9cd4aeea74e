"""Settings and result containers of :mod:`jaxpapers.attention_transport`."""

from __future__ import annotations

import dataclasses
from typing import Literal, NamedTuple

from jaxtyping import Array, Bool, Float, Int

from jaxpapers import _validate

__all__ = [
    "FLOOR",
    "Config",
    "HeadFeatures",
    "HeadSummary",
    "Lanczos",
    "Landscape",
    "LengthControlled",
    "Probe",
    "ProbeEvaluation",
    "ProbeScores",
    "SpectralCheeger",
]

FLOOR = 0.2
"""The paper's n-independent floor of uniform causal attention, φ ≥ 1/5 [paper]."""


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the forced-scoring detector (spec §1.5; all "proposed" where the paper is
    silent). Hashable, so it can be a static argument of ``jit``.

    Attributes:
        span: ``"response"`` analyses the answer tokens only; ``"full"`` the whole unpadded
            sequence, prompt included (then ``span_size`` should be ``max_length``).
        span_size: static number of tokens an analysed span is padded (or clipped) to.
        max_length: tokens per forced-scoring example; the context is cut from the left.
        lanczos_steps: None computes λ₂ with a dense ``eigvalsh``; an int uses that many
            Lanczos steps (:func:`lambda2_lanczos`).
        probe_C: inverse L2 strength of the class-balanced logistic probe (scikit-learn's
            ``C``; the penalty is λ = 1/C on standardised features).
        probe_max_steps: Newton-step cap of the probe (convergence is reported).
        n_folds: cross-fitting folds, grouped by item (each fold is a 1/n_folds test split).
        length_tolerance: LC-AUROC compares a positive and a negative answer only when their
            token lengths differ by at most this (0 = exact matching).
        n_bootstrap: bootstrap replicates over items for the LC-AUROC standard error.
    """

    span: Literal["response", "full"] = "response"
    span_size: int = 32
    max_length: int = 128
    lanczos_steps: int | None = None
    probe_C: float = 1.0
    probe_max_steps: int = 50
    n_folds: int = 5
    length_tolerance: int = 0
    n_bootstrap: int = 500

    def __post_init__(self):
        _validate.check_choice("Config.span", self.span, ("response", "full"))
        _validate.check_integer("Config.span_size", self.span_size, minimum=2)
        _validate.check_integer("Config.max_length", self.max_length, minimum=4)
        if self.lanczos_steps is not None:
            _validate.check_integer("Config.lanczos_steps", self.lanczos_steps, minimum=2)
        _validate.check_positive("Config.probe_C", self.probe_C)
        _validate.check_integer("Config.probe_max_steps", self.probe_max_steps, minimum=1)
        _validate.check_integer("Config.n_folds", self.n_folds, minimum=2)
        _validate.check_integer("Config.length_tolerance", self.length_tolerance, minimum=0)
        _validate.check_integer("Config.n_bootstrap", self.n_bootstrap, minimum=2)


class Landscape(NamedTuple):
    """Bipartite-Cheeger landscape over prefix cuts S_t = {1..t}, t = 1..n−1 (spec §1.4-3).

    Attributes:
        phi: conductance φ(t) of each prefix cut; NaN where ``valid`` is False.
        cut: cut weight of W = (A+Aᵀ)/2 across each prefix.
        volume: vol(S_t) = Σ_{k ≤ t} d_k.
        valid: the cut separates at least one valid token on each side and ends on a valid
            token (padding makes the other positions repeats of a valid cut).
        position: t / n_valid, the fraction of valid tokens left of the cut.
        phi_min: min_t φ(t), the head's transport capacity; NaN when ``defined`` is False.
        t_star: number of valid tokens left of the worst cut (0 when undefined).
        t_star_frac: t* / n_valid; NaN when undefined.
        n_valid: number of valid tokens.
        defined: the head has a cut (≥ 2 valid tokens of positive degree) and its weights are
            finite and nonnegative. Under ``jit`` this flag is how bad input shows.
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
    defined: Bool[Array, "*batch"]


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


class Lanczos(NamedTuple):
    """λ₂ by Lanczos (:func:`lambda2_lanczos`) with its convergence as data.

    Attributes:
        lambda2: 1 − μ₂, an upper bound on the exact λ₂ (Ritz values bound μ₂ from below).
        residual: ‖S x − θ x‖ of the top Ritz pair (θ, x), which bounds |θ − μ₂|.
        converged: ``residual <= tol``, or the Krylov space was exhausted (exact).
        num_steps: Lanczos steps that ran before the space was exhausted (≤ ``steps``).
    """

    lambda2: Float[Array, "*batch"]
    residual: Float[Array, "*batch"]
    converged: Bool[Array, "*batch"]
    num_steps: Int[Array, "*batch"]


class HeadFeatures(NamedTuple):
    """Transport features of each head (spec §1.4-6): capacity φ, worst cut, gap and direction.

    ``defined`` is False (and the float features NaN) for a head with fewer than two valid
    tokens, or, under ``jit``, for a map that is not finite, nonnegative and row-stochastic.
    ``lambda2_converged`` is always True for the dense eigensolver and reports the Lanczos
    residual test otherwise.
    """

    phi_min: Float[Array, "*batch"]
    t_star_frac: Float[Array, "*batch"]
    lambda2: Float[Array, "*batch"]
    asymmetry: Float[Array, "*batch"]
    below_floor: Bool[Array, "*batch"]
    defined: Bool[Array, "*batch"]
    lambda2_converged: Bool[Array, "*batch"]


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


class Probe(NamedTuple):
    """A fitted probe: logit(x) = ((x − mean)/scale)ᵀ weights + bias, with Newton's report."""

    mean: Float[Array, " f"]
    scale: Float[Array, " f"]
    weights: Float[Array, " f"]
    bias: Float[Array, ""]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]


class ProbeScores(NamedTuple):
    """Cross-fitted probe logits: each row scored by the probe fitted without its fold.

    Attributes:
        score: out-of-fold logit of each row (higher = hallucinated).
        fold: the fold of each row.
        converged: every fold's Newton solve met its tolerance.
        num_steps: the largest number of Newton steps over the folds.
    """

    score: Float[Array, " m"]
    fold: Int[Array, " m"]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]


class LengthControlled(NamedTuple):
    """LC-AUROC with its bootstrap standard error over items (:func:`length_controlled_auroc`).

    Attributes:
        auroc: LC-AUROC over length-matched positive×negative pairs (NaN without pairs).
        standard_error: standard deviation over bootstrap replicates that resample items.
        n_pairs: number of matched positive×negative pairs.
        pairs_retained: their fraction of all positive×negative pairs.
        plain_auroc: AUROC without length control.
    """

    auroc: Float[Array, ""]
    standard_error: Float[Array, ""]
    n_pairs: Float[Array, ""]
    pairs_retained: Float[Array, ""]
    plain_auroc: Float[Array, ""]


class ProbeEvaluation(NamedTuple):
    """What :func:`evaluate_probe` measured on forced-scoring features.

    Attributes:
        scores: the cross-fitted probe (on the rows whose features are defined).
        lc: LC-AUROC of the probe score, with its bootstrap standard error.
        raw_phi: LC-AUROC of the raw mean φ_min over heads (the unprobed polarity, §1.4-9).
        kept: rows whose features are defined (spans of ≥ 2 tokens); the others are dropped.
    """

    scores: ProbeScores
    lc: LengthControlled
    raw_phi: LengthControlled
    kept: Bool[Array, " m"]
