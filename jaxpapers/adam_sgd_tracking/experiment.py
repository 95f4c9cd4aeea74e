"""Reproduction: Adam vs SGD under drift (Sahu, Sarkar, Hogan & Wells, arXiv 2605.04269, 2026).

The paper's full text was not available (spec §0). What is reproduced are its qualitative claims
(provenance ``paper``: noise-dominated drift favours Adam, drift-dominated drift favours SGD) on
the hetero-RW benchmark the spec designed, plus the spec's derived checks (provenance
``derived``: thresholds, exact floors of the quadratic models, the role of beta1, burn-in, the
bound functions, Adam's step bound, ASM). No claim compares against a number from the paper: it
states none that could be read.

    jaxpapers reproduce adam_sgd_tracking --quick     # about a minute on 2 CPU cores
    jaxpapers reproduce adam_sgd_tracking --full      # spec sizes (§2.4: 26 step sizes, 9 Deltas)

Expected (quick, CPU; spread over seeds 0-4 in the README): tuned Adam/SGD about 0.65 at
Delta = 0.1, 1.6 at 3, 2.2 at 5; crossover Delta/sigma_rms in [0.1, 0.5]; Adam with beta1 = 0
below 0.9 of SGD everywhere.
"""

from __future__ import annotations

import dataclasses

from jaxpapers._stages import Stage
from jaxpapers.adam_sgd_tracking._bound_stages import bound_stage, burn_in_stage, step_bound_stage
from jaxpapers.adam_sgd_tracking._tracking_stages import (
    constant_velocity_stage,
    crossover_stage,
    pure_drift_stage,
    sgd_closed_form_stage,
)

__all__ = ["PAPER", "STAGES", "TITLE", "Scale"]

TITLE = "Adam vs SGD under drift: noise-drift crossover, beta1, burn-in, bounds"
PAPER = (
    "Sahu, Sarkar, Hogan, Wells, 'Adapt or Forget: Provable Tradeoffs Between Adam and SGD in "
    "Nonstationary Optimization', arXiv 2605.04269 (2026)"
)


@dataclasses.dataclass(frozen=True)
class Scale:
    """Sizes of the reproduction (``quick()`` for CPU minutes, ``full()`` for the spec's scale)."""

    dim: int = 10
    """Problem dimension d of the quadratic benchmarks."""
    deltas: tuple[float, ...] = (0.01, 0.1, 0.3, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
    """Total drift per step Delta of the hetero-RW crossover grid (spec §2.4)."""
    num_step_sizes: int = 26
    """Points of the log step-size grid on which each method is tuned."""
    step_range: tuple[float, float] = (1e-4, 10.0)
    """Ends of that grid (spec §2.4: [1e-4, 10])."""
    num_seeds: int = 8
    """Seeds per step size when tuning."""
    eval_seeds: int = 32
    """Fresh seeds on which the tuned step size is evaluated (unbiased tuned floors)."""
    num_steps: int = 8000
    """Steps per run in the crossover grid."""
    discard: int = 3000
    """Steps discarded before averaging the floor."""
    pure_drift_steps: int = 4000
    """Steps of the pure-drift (sigma = 0) runs."""
    burn_in_distances: tuple[float, ...] = (3.0, 10.0, 30.0, 100.0)
    """Initial distances R of the Adam burn-in curves (scalar problem; must include 10, 100)."""
    burn_in_seeds: int = 32
    """Seeds per distance."""
    bound_seeds: int = 64
    """Seeds of the bound-validity simulations."""
    bound_steps: int = 4000
    """Steps of the bound-validity simulations."""
    sgd_floor_seeds: int = 200
    """Seeds of the SGD closed-form check (spec §4 check 2)."""
    sgd_floor_steps: int = 20000
    """Steps of that check."""

    @classmethod
    def quick(cls) -> Scale:
        """CPU minutes: fewer Deltas and step sizes, shorter runs.

        The step grid starts at 1e-3 instead of 1e-4: its lower decade serves only Delta = 0.01,
        which the quick grid leaves out, and 14 points over 4 decades (a factor 2 apart) tune
        more finely than over 5.
        """
        return cls(
            deltas=(0.1, 0.3, 1.0, 3.0, 5.0),
            num_step_sizes=14,
            step_range=(1e-3, 10.0),
            num_seeds=4,
            eval_seeds=16,
            num_steps=6000,
            discard=2000,
            pure_drift_steps=6000,
            burn_in_distances=(10.0, 100.0),
            burn_in_seeds=8,
            bound_seeds=32,
            bound_steps=2000,
            sgd_floor_seeds=64,
            sgd_floor_steps=8000,
        )

    @classmethod
    def full(cls) -> Scale:
        """The spec's sizes (§2.4, §4)."""
        return cls()


STAGES = (
    Stage("SGD closed forms", sgd_closed_form_stage),
    Stage("noise-drift crossover", crossover_stage),
    Stage("pure drift", pure_drift_stage),
    Stage("constant velocity", constant_velocity_stage),
    Stage("burn-in", burn_in_stage),
    Stage("bounds", bound_stage),
    Stage("step bound and ASM", step_bound_stage),
)
