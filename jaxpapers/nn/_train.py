"""Training: the next-token loss, perplexity, and a jitted AdamW step (full or LoRA)."""

from __future__ import annotations

import functools
import math
from typing import cast

import jax
import jax.numpy as jnp
import optax
from flax import nnx
from jax.sharding import NamedSharding, PartitionSpec
from jax.typing import ArrayLike
from jaxtyping import Array, Bool, Float, Int

from jaxpapers.nn._model import Llama, LoRAParam

__all__ = [
    "make_optimizer",
    "next_token_loss",
    "perplexity",
    "train_step",
    "trainable",
]


def next_token_loss(
    logits: Float[Array, "b t v"],
    tokens: Int[Array, "b t"],
    attention_mask: Bool[Array, "b t"] | None = None,
) -> Float[Array, ""]:
    """Mean cross-entropy of predicting ``tokens[:, 1:]`` from ``logits[:, :-1]``.

    ``-1/N sum_{b, t} log softmax(logits[b, t])[tokens[b, t + 1]]`` over the N pairs whose both
    positions are real tokens (``attention_mask``).
    """
    logp = jax.nn.log_softmax(logits[:, :-1].astype(jnp.float32), axis=-1)
    target = tokens[:, 1:]
    nll = -jnp.take_along_axis(logp, target[..., None], axis=-1)[..., 0]
    if attention_mask is None:
        return jnp.mean(nll)
    weight = (attention_mask[:, 1:] & attention_mask[:, :-1]).astype(jnp.float32)
    return jnp.sum(nll * weight) / jnp.maximum(jnp.sum(weight), 1.0)


def perplexity(model: Llama, tokens: ArrayLike, attention_mask: ArrayLike | None = None) -> float:
    """``exp(next_token_loss)`` of ``model`` on ``tokens`` (one forward pass)."""
    tokens = jnp.asarray(tokens)
    mask = None if attention_mask is None else jnp.asarray(attention_mask)
    logits = cast(Array, model(tokens, attention_mask=mask))  # no attention asked for
    return math.exp(float(next_token_loss(logits, tokens, mask)))


def trainable(model: Llama) -> type[nnx.Variable]:
    """What a step trains: the LoRA adapters when the model has them, else every parameter."""
    return LoRAParam if model.config.lora_rank else nnx.Param


def make_optimizer(
    model: Llama,
    learning_rate: float | optax.Schedule = 1e-3,
    *,
    weight_decay: float = 0.0,
    max_grad_norm: float | None = 1.0,
) -> nnx.Optimizer:
    """AdamW (Loshchilov & Hutter, 2019) with optional global-norm clipping, on ``trainable``.

    With LoRA the base weights are frozen and only the adapters (and their Adam moments) exist
    in the optimizer state. Call after sharding the model: moments take the parameters' layout.
    """
    tx = optax.adamw(learning_rate, weight_decay=weight_decay)
    if max_grad_norm is not None:
        tx = optax.chain(optax.clip_by_global_norm(max_grad_norm), tx)
    return nnx.Optimizer(model, tx, wrt=trainable(model))


def train_step(
    model: Llama,
    optimizer: nnx.Optimizer,
    tokens: Int[Array, "b t"],
    attention_mask: Bool[Array, "b t"] | None = None,
) -> Float[Array, ""]:
    """One AdamW step on the next-token loss; updates ``model`` and ``optimizer`` in place.

    Shard ``tokens`` over the batch (``_mesh.shard_batch``) and the model with
    :func:`jaxpapers.nn.shard_model` before building the optimizer; the step then runs data-,
    fully-sharded- or tensor-parallel as those shardings say, gives the same result as on one
    device, and returns every parameter and moment in the layout it came in (``out_shardings``
    pinned to the input shardings; the old buffers are donated).

    Returns:
        the loss before the step.
    """
    graphdef, state = nnx.split((model, optimizer))
    leaves, treedef = jax.tree.flatten(state)
    shardings = _on_one_mesh(tuple(leaf.sharding for leaf in leaves))
    leaves = jax.device_put(leaves, list(shardings))  # commit: the same program every step
    step = _compiled_step(graphdef, treedef, shardings)
    new_leaves, loss = step(leaves, tokens, attention_mask)
    nnx.update((model, optimizer), jax.tree.unflatten(treedef, new_leaves))
    return loss


def _on_one_mesh(shardings: tuple) -> tuple:
    """Replicate leaves left on one device (the optimizer's step count) over the model's mesh."""
    meshes = [s.mesh for s in shardings if isinstance(s, NamedSharding)]
    if not meshes:
        return shardings
    replicated = NamedSharding(meshes[0], PartitionSpec())
    return tuple(s if isinstance(s, NamedSharding) else replicated for s in shardings)


@functools.lru_cache(maxsize=16)
def _compiled_step(graphdef, treedef, shardings):
    """The jitted pure step for one model structure and layout (cached: no retracing)."""

    def pure_step(leaves, tokens, attention_mask):
        model, optimizer = nnx.merge(graphdef, jax.tree.unflatten(treedef, leaves))

        def loss_fn(model):
            logits = model(tokens, attention_mask=attention_mask)
            return next_token_loss(logits, tokens, attention_mask)

        diff = nnx.DiffState(0, trainable(model))
        loss, grads = nnx.value_and_grad(loss_fn, argnums=diff)(model)
        with jax.numpy_dtype_promotion("standard"):  # optax bias correction: decay ** int count
            optimizer.update(model, grads)
        return jax.tree.leaves(nnx.state((model, optimizer))), loss

    return jax.jit(pure_step, out_shardings=(list(shardings), None), donate_argnums=0)
