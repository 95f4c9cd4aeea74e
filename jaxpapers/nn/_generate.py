"""Autoregressive decoding with the KV cache: greedy, temperature and nucleus (top-p) sampling."""

from __future__ import annotations

from functools import partial

import numpy as np

import jax
import jax.numpy as jnp
from flax import nnx
from jax.typing import ArrayLike
from jaxtyping import Array, Float, Int

from jaxpapers._typing import PRNGKey
from jaxpapers.nn._model import Llama, _check_inputs, init_cache

__all__ = ["generate", "sample_token"]


def sample_token(
    key: PRNGKey,
    logits_BxV: Float[Array, "b v"],
    temperature: float | Float[Array, ""],
    top_p: float | Float[Array, ""],
) -> Int[Array, " b"]:
    """Draw one token per row: argmax when ``temperature == 0``, else nucleus sampling.

    Nucleus sampling (Holtzman et al., 2020) keeps the smallest set of most likely tokens whose
    probability reaches ``top_p`` (at least one token) and samples from ``softmax(logits / T)``
    renormalised on that set. Both arguments may be traced, so changing them does not recompile.
    """
    temperature = jnp.asarray(temperature, jnp.float32)
    top_p = jnp.asarray(top_p, jnp.float32)
    greedy = jnp.argmax(logits_BxV, axis=-1).astype(jnp.int32)
    scaled = logits_BxV / jnp.maximum(temperature, jnp.float32(1e-6))
    sorted_desc = -jnp.sort(-scaled, axis=-1)
    cumulative = jnp.cumsum(jax.nn.softmax(sorted_desc, axis=-1), axis=-1)
    # tokens before the cut have cumulative mass (excluding themselves) below top_p
    keep_count = jnp.sum(cumulative - jax.nn.softmax(sorted_desc, axis=-1) < top_p, axis=-1)
    threshold = jnp.take_along_axis(sorted_desc, jnp.maximum(keep_count, 1)[:, None] - 1, axis=-1)
    masked = jnp.where(scaled >= threshold, scaled, -jnp.inf)
    sampled = jax.random.categorical(key, masked, axis=-1).astype(jnp.int32)
    return jnp.where(temperature > 0, sampled, greedy)


@partial(jax.jit, static_argnames=("graphdef", "max_new_tokens", "eos_id"))
def _generate(graphdef, state, tokens, mask, key, temperature, top_p, max_new_tokens, eos_id):
    model = nnx.merge(graphdef, state)
    batch, prompt_len = tokens.shape
    cache = init_cache(model.config, batch, prompt_len + max_new_tokens)
    logits, cache = model.decode(tokens, cache, attention_mask=mask, last_only=True)

    def step(carry, step_key):
        logits, cache, done = carry
        token = sample_token(step_key, logits[:, -1], temperature, top_p)
        if eos_id is not None:
            token = jnp.where(done, jnp.int32(eos_id), token)
            done = done | (token == eos_id)
        logits, cache = model.decode(token[:, None], cache, last_only=True)
        return (logits, cache, done), token

    keys = jax.random.split(key, max_new_tokens)
    done = jnp.zeros((batch,), bool)
    _, new_BxN = jax.lax.scan(step, (logits, cache, done), keys)
    return jnp.concatenate([tokens, new_BxN.T], axis=1)


def generate(
    model: Llama,
    tokens: ArrayLike,
    key: PRNGKey,
    max_new_tokens: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
    *,
    attention_mask: ArrayLike | None = None,
    eos_id: int | None = None,
) -> Int[Array, "b _"]:
    """Continue ``tokens`` by ``max_new_tokens`` tokens, decoding with the KV cache under ``jit``.

    Args:
        model: the language model.
        tokens: ``int32[batch, prompt]``; rows of different lengths are padded on the left.
        key: a typed PRNG key (unused when ``temperature == 0``).
        max_new_tokens: how many tokens to add (static: one compilation per value).
        temperature: 0 for greedy decoding, else the softmax temperature.
        top_p: nucleus mass in (0, 1]; 1 keeps the whole vocabulary.
        attention_mask: ``bool[batch, prompt]``, False at the left padding.
        eos_id: when given, a row that produced it keeps producing it (fixed output shape).

    Returns:
        ``int32[batch, prompt + max_new_tokens]``: the prompt followed by the new tokens.
    """
    tokens = jnp.asarray(tokens)
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be a positive int, got {max_new_tokens!r}")
    if not float(temperature) >= 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if not 0 < float(top_p) <= 1:
        raise ValueError(f"top_p must lie in (0, 1], got {top_p}")
    total = tokens.shape[-1] + max_new_tokens
    if total > model.config.max_positions:
        raise ValueError(
            f"prompt length {tokens.shape[-1]} + max_new_tokens {max_new_tokens} = {total} "
            f"exceeds max_positions={model.config.max_positions}"
        )
    if attention_mask is not None and not bool(np.all(np.asarray(attention_mask)[:, -1])):
        raise ValueError("attention_mask must be True at the last prompt position: pad on the left")
    tokens, mask = _check_inputs(model.config, tokens, attention_mask, check_length=False)
    graphdef, state = nnx.split(model)
    return _generate(
        graphdef, state, tokens, mask, key, jnp.float32(temperature), jnp.float32(top_p),
        max_new_tokens, eos_id,
    )  # fmt: skip
