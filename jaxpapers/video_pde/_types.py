"""Configuration and result types of the video → PDE pipeline."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from jaxtyping import Array, Bool, Float, Int

from jaxpapers import _validate
from jaxpapers.sparse import SparseResult

__all__ = [
    "COMPACT",
    "DEGREE",
    "DISTRACTORS",
    "OVERCOMPLETE",
    "TERMS",
    "Calibration",
    "Config",
    "Discovery",
    "Estimate",
    "Identification",
    "KappaScan",
    "PinnResult",
    "PlumeVideo",
    "WeakSystem",
]

TERMS: tuple[str, ...] = (
    "grad2", "lap", "one", "u", "u2", "u3", "lap_u2", "u_lap", "u_grad2", "dx", "dy",
)  # fmt: skip
"""Names of the weak-form library terms: |∇u|², Δu, 1, u, u², u³, Δ(u²), uΔu, u|∇u|², ∂ₓu, ∂ᵧu."""

COMPACT: tuple[str, ...] = ("grad2", "lap")
"""The paper's compact gradient library {|∇u|², Δu} (the support of its selected law)."""

OVERCOMPLETE: tuple[str, ...] = ("grad2", "lap", "u", "one", "u_lap", "lap_u2", "u2")
"""The spec's 7-term over-complete library; collinear through Δ(u²) = 2uΔu + 2|∇u|²."""

DISTRACTORS: tuple[str, ...] = ("grad2", "lap", "u", "one", "u2")
"""The over-complete library without the two terms of the identity Δ(u²) = 2uΔu + 2|∇u|²:
a compact gradient library with distractors, in which the law's support is identifiable."""
# degree of each term in u: rescaling u → u/s multiplies its coefficient by s^(degree − 1)
DEGREE = {
    "grad2": 2, "lap": 1, "one": 0, "u": 1, "u2": 2, "u3": 3, "lap_u2": 2, "u_lap": 2,
    "u_grad2": 3, "dx": 1, "dy": 1,
}  # fmt: skip
GRAD_ESTIMATORS = ("richardson2", "richardson", "split", "central", "smoothed")


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of :func:`discover` (defaults: spec §2, calibrated on 128²×61 video).

    Attributes:
        library: weak-form terms (names in ``TERMS``); the paper's law is ``("grad2", "lap")``.
        num_test_functions: Q, random test-function centres.
        half_width_x: m_x, spatial half-width of a test function in pixels.
        half_width_t: m_t, temporal half-width in frames.
        degree: p of ψ(s) = (1 − s²)^p.
        grad_estimator: |∇u|² estimator (see :func:`gradient_squared`): ``"richardson2"``
            (products of differences over disjoint pixels, so unbiased under pixel noise,
            extrapolated over the stencil width to O(Δx⁶)), ``"richardson"`` (O(Δx⁴)),
            ``"split"`` (D₁D₂, the spec's, O(Δx²)), ``"central"`` (D₁², biased by noise) or
            ``"smoothed"``.
        smoothing: σ_s in pixels of the ``"smoothed"`` estimator.
        u_lap: how the uΔu column is built: ``"fd"`` (5-point Laplacian of the data) or
            ``"identity"`` (½Δ(u²) − |∇u|², exactly collinear).
        threshold: STLSQ relative threshold λ.
        background_frames: number of leading pre-injection (dye-free) frames; their per-pixel
            median is the background and they are dropped from the analysis (spec S1). 0: the
            median of the dye-free corner patch (checked to be dye-free).
        background_patch: side of that corner patch (pixels).
        reference: d_ref, the darkening that maps to u = 1: ``"peak"`` (vertex of a quadratic
            fitted to the darkest spot of the first analysis frame; its standard error enters
            the bootstrap) or ``"percentile"`` (the spec's robust maximum).
        reference_radius: half-side of the ``"peak"`` fit window (pixels).
        reference_percentile: the ``"percentile"`` reference.
        clip: clip the normalised field to [0, 1].
        mask_threshold: τ of the centroid mask {u > τ}.
        drift_window: Savitzky–Golay derivative of the centroid track.
        drift_order: see ``drift_window``.
        block_length: ℓ of the chronological block bootstrap (frames).
        bootstrap_replicates: B.
        random_centre_draws: R redraws of the centres for the stability diagnostic.
        level: coverage of the bootstrap intervals.
        sweep_thresholds: number of λ values of the threshold sweep (logspace 1e-3..1).
    """

    library: tuple[str, ...] = COMPACT
    num_test_functions: int = 600
    half_width_x: int = 14
    half_width_t: int = 8
    degree: int = 6
    grad_estimator: str = "richardson2"
    smoothing: float = 1.0
    u_lap: str = "fd"
    threshold: float = 0.05
    background_frames: int = 0
    background_patch: int = 8
    reference: str = "peak"
    reference_radius: int = 6
    reference_percentile: float = 99.99
    clip: bool = False
    mask_threshold: float = 0.03
    drift_window: int = 9
    drift_order: int = 3
    block_length: int = 10
    bootstrap_replicates: int = 500
    random_centre_draws: int = 20
    level: float = 0.95
    sweep_thresholds: int = 30

    def __post_init__(self):
        library = tuple(self.library) if isinstance(self.library, list | tuple) else ()
        unknown = [t for t in library if t not in TERMS]
        if unknown or not library or len(set(library)) != len(library):
            raise ValueError(
                f"library must be a non-empty tuple of distinct names from {TERMS}, "
                f"got {self.library!r}"
            )
        object.__setattr__(self, "library", library)
        _validate.check_choice("grad_estimator", self.grad_estimator, GRAD_ESTIMATORS)
        _validate.check_choice("u_lap", self.u_lap, ("fd", "identity"))
        _validate.check_choice("reference", self.reference, ("peak", "percentile"))
        _validate.check_integer("degree", self.degree, minimum=4)  # two derivatives moved + 2
        for name in ("half_width_x", "half_width_t", "reference_radius"):
            _validate.check_integer(name, getattr(self, name), minimum=2)
        for name in ("num_test_functions", "block_length", "bootstrap_replicates"):
            _validate.check_integer(name, getattr(self, name), minimum=1)
        for name in ("random_centre_draws", "sweep_thresholds"):
            _validate.check_integer(name, getattr(self, name), minimum=2)
        _validate.check_integer("background_frames", self.background_frames, minimum=0)
        _validate.check_integer("background_patch", self.background_patch, minimum=2)
        _validate.check_integer("drift_order", self.drift_order, minimum=1)
        _validate.check_integer("drift_window", self.drift_window, minimum=self.drift_order + 1)
        if self.drift_window % 2 == 0:
            raise ValueError(f"drift_window must be odd, got {self.drift_window}")
        _validate.check_range("threshold", self.threshold, low=0.0, high=1.0)
        _validate.check_range("level", self.level, low=0.0, high=1.0, low_open=True, high_open=True)
        _validate.check_range(
            "reference_percentile", self.reference_percentile, low=50.0, high=100.0
        )
        _validate.check_range("mask_threshold", self.mask_threshold, low=0.0, high=1.0)
        _validate.check_positive("smoothing", self.smoothing)


class PlumeVideo(NamedTuple):
    """A synthetic dye-plume video with its ground truth (spec §3).

    Attributes:
        frames: uint8 grayscale frames ``[time, y, x]`` (dark dye on a light background),
            ``pre_injection`` dye-free frames first.
        field: the analytic u(x, y, t) on the pixel grid, ``[time, y, x]`` (0 in the
            pre-injection frames).
        times: frame times (the pre-injection frames have negative times).
        x: pixel-centre coordinates (y grows with the row index).
        y: see ``x``.
        dx: pixel size and frame interval.
        dt: see ``dx``.
        drift: v(t) at the frame times, ``[time, 2]`` as (v_x, v_y).
        centre: the plume centre X(t), ``[time, 2]``.
        a: the planted coefficients of |∇u|² and Δu.
        D: see ``a``.
    """

    frames: Int[Array, "T H W"]
    field: Float[Array, "T H W"]
    times: Float[Array, " T"]
    x: Float[Array, " W"]
    y: Float[Array, " H"]
    dx: float
    dt: float
    drift: Float[Array, "T 2"]
    centre: Float[Array, "T 2"]
    a: float
    D: float


class WeakSystem(NamedTuple):
    """The weak-form linear system G ξ ≈ b (one row per test function).

    Attributes:
        G: library matrix, columns in library order.
        b: left-hand side ∫φ (u_t + v·∇u).
        time_index: frame of each test function's centre (bootstrap blocks).
        row_mask: rows kept (a box with dye); dropped rows carry weight 0.
        centres: (t, y, x) pixel indices of the centres.
    """

    G: Float[Array, "Q J"]
    b: Float[Array, " Q"]
    time_index: Int[Array, " Q"]
    row_mask: Bool[Array, " Q"]
    centres: Int[Array, "Q 3"]


class Identification(NamedTuple):
    """The weak-form system and its STLSQ fit (:func:`identify`)."""

    system: WeakSystem
    fit: SparseResult


class Estimate(NamedTuple):
    """What :func:`estimate` returns (arrays; ``vmap`` adds a leading axis to each).

    Attributes:
        coefficients: ξ in library order (0 off the support).
        standard_error: bootstrap standard errors.
        low: percentile interval at ``Config.level``.
        high: see ``low``.
        support: selected terms.
        converged: STLSQ's.
        num_steps: see ``converged``.
        reference: d_ref and its standard error (grey levels).
        reference_se: see ``reference``.
    """

    coefficients: Float[Array, " J"]
    standard_error: Float[Array, " J"]
    low: Float[Array, " J"]
    high: Float[Array, " J"]
    support: Bool[Array, " J"]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]
    reference: Float[Array, ""]
    reference_se: Float[Array, ""]


class Discovery(NamedTuple):
    """What :func:`discover` found (host values).

    Attributes:
        coefficients: term name → coefficient (0 for dropped terms).
        intervals: term name → (low, high) chronological block-bootstrap percentile interval
            (the replicates also redraw the normalisation constant d_ref from its sampling
            distribution).
        standard_errors: term name → bootstrap standard error.
        support: the selected term names.
        drift: estimated v(t), ``[time, 2]``.
        centroid: intensity-weighted centroid track, ``[time, 2]``.
        field: the normalised field u used for identification.
        diagnostics: condition number, VIFs, threshold-sweep supports, random-centre stability,
            P(D > 0), the weak residual, STLSQ's ``converged``/``num_steps``, the background
            and the normalisation constant d_ref with its relative standard error.
        system: the weak-form system the coefficients were fitted on.
    """

    coefficients: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    standard_errors: dict[str, float]
    support: tuple[str, ...]
    drift: np.ndarray
    centroid: np.ndarray
    field: np.ndarray
    diagnostics: dict
    system: WeakSystem


class KappaScan(NamedTuple):
    """Result of :func:`kappa_scan`.

    Attributes:
        kappas: the κ grid.
        D_of_kappa: D fitted at each κ.
        residual: relative weak residual ρ(κ).
        kappa: κ̂, the vertex of the parabola through ρ at the grid minimum and its neighbours.
        a: â = κ̂ D̂ and D̂ = D(κ̂) (linear interpolation of D(κ)).
        D: see ``a``.
    """

    kappas: Float[Array, " K"]
    D_of_kappa: Float[Array, " K"]
    residual: Float[Array, " K"]
    kappa: Float[Array, ""]
    a: Float[Array, ""]
    D: Float[Array, ""]


class Calibration(NamedTuple):
    """Result of :func:`calibrate_rollout`.

    Attributes:
        a: calibrated coefficients (a = 0 for the advection–diffusion baseline).
        D: see ``a``.
        loss: the multiple-shooting objective at the optimum.
        losses: objective after each optimiser step (NaN after the last step taken).
        converged: the gradient norm in (ln a, ln D) fell below the tolerance.
        num_steps: L-BFGS steps taken.
    """

    a: Float[Array, ""]
    D: Float[Array, ""]
    loss: Float[Array, ""]
    losses: Float[Array, " n"]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]


class PinnResult(NamedTuple):
    """Result of :func:`refine_pinn`.

    Attributes:
        a: refined coefficients (iterates averaged over the last fifth of the joint phase).
        D: see ``a``.
        data_loss_start: mean squared data misfit over every training pixel when the joint
            phase starts (the network fitted to the data alone).
        data_loss_end: the same at the end.
        losses: total (minibatch) loss per joint step.
        path: (a, D) after each joint step, ``[n, 2]``.
        converged: the average of (ln a, ln D) over the last fifth of the joint steps differs by
            less than ``tol`` from the average over the fifth before.
        num_steps: Adam steps taken (data-only + joint).
    """

    a: Float[Array, ""]
    D: Float[Array, ""]
    data_loss_start: Float[Array, ""]
    data_loss_end: Float[Array, ""]
    losses: Float[Array, " n"]
    path: Float[Array, "n 2"]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]
