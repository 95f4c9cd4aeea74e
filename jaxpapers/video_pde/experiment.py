"""Reproduction: recover the planted dye-plume law from 8-bit video of an exact synthetic plume.

Paper: Acosta-Minoli & Sarkar, "From Video-to-PDE: Data-Driven Discovery of Nonlinear Dye Plume
Dynamics", arXiv:2605.04535 (2026). The paper's law, found from real video, is
u_t + v(t)·∇u = 9.005 |∇u|² + 0.666 Δu. The real video is not public: the spec's analytic
generator (§3) obeys that law exactly, with the paper's values planted, and is rendered to 8-bit
frames with σ = 2 grey levels of pixel noise. Every number recovered from it is therefore a
*planted* value, not a result of the paper; the paper's own claims are qualitative (compact
libraries, collinear over-complete ones, PINN refinement, rollout recalibration, a positive
Laplacian coefficient, a Cole–Hopf reduction) and are checked on that video.

    jaxpapers reproduce video_pde --quick     # 128² × 61 video; ~2 min on 2 CPU cores
    jaxpapers reproduce video_pde --full      # 256² × 121 video, larger PINN and bootstrap

Stages (each stage's key derives from the run key and its name; later stages reuse the video,
its normalised field and drift from ``identify`` through ``done``):

* ``identify``: render the video, ``discover`` (a, D) with block-bootstrap intervals, P(D > 0);
* ``library``: over-complete vs compact libraries on the video (collinearity through the
  identity Δ(u²) = 2uΔu + 2|∇u|², the λ-range selecting {|∇u|², Δu}), each against a
  pure-noise control that must fail it;
* ``rollout``: multiple-shooting recalibration of (a, D) and held-out skill vs
  advection–diffusion;
* ``cole-hopf``: the derivative-free κ-scan estimate;
* ``pinn``: inverse-PINN refinement from 0.7× and 1.3× the planted (a, D);
* ``bootstrap``: block vs i.i.d. interval width; coverage of the planted values by the 95 %
  intervals over independent videos, and the mean estimate over them;
* ``recovery grid``: (a, D) on four other planted pairs.
"""

from __future__ import annotations

import dataclasses

from jaxpapers._stages import Stage
from jaxpapers.video_pde import _reproduce, _reproduce_stats

__all__ = ["PAPER", "STAGES", "TITLE", "Scale"]

TITLE = "recover the planted u_t + v·∇u = 9.005|∇u|² + 0.666Δu from 8-bit plume video"
PAPER = (
    "Acosta-Minoli & Sarkar, 'From Video-to-PDE: Data-Driven Discovery of Nonlinear Dye Plume "
    "Dynamics', arXiv:2605.04535 (2026)"
)


@dataclasses.dataclass(frozen=True)
class Scale:
    """Sizes of the reproduction (the method's settings are :class:`~.Config`).

    Attributes:
        size: video resolution and length (spec §3.1: 128 × 61; large: 256 × 121).
        num_frames: see ``size``.
        noise_sigma: pixel noise in grey levels.
        half_width_x: test-function half-widths (scale with the resolution).
        half_width_t: see ``half_width_x``.
        block_length: bootstrap block length in frames.
        bootstrap_replicates: S7 and S4.3 sizes.
        random_centre_draws: see ``bootstrap_replicates``.
        kappa_points: grid size of the κ-scan over [8, 20].
        calibration_steps: maximum L-BFGS steps of the rollout recalibration.
        pinn_fit_steps: the S5 network
            and its training; pinn_stride: spatial subsampling of the frames given to it.
        pinn_joint_steps: see ``pinn_fit_steps``.
        pinn_width: see ``pinn_fit_steps``.
        pinn_depth: see ``pinn_fit_steps``.
        pinn_batch: see ``pinn_fit_steps``.
        coverage_videos: independent videos over which interval coverage is measured.
    """

    size: int = 128
    num_frames: int = 61
    noise_sigma: float = 2.0
    half_width_x: int = 14
    half_width_t: int = 8
    block_length: int = 10
    bootstrap_replicates: int = 500
    random_centre_draws: int = 8
    kappa_points: int = 25
    calibration_steps: int = 12
    pinn_fit_steps: int = 2000
    pinn_joint_steps: int = 1000
    pinn_width: int = 32
    pinn_depth: int = 3
    pinn_batch: int = 512
    pinn_stride: int = 4
    coverage_videos: int = 64

    @property
    def dx(self) -> float:
        return 10.0 / self.size  # the domain is [−5, 5)²

    @property
    def dt(self) -> float:
        return 0.3 / (self.num_frames - 1)  # T = 0.3

    @classmethod
    def quick(cls) -> Scale:
        return cls()

    @classmethod
    def full(cls) -> Scale:
        return cls(
            size=256,
            num_frames=121,
            half_width_x=28,
            half_width_t=16,
            block_length=20,
            bootstrap_replicates=1000,
            random_centre_draws=20,
            kappa_points=61,
            calibration_steps=25,
            pinn_fit_steps=10000,
            pinn_joint_steps=5000,
            pinn_width=64,
            pinn_depth=4,
            pinn_batch=4096,
            pinn_stride=4,
            coverage_videos=200,
        )


STAGES = (
    Stage("identify", _reproduce.identify_stage),
    Stage("library", _reproduce.library_stage),
    Stage("rollout", _reproduce.rollout_stage),
    Stage("cole-hopf", _reproduce.colehopf_stage),
    Stage("pinn", _reproduce_stats.pinn_stage),
    Stage("bootstrap", _reproduce_stats.bootstrap_stage),
    Stage("recovery grid", _reproduce_stats.grid_stage),
)
