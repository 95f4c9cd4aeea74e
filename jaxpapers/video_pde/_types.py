"""Configuration and result types of the video → PDE pipeline."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from jaxtyping import Array, Bool, Float, Int

__all__ = ["Config", "Discovery", "PlumeVideo", "WeakSystem"]

TERMS = ("grad2", "lap", "one", "u", "u2", "u3", "lap_u2", "u_lap", "u_grad2", "dx", "dy")
COMPACT = ("grad2", "lap")
OVERCOMPLETE = ("grad2", "lap", "u", "one", "u_lap", "lap_u2", "u2")


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of :func:`discover` (defaults: spec §2, calibrated on 128²×61 video).

    Attributes:
        library: weak-form terms (names in ``TERMS``); the paper's law is ``("grad2", "lap")``.
        num_test_functions: Q, random test-function centres.
        half_width_x: m_x, spatial half-width of a test function in pixels.
        half_width_t: m_t, temporal half-width in frames.
        degree: p of ψ(s) = (1 − s²)^p.
        grad_estimator: |∇u|² estimator: ``"split"`` (unbiased under pixel noise),
            ``"central"`` or ``"smoothed"``.
        smoothing: σ_s in pixels of the ``"smoothed"`` estimator.
        u_lap: how the uΔu column is built: ``"fd"`` (5-point Laplacian of the data) or
            ``"identity"`` (½Δ(u²) − |∇u|², exactly collinear).
        threshold: STLSQ relative threshold λ.
        background_patch: side of the dye-free corner patch for the background (pixels).
        reference_percentile: d_ref = this percentile of the first frame's darkening.
        clip: clip the normalised field to [0, 1].
        mask_threshold: τ of the centroid mask {u > τ}.
        drift_window, drift_order: Savitzky–Golay derivative of the centroid track.
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
    grad_estimator: str = "split"
    smoothing: float = 1.0
    u_lap: str = "fd"
    threshold: float = 0.05
    background_patch: int = 8
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
        unknown = [t for t in self.library if t not in TERMS]
        if unknown or not self.library:
            raise ValueError(f"library must be a non-empty tuple of {TERMS}, got {self.library}")
        if self.grad_estimator not in ("split", "central", "smoothed"):
            raise ValueError(
                "grad_estimator must be 'split', 'central' or 'smoothed', "
                f"got {self.grad_estimator!r}"
            )
        if self.u_lap not in ("fd", "identity"):
            raise ValueError(f"u_lap must be 'fd' or 'identity', got {self.u_lap!r}")
        if self.degree < 4:
            raise ValueError(f"degree must be >= 4 (two derivatives moved + 2), got {self.degree}")
        if self.half_width_x < 2 or self.half_width_t < 2:
            raise ValueError(
                "half_width_x and half_width_t must be >= 2, "
                f"got {self.half_width_x} and {self.half_width_t}"
            )


class PlumeVideo(NamedTuple):
    """A synthetic dye-plume video with its ground truth (spec §3).

    Attributes:
        frames: uint8 grayscale frames ``[time, y, x]`` (dark dye on a light background).
        field: the analytic u(x, y, t) on the pixel grid, ``[time, y, x]``.
        times: frame times.
        x, y: pixel-centre coordinates (y grows with the row index).
        dx, dt: pixel size and frame interval.
        drift: v(t) at the frame times, ``[time, 2]`` as (v_x, v_y).
        centre: the plume centre X(t), ``[time, 2]``.
        a, D: true coefficients of |∇u|² and Δu.
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


class Discovery(NamedTuple):
    """What :func:`discover` found (host values).

    Attributes:
        coefficients: term name → coefficient (0 for dropped terms).
        intervals: term name → (low, high) chronological block-bootstrap percentile interval.
        standard_errors: term name → block-bootstrap standard error.
        support: the selected term names.
        drift: estimated v(t), ``[time, 2]``.
        centroid: intensity-weighted centroid track, ``[time, 2]``.
        field: the normalised field u used for identification.
        diagnostics: condition number, VIFs, threshold-sweep supports, random-centre stability,
            P(D > 0) and the weak residual.
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
