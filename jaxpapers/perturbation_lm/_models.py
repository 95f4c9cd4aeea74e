"""Next-token models in the ``(params, apply_fn)`` form the objectives use.

A tiny :mod:`jaxpapers.nn` Llama (the LLM track) and spec §2.1's MLP (the synthetic track).

``apply_fn(params, contexts)`` maps contexts ``(batch, k)`` to the logits of the token that
follows each one, ``(batch, V)`` (the Llama's logits at the last position).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx
from jaxtyping import Array, Float, Int

from jaxpapers import _validate, nn
from jaxpapers._typing import PRNGKey

__all__ = [
    "ContextMLP",
    "LastTokenLogits",
    "MLPLogits",
    "context_llama_config",
    "init_context_llama",
    "init_context_mlp",
]


def context_llama_config(vocab_size: int, context_length: int, **changes: Any) -> nn.LlamaConfig:
    """A tiny Llama for next-token prediction from short contexts (spec §2.1's LLM track).

    Two layers, width 32, 4 query / 2 key-value heads, SwiGLU width 128; ``changes`` override.

    Examples:
        >>> context_llama_config(24, 3).num_layers
        2
    """
    _validate.check_integer("vocab_size", vocab_size, minimum=1)
    _validate.check_integer("context_length", context_length, minimum=1)
    base = dict(
        vocab_size=vocab_size,
        hidden_size=32,
        num_layers=2,
        num_heads=4,
        num_kv_heads=2,
        intermediate_size=128,
        max_positions=max(8, context_length),
    )
    return nn.LlamaConfig.tiny(**{**base, **changes})


@dataclasses.dataclass(frozen=True)
class LastTokenLogits:
    """``apply_fn`` of a :class:`jaxpapers.nn.Llama`: logits at the last position of each row.

    Hashable (the graph definition is static), so it can be closed over or passed as a static
    argument; ``params`` is the model's ``nnx.State``.
    """

    graphdef: Any

    def __call__(self, params: Any, contexts: Int[Array, "batch k"]) -> Float[Array, "batch V"]:
        model = nnx.merge(self.graphdef, params)
        # `+ 0` makes a constant captured under `jit` a tracer: jaxpapers.nn checks token ids
        # with `int(jnp.min(...))` unless the input is a tracer, which fails for a constant
        # inside a trace (reported to the nn maintainers). Eagerly the ids are still checked.
        tokens = jnp.asarray(contexts, jnp.int32) + jnp.int32(0)
        return model(tokens)[:, -1]


def init_context_llama(key: PRNGKey, config: nn.LlamaConfig) -> tuple[Any, LastTokenLogits]:
    """A freshly initialised :class:`jaxpapers.nn.Llama` as ``(params, apply_fn)``.

    ``params`` is a pytree (``nnx.State``), so ``jax.vmap(lambda k: init_context_llama(k,
    config)[0])(keys)`` initialises one model per key.

    Examples:
        >>> params, apply_fn = init_context_llama(jax.random.key(0), context_llama_config(24, 3))
        >>> apply_fn(params, jnp.zeros((5, 3), jnp.int32)).shape
        (5, 24)
    """
    if not isinstance(config, nn.LlamaConfig):
        raise TypeError(f"config must be a jaxpapers.nn.LlamaConfig, got {type(config).__name__}")
    model = nn.Llama(config, rngs=nnx.Rngs(params=key))
    graphdef, params = nnx.split(model)
    return params, LastTokenLogits(graphdef)


class ContextMLP(nnx.Module):
    """Spec §2.1's synthetic-track model: an MLP over the concatenated embeddings of k tokens.

    ``f(x) = W_2 gelu(W_1 [e(x_1); ...; e(x_k)] + b_1) + b_2`` with embeddings of width d drawn
    from N(0, 0.3^2) and LeCun-normal dense layers.
    """

    def __init__(self, vocab_size: int, context_length: int, embed_dim: int, hidden: int, *, rngs):
        self.embed = nnx.Embed(
            vocab_size, embed_dim, embedding_init=nnx.initializers.normal(0.3), rngs=rngs
        )
        self.hidden = nnx.Linear(context_length * embed_dim, hidden, rngs=rngs)
        self.out = nnx.Linear(hidden, vocab_size, rngs=rngs)

    def __call__(self, contexts: Int[Array, "batch k"]) -> Float[Array, "batch V"]:
        features = self.embed(contexts).reshape(contexts.shape[0], -1)
        return self.out(jax.nn.gelu(self.hidden(features)))


@dataclasses.dataclass(frozen=True)
class MLPLogits:
    """``apply_fn`` of a :class:`ContextMLP` (hashable: the graph definition is static)."""

    graphdef: Any

    def __call__(self, params: Any, contexts: Int[Array, "batch k"]) -> Float[Array, "batch V"]:
        return nnx.merge(self.graphdef, params)(jnp.asarray(contexts, jnp.int32))


def init_context_mlp(
    key: PRNGKey,
    vocab_size: int,
    context_length: int,
    *,
    embed_dim: int = 32,
    hidden: int = 128,
) -> tuple[Any, MLPLogits]:
    """A freshly initialised :class:`ContextMLP` as ``(params, apply_fn)`` (spec §2.1 sizes).

    Examples:
        >>> params, apply_fn = init_context_mlp(jax.random.key(0), 24, 3)
        >>> apply_fn(params, jnp.zeros((5, 3), jnp.int32)).shape
        (5, 24)
    """
    for name, value in (("vocab_size", vocab_size), ("context_length", context_length)):
        _validate.check_integer(name, value, minimum=1)
    for name, value in (("embed_dim", embed_dim), ("hidden", hidden)):
        _validate.check_integer(name, value, minimum=1)
    model = ContextMLP(vocab_size, context_length, embed_dim, hidden, rngs=nnx.Rngs(params=key))
    graphdef, params = nnx.split(model)
    return params, MLPLogits(graphdef)
