"""Driving the LLM pipeline: prompts, the round loop, updates, evaluation, a tiny stand-in.

The round loop is a Python loop over jitted pieces rather than one ``lax.scan``: sampling uses
:func:`jaxpapers.nn.generate` with left-padded prompts, whose padding mask is checked eagerly,
and the policy update is :func:`jaxpapers.nn.train_step`, which updates the nnx model in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, cast

import numpy as np

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Bool, Float, Int

from jaxpapers import nn
from jaxpapers._loop import progress
from jaxpapers.fpo._llm import (
    LLMEnv,
    RoundOutput,
    answer_mask,
    linear_reward,
    llm_round,
    oracle_utility,
)
from jaxpapers.fpo._penalty import bradley_terry_loss
from jaxpapers.fpo._types import Config

__all__ = [
    "LLMLog",
    "encode_prompts",
    "evaluate_greedy",
    "fit_reward_head",
    "llm_step",
    "reward_step",
    "chat_sequences",
    "run_llm",
    "train_stand_in",
]


class LLMLog(NamedTuple):
    """Per-round record of :func:`run_llm` (``[rounds]`` arrays; NaN where no winner).

    Attributes:
        utility: the winner's oracle utility U.
        reward: the winner's reward-model score at selection time.
        penalty: the winner's penalty.
        candidate_utility: mean U of the round's non-empty candidates.
        reference_utility: U of the oracle's reference answer.
        length: the winner's answer length in tokens.
        rm_loss: losses of the update that followed the round (NaN between
            updates).
        policy_loss: see ``rm_loss``.
    """

    utility: Float[Array, " r"]
    reward: Float[Array, " r"]
    penalty: Float[Array, " r"]
    candidate_utility: Float[Array, " r"]
    reference_utility: Float[Array, " r"]
    length: Float[Array, " r"]
    rm_loss: Float[Array, " r"]
    policy_loss: Float[Array, " r"]


def encode_prompts(tokenizer: Any, prompts: Sequence[str]) -> tuple[Array, Array]:
    """Chat-formatted prompts, left-padded to the longest: ``(tokens, mask)`` ``[P, L]``."""
    encoded = [
        tokenizer.encode(tokenizer.apply_chat_template([{"role": "user", "content": p}]))
        for p in prompts
    ]
    length = max(len(ids) for ids in encoded)
    pad = tokenizer.pad_id if tokenizer.pad_id is not None else tokenizer.eos_id
    tokens = np.full((len(encoded), length), pad, np.int32)
    mask = np.zeros((len(encoded), length), bool)
    for row, ids in enumerate(encoded):
        tokens[row, length - len(ids) :], mask[row, length - len(ids) :] = ids, True
    return jnp.asarray(tokens), jnp.asarray(mask)


def init_reward_head(dim: int, dtype=jnp.float32) -> dict:
    """A zero head ``{"w": 0, "b": 0}``."""
    return {"w": jnp.zeros(dim, dtype), "b": jnp.zeros((), dtype)}


def reward_optimizer(env: LLMEnv) -> optax.GradientTransformation:
    return optax.adamw(env.rm_lr, weight_decay=env.rm_weight_decay)


def reward_step(env: LLMEnv, phi, opt_state, h_win, h_ref, u_win, u_ref, weight=None):
    """One AdamW step of the head on the mean Bradley–Terry loss of (winner, reference) pairs.

    ``weight`` (per pair, default 1) lets a jitted caller drop a pair without changing shapes.
    """

    def loss(phi):
        pairs = jax.vmap(bradley_terry_loss, in_axes=(None, None, 0, 0, 0, 0))
        values = pairs(linear_reward, phi, h_win, h_ref, u_win, u_ref)
        return jnp.mean(values if weight is None else weight * values)

    value, grads = jax.value_and_grad(loss)(phi)
    with jax.numpy_dtype_promotion("standard"):  # optax's bias correction: decay ** int count
        updates, opt_state = reward_optimizer(env).update(grads, opt_state, phi)
    return cast(dict, optax.apply_updates(phi, updates)), opt_state, value


_reward_step = jax.jit(reward_step, static_argnames=("env",))


def fit_reward_head(env: LLMEnv, phi: dict, h, h_ref, u, u_ref, steps: int) -> dict:
    """Warm-start the head: ``steps`` AdamW steps on oracle-labelled pairs (y, y′)."""
    opt_state = reward_optimizer(env).init(phi)
    for _ in range(steps):  # a handful of tiny steps: not worth a scan
        phi, opt_state, _ = _reward_step(env, phi, opt_state, h, h_ref, u, u_ref)
    return phi


def llm_step(
    key: jax.Array,
    config: Config,
    env: LLMEnv,
    policy: nn.Llama,
    oracle: nn.Llama,
    optimizer: Any,
    phi: dict,
    rm_state: Any,
    prompt: Int[Array, "1 p"],
    *,
    eos_id: int,
) -> tuple[RoundOutput, dict, Any, Array, Array]:
    """One full FPO step on one prompt, jittable (``flax.nnx.jit``): sample, score, select, one
    reward-head step on (winner, reference) and one policy step on the winner's sequence.

    ``prompt`` is unpadded (no mask: :func:`jaxpapers.nn.generate` checks masks eagerly).
    ``optimizer`` is an :class:`flax.nnx.Optimizer` over the policy's LoRA adapters
    (:func:`jaxpapers.nn.make_optimizer`); ``policy`` and ``optimizer`` are updated in place.
    A step whose candidates are all empty changes nothing but the optimisers' counters.

    Returns:
        ``(round_output, phi, rm_state, rm_loss, policy_loss)``.
    """
    from flax import nnx

    out = llm_round(key, config, env, policy, oracle, phi, prompt, eos_id=eos_id)
    found = out.selection.winner >= 0
    win, n = jnp.maximum(out.selection.winner, 0), env.num_candidates
    weight = found.astype(out.utility.dtype)
    phi, rm_state, rm_loss = reward_step(
        env,
        phi,
        rm_state,
        out.features[win][None],
        out.features[n][None],
        out.utility[win][None],
        out.utility[n][None],
        weight[None],
    )
    tokens, mask = out.sequences[win][None], out.mask[win][None]

    def loss_fn(model):
        return weight * nn.next_token_loss(model(tokens, attention_mask=mask), tokens, mask)

    loss, grads = nnx.value_and_grad(loss_fn, argnums=nnx.DiffState(0, nn.trainable(policy)))(
        policy
    )
    with jax.numpy_dtype_promotion("standard"):  # optax's bias correction: decay ** int count
        optimizer.update(policy, grads)
    return out, phi, rm_state, rm_loss, loss


def _record(output: RoundOutput, env: LLMEnv) -> dict[str, float]:
    sel, n = output.selection, env.num_candidates
    u = np.asarray(output.utility)
    valid = np.asarray(output.valid[:n])
    win = int(sel.winner)
    pick = (lambda a: float(np.asarray(a)[win])) if win >= 0 else (lambda a: np.nan)
    prompt_len = output.sequences.shape[1] - env.max_new_tokens
    length = np.asarray(output.mask[:, prompt_len:]).sum(axis=1)
    return {
        "utility": pick(u),
        "reward": pick(sel.rewards),
        "penalty": pick(sel.penalties),
        "candidate_utility": float(u[:n][valid].mean()) if valid.any() else np.nan,
        "reference_utility": float(u[n]),
        "length": pick(length),
    }


def run_llm(
    key: jax.Array,
    config: Config,
    env: LLMEnv,
    policy: nn.Llama,
    oracle: nn.Llama,
    phi: dict,
    prompts: Int[Array, "p l"],
    prompt_mask: Bool[Array, "p l"],
    num_rounds: int,
    *,
    eos_id: int,
    show_progress: bool = False,
) -> tuple[dict, LLMLog]:
    """``num_rounds`` rounds of best-of-n with FPO's penalty, cycling through ``prompts``.

    Updates ``policy`` in place (LoRA adapters, AdamW every ``env.accumulation`` rounds) and
    returns the final reward head and the per-round :class:`LLMLog`. Round r uses the key
    ``fold_in(key, r)``, so runs of different modes share their random numbers.
    """
    optimizer = nn.make_optimizer(
        policy, env.policy_lr, weight_decay=env.policy_weight_decay, max_grad_norm=None
    )
    rm_state = reward_optimizer(env).init(phi)
    rows: list[dict[str, float]] = []
    batch: list[RoundOutput] = []
    bar = progress(range(num_rounds), desc=f"LLM {config.mode}", disable=not show_progress)
    for r in bar:
        index = r % prompts.shape[0]
        output = llm_round(
            jax.random.fold_in(key, r),
            config,
            env,
            policy,
            oracle,
            phi,
            prompts[index : index + 1],
            prompt_mask[index : index + 1],
            eos_id=eos_id,
        )
        rows.append(_record(output, env) | {"rm_loss": np.nan, "policy_loss": np.nan})
        if int(output.selection.winner) >= 0:
            batch.append(output)
        if (r + 1) % env.accumulation == 0 and batch:
            phi, rm_state, losses = _update(env, policy, optimizer, phi, rm_state, batch)
            rows[-1].update(rm_loss=losses[0], policy_loss=losses[1])
            batch = []
    log = LLMLog(**{f: jnp.asarray([row[f] for row in rows]) for f in LLMLog._fields})
    return phi, log


def _update(env, policy, optimizer, phi, rm_state, batch: list[RoundOutput]):
    """The reward head's and the policy's steps on the winners of the last prompts."""
    n = env.num_candidates
    win = [int(o.selection.winner) for o in batch]
    h_win = jnp.stack([o.features[w] for o, w in zip(batch, win, strict=True)])
    h_ref = jnp.stack([o.features[n] for o in batch])
    u_win = jnp.stack([o.utility[w] for o, w in zip(batch, win, strict=True)])
    u_ref = jnp.stack([o.utility[n] for o in batch])
    phi, rm_state, rm_loss = _reward_step(env, phi, rm_state, h_win, h_ref, u_win, u_ref)
    tokens = jnp.stack([o.sequences[w] for o, w in zip(batch, win, strict=True)])
    mask = jnp.stack([o.mask[w] for o, w in zip(batch, win, strict=True)])
    policy_loss = nn.train_step(policy, optimizer, tokens, mask)
    return phi, rm_state, (float(rm_loss), float(policy_loss))


def evaluate_greedy(
    env: LLMEnv, model: nn.Llama, oracle: nn.Llama, prompts, prompt_mask, *, eos_id: int
) -> Float[Array, " p"]:
    """Oracle utility of each prompt's greedy answer by ``model`` (the evaluation of §3.3).

    Prompts go through in batches of ``env.num_candidates`` rows, the shape the round loop
    has already compiled (the last batch is padded by repeating its first row).
    """
    size, count = env.num_candidates, prompts.shape[0]
    unused = jax.random.key(0)  # nn.generate wants a key; greedy decoding draws nothing
    values = []
    for start in range(0, count, size):
        rows = np.minimum(np.arange(start, start + size), count - 1)
        tokens, mask = prompts[rows], prompt_mask[rows]
        out = nn.generate(
            model,
            tokens,
            unused,
            env.max_new_tokens,
            temperature=0.0,
            top_p=env.top_p,
            attention_mask=mask,
            eos_id=eos_id,
        )
        keep, _ = answer_mask(out[:, tokens.shape[1] :], eos_id)
        values.append(oracle_utility(env, oracle, out, jnp.concatenate([mask, keep], axis=1)))
    return jnp.concatenate(values)[:count]


def chat_sequences(tokenizer: Any, pairs: Sequence[tuple[str, str]]) -> tuple[Array, Array]:
    """Chat-formatted ``prompt + answer + end-of-sequence``, right-padded: ``(tokens, mask)``."""
    encoded = [
        tokenizer.encode(tokenizer.apply_chat_template([{"role": "user", "content": q}]) + a)
        + [tokenizer.eos_id]
        for q, a in pairs
    ]
    length = max(len(ids) for ids in encoded)
    pad = tokenizer.pad_id if tokenizer.pad_id is not None else tokenizer.eos_id
    tokens = np.full((len(encoded), length), pad, np.int32)
    mask = np.zeros((len(encoded), length), bool)
    for row, ids in enumerate(encoded):
        tokens[row, : len(ids)], mask[row, : len(ids)] = ids, True
    return jnp.asarray(tokens), jnp.asarray(mask)


def train_stand_in(
    key: jax.Array,
    config: nn.LlamaConfig,
    tokens: Int[Array, "n t"],
    mask: Bool[Array, "n t"],
    *,
    steps: int,
    learning_rate: float = 3e-3,
    batch_size: int = 16,
) -> nn.Llama:
    """A tiny Llama trained from scratch on ``tokens`` (AdamW, random mini-batches).

    The quick reproduction's stand-in for SmolLM2: small enough to sample and train in CPU
    seconds, trained just enough that its answers follow the prompt set's style. The loop
    calls :func:`jaxpapers.nn.train_step`, which updates the model in place (not a scan).
    """
    from flax import nnx

    key_init, key_batches = jax.random.split(key)
    model = nn.Llama(config, rngs=nnx.Rngs(params=key_init))
    optimizer = nn.make_optimizer(model, learning_rate, weight_decay=0.0)
    for step in range(steps):
        rows = jax.random.choice(
            jax.random.fold_in(key_batches, step), tokens.shape[0], (batch_size,)
        )
        nn.train_step(model, optimizer, tokens[rows], mask[rows])
    return model
