"""Reproduction: perturbation-based next-token prediction extrapolates on a synthetic language.

Paper: Cen, Zhu, Shen & Shi, "Perturbation is All You Need for Extrapolating Language Models",
arXiv:2605.04344 (2026). The paper's full text was not available (spec §0): its synthetic
language, thresholds and numbers are unknown. What is reproduced are its two qualitative claims
(provenance ``paper``: out-of-support prediction improves, in-support prediction stays
competitive) on the spec's synonym-class Markov language (SCM), whose true next-token law is
known so KL is exact, plus the spec's derived checks 4-9 and 11 (provenance ``derived``;
thresholds set from our prototype).

    jaxpapers reproduce perturbation_lm --quick     # a few minutes on 2 CPU cores
    jaxpapers reproduce perturbation_lm --full      # 10 seeds per study

Not reproduced: the real-text comparison (SmolLM2-135M with LoRA on HaluEval passages; see the
README for why).
"""

from __future__ import annotations

import dataclasses

from jaxpapers._stages import Stage
from jaxpapers.perturbation_lm._stages_scm import small_data_stage, stress_stage, synthetic_stage

__all__ = ["PAPER", "STAGES", "TITLE", "Scale"]

TITLE = "Perturbed-prefix training + inference: out-of-support KL on a synonym-class language"
PAPER = (
    "Cen, Zhu, Shen, Shi, 'Perturbation is All You Need for Extrapolating Language Models', "
    "arXiv 2605.04344 (2026)"
)


@dataclasses.dataclass(frozen=True)
class Scale:
    """Sizes of the reproduction (the SCM itself is spec §2.1's: K = 6, m = 4, k = 3)."""

    num_seeds: int = 10
    """Languages (seeds) of the main 10k-token study (spec check 4 uses 3)."""
    n_train: int = 10_000
    """Training tokens of the main study."""
    n_test: int = 20_000
    """Test tokens of every study."""
    rhos: tuple[float, ...] = (0.1, 0.3, 0.6)
    """Perturbation rates of the rate sweep (must include 0.3)."""
    num_steps: int = 3000
    """AdamW steps per model (the best step by validation NLL is kept)."""
    num_samples_marginal: int = 4
    """M of the O2 (marginal likelihood) model."""
    num_samples_inference: int = 16
    """M_inf of the marginal predictor."""
    n_train_small: int = 3000
    """Training tokens of the small-data study (spec check 5)."""
    small_seeds: int = 10
    """Seeds of the small-data study (spec check 5: 5)."""
    stress_weights: tuple[float, ...] = (0.5, 1.0)
    """beta of the stress test (must include 1)."""
    stress_seeds: int = 5
    """Seeds per beta of the stress test."""

    @classmethod
    def quick(cls) -> Scale:
        """CPU minutes: the spec's seed counts (3 for the main study, 5 for small data) and
        10k test tokens (about 2.7k out-of-support contexts per seed)."""
        return cls(num_seeds=3, small_seeds=5, stress_seeds=2, n_test=10_000)

    @classmethod
    def full(cls) -> Scale:
        """More seeds per study (GPU advised)."""
        return cls()


STAGES = (
    Stage("synthetic language", synthetic_stage),
    Stage("small data", small_data_stage),
    Stage("stress test", stress_stage),
)
