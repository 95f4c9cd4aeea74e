"""Foresighted policy optimization: the Stackelberg gradient decomposition of iterative RLHF.

Reference implementation of Gauthier, Bach & Jordan, "Explaining and Preventing Alignment
Collapse in Iterative RLHF" (arXiv:2605.04266, 2026). Iterative RLHF is a Stackelberg game:
the policy (θ) leads, the reward model (φ) follows by retraining on the policy's data. The
true gradient of the policy's objective ``J(θ, φ*(θ))`` is the standard policy gradient plus a
*parameter-steering* term that standard RLHF drops; without it the policy exploits the reward
model's blind spots and retraining reinforces them (collapse). FPO adds the term back as a
penalty on each sample (exact, relaxed or practical).

- The decomposition: :func:`steering_gradient` (:func:`steering_gradient_with_info`,
  :func:`steering_direction`), :func:`total_gradient`, :func:`influence`,
  :func:`effective_reward`.
- The penalties: :func:`penalty` (pointwise and pairwise Bradley–Terry), :func:`bradley_terry_loss`.
- Environments: :class:`BanditEnv` (closed forms), :class:`LinearEnv`, :class:`NeuralEnv`, run
  by :func:`simulate` / :func:`simulate_seeds` (``lax.scan`` over rounds, ``vmap`` over seeds).
- The LLM pipeline on :mod:`jaxpapers.nn`: :class:`LLMEnv`, :func:`llm_round` (best-of-n with
  the penalty), :func:`llm_step` (one jittable full step), :func:`run_llm` (the round loop),
  :func:`evaluate_greedy`, with the pieces :func:`oracle_utility`, :func:`response_features`,
  :func:`linear_reward`, :func:`score_candidates`, :func:`with_lora`, :func:`encode_prompts`;
  offline stand-ins: :data:`QA_PAIRS` (a prompt set written for the package),
  :func:`chat_sequences`, :func:`train_stand_in`, :func:`init_reward_head`,
  :func:`fit_reward_head`.
- Statistics: :func:`win_rate_test` (exact binomial).
"""

from jaxpapers.fpo._bandit import BanditEnv as BanditEnv
from jaxpapers.fpo._bandit import bandit_ascent as bandit_ascent
from jaxpapers.fpo._influence import effective_reward as effective_reward
from jaxpapers.fpo._influence import influence as influence
from jaxpapers.fpo._linear import LinearEnv as LinearEnv
from jaxpapers.fpo._linear import LinearState as LinearState
from jaxpapers.fpo._linear import linear_authors_init as linear_authors_init
from jaxpapers.fpo._linear import linear_fixed_point_gap as linear_fixed_point_gap
from jaxpapers.fpo._linear import linear_myopic_ceiling as linear_myopic_ceiling
from jaxpapers.fpo._llm import LLMEnv as LLMEnv
from jaxpapers.fpo._llm import RoundOutput as RoundOutput
from jaxpapers.fpo._llm import Selection as Selection
from jaxpapers.fpo._llm import linear_reward as linear_reward
from jaxpapers.fpo._llm import llm_round as llm_round
from jaxpapers.fpo._llm import oracle_utility as oracle_utility
from jaxpapers.fpo._llm import response_features as response_features
from jaxpapers.fpo._llm import score_candidates as score_candidates
from jaxpapers.fpo._llm import with_lora as with_lora
from jaxpapers.fpo._llm_run import LLMLog as LLMLog
from jaxpapers.fpo._llm_run import chat_sequences as chat_sequences
from jaxpapers.fpo._llm_run import encode_prompts as encode_prompts
from jaxpapers.fpo._llm_run import evaluate_greedy as evaluate_greedy
from jaxpapers.fpo._llm_run import fit_reward_head as fit_reward_head
from jaxpapers.fpo._llm_run import init_reward_head as init_reward_head
from jaxpapers.fpo._llm_run import llm_step as llm_step
from jaxpapers.fpo._llm_run import run_llm as run_llm
from jaxpapers.fpo._llm_run import train_stand_in as train_stand_in
from jaxpapers.fpo._neural import NeuralEnv as NeuralEnv
from jaxpapers.fpo._neural import NeuralState as NeuralState
from jaxpapers.fpo._neural import mlp_reward as mlp_reward
from jaxpapers.fpo._penalty import bradley_terry_loss as bradley_terry_loss
from jaxpapers.fpo._penalty import penalty as penalty
from jaxpapers.fpo._prompts import EVAL_PROMPTS as EVAL_PROMPTS
from jaxpapers.fpo._prompts import QA_PAIRS as QA_PAIRS
from jaxpapers.fpo._prompts import TRAIN_PROMPTS as TRAIN_PROMPTS
from jaxpapers.fpo._simulate import init as init
from jaxpapers.fpo._simulate import simulate as simulate
from jaxpapers.fpo._simulate import simulate_seeds as simulate_seeds
from jaxpapers.fpo._simulate import step as step
from jaxpapers.fpo._steering import steering_direction as steering_direction
from jaxpapers.fpo._steering import steering_gradient as steering_gradient
from jaxpapers.fpo._steering import steering_gradient_with_info as steering_gradient_with_info
from jaxpapers.fpo._steering import total_gradient as total_gradient
from jaxpapers.fpo._types import MODES as MODES
from jaxpapers.fpo._types import SOLVERS as SOLVERS
from jaxpapers.fpo._types import STATUS as STATUS
from jaxpapers.fpo._types import Config as Config
from jaxpapers.fpo._types import RoundInfo as RoundInfo
from jaxpapers.fpo._types import SteeringInfo as SteeringInfo
from jaxpapers.fpo._types import Trajectory as Trajectory
from jaxpapers.fpo._types import WinRate as WinRate
from jaxpapers.fpo._winrate import win_rate_test as win_rate_test


def citation() -> str:
    """BibTeX of the paper."""
    return """@article{gauthier2026alignment,
  title   = {Explaining and Preventing Alignment Collapse in Iterative {RLHF}},
  author  = {Gauthier, Etienne and Bach, Francis and Jordan, Michael I.},
  journal = {arXiv preprint arXiv:2605.04266},
  year    = {2026}
}"""
