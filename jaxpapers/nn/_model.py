"""The Llama decoder as a flax.nnx module, with layer weights stacked and scanned.

Every parameter carries ``logical_axes`` metadata (``vocab``, ``embed``, ``heads``,
``kv_heads``, ``head_dim``, ``mlp``, ``layers``, ``norm``, ``lora``) that
:func:`jaxpapers.nn.shard_model` maps to mesh axes through :class:`jaxpapers._mesh.AxisRules`.
The weights of all layers are stacked on a leading ``layers`` axis and the blocks run under
``lax.scan``: one block is compiled whatever the depth.

References:
    Touvron et al., "LLaMA: Open and Efficient Foundation Language Models", arXiv:2302.13971
    (2023); Grattafiori et al., "The Llama 3 Herd of Models", arXiv:2407.21783 (2024).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import numpy as np

import equinox as eqx
import jax
import jax.numpy as jnp
from flax import nnx
from jax.typing import ArrayLike
from jaxtyping import Array, Bool, Float, Int

from jaxpapers import _validate
from jaxpapers.nn._config import LlamaConfig
from jaxpapers.nn._layers import apply_rope, attention, rms_norm, rope_frequencies, swiglu

__all__ = ["KVCache", "Llama", "LoRAParam", "init_cache"]

LORA_TARGETS = ("q", "k", "v", "o")


class LoRAParam(nnx.Param):
    """A LoRA adapter weight: trained when the base :class:`nnx.Param` weights are frozen."""


class KVCache(NamedTuple):
    """Keys and values of the positions seen so far, for incremental decoding.

    Attributes:
        k: ``[layers, batch, slots, kv_heads, head_dim]``.
        v: see ``k``.
        valid: ``bool[batch, slots]``, True where a slot holds a real (unpadded) token.
        length: ``int32[batch]``, real tokens seen so far per row (the next RoPE position).
        index: ``int32[]``, slots filled so far (the same for every row).
    """

    k: Float[Array, "l b s k e"]
    v: Float[Array, "l b s k e"]
    valid: Bool[Array, "b s"]
    length: Int[Array, " b"]
    index: Int[Array, ""]  # pyright: ignore[reportIncompatibleMethodOverride]


def init_cache(config: LlamaConfig, batch: int, slots: int) -> KVCache:
    """An empty cache with room for ``slots`` positions per row."""
    shape = (config.num_layers, batch, slots, config.num_kv_heads, config.dims_per_head)
    dtype = jnp.dtype(config.dtype)
    return KVCache(
        k=jnp.zeros(shape, dtype),
        v=jnp.zeros(shape, dtype),
        valid=jnp.zeros((batch, slots), bool),
        length=jnp.zeros((batch,), jnp.int32),
        index=jnp.zeros((), jnp.int32),
    )


def _param(rngs: nnx.Rngs, shape, axes, std: float | None, cls=nnx.Param) -> nnx.Param:
    if std is None:
        value = jnp.ones(shape, jnp.float32)
    elif std == 0.0:
        value = jnp.zeros(shape, jnp.float32)
    else:
        value = std * jax.random.normal(rngs.params(), shape, jnp.float32)
    return cls(value, logical_axes=axes)


class Blocks(nnx.Module):
    """The weights of all decoder blocks, stacked on a leading ``layers`` axis."""

    def __init__(self, config: LlamaConfig, *, rngs: nnx.Rngs, init_std: float = 0.02):
        L, D, F = config.num_layers, config.hidden_size, config.intermediate_size
        H, K, E = config.num_heads, config.num_kv_heads, config.dims_per_head
        self.attn_norm = _param(rngs, (L, D), ("layers", "norm"), None)
        self.wq = _param(rngs, (L, D, H, E), ("layers", "embed", "heads", "head_dim"), init_std)
        self.wk = _param(rngs, (L, D, K, E), ("layers", "embed", "kv_heads", "head_dim"), init_std)
        self.wv = _param(rngs, (L, D, K, E), ("layers", "embed", "kv_heads", "head_dim"), init_std)
        self.wo = _param(rngs, (L, H, E, D), ("layers", "heads", "head_dim", "embed"), init_std)
        self.mlp_norm = _param(rngs, (L, D), ("layers", "norm"), None)
        self.w_gate = _param(rngs, (L, D, F), ("layers", "embed", "mlp"), init_std)
        self.w_up = _param(rngs, (L, D, F), ("layers", "embed", "mlp"), init_std)
        self.w_down = _param(rngs, (L, F, D), ("layers", "mlp", "embed"), init_std)
        if config.lora_rank:
            self._init_lora(config, rngs)

    def _init_lora(self, config: LlamaConfig, rngs: nnx.Rngs) -> None:
        """LoRA A ~ U(-1/sqrt(in), 1/sqrt(in)) and B = 0, so the adapted model starts unchanged."""
        L, D, r = config.num_layers, config.hidden_size, config.lora_rank
        H, K, E = config.num_heads, config.num_kv_heads, config.dims_per_head
        shapes_in = {"q": (D,), "k": (D,), "v": (D,), "o": (H, E)}
        shapes_out = {"q": (H, E), "k": (K, E), "v": (K, E), "o": (D,)}
        axes_in = {"q": ("embed",), "k": ("embed",), "v": ("embed",), "o": ("heads", "head_dim")}
        axes_out = {
            "q": ("heads", "head_dim"),
            "k": ("kv_heads", "head_dim"),
            "v": ("kv_heads", "head_dim"),
            "o": ("embed",),
        }
        for name in LORA_TARGETS:
            fan_in = int(np.prod(shapes_in[name]))
            bound = 1.0 / np.sqrt(fan_in)
            a = jax.random.uniform(
                rngs.params(), (L, *shapes_in[name], r), jnp.float32, -bound, bound
            )
            b = jnp.zeros((L, r, *shapes_out[name]), jnp.float32)
            setattr(
                self,
                f"lora_{name}_a",
                LoRAParam(a, logical_axes=("layers", *axes_in[name], "lora")),
            )
            setattr(
                self,
                f"lora_{name}_b",
                LoRAParam(b, logical_axes=("layers", "lora", *axes_out[name])),
            )

    def arrays(self) -> dict[str, Array]:
        """The stacked weights as a dict of arrays (the ``xs`` of the layer scan)."""
        return {name: var[...] for name, var in vars(self).items() if isinstance(var, nnx.Variable)}


def _project(x, w, name: str, p: dict, scale: float, spec: str):
    """``x W`` plus the LoRA update ``scale * (x A) B`` when the block has adapters."""
    out = jnp.einsum(spec, x, w.astype(x.dtype))
    if f"lora_{name}_a" in p:
        a, b = p[f"lora_{name}_a"].astype(x.dtype), p[f"lora_{name}_b"].astype(x.dtype)
        in_spec, out_spec = spec.split("->")[0].split(","), spec.split("->")[1]
        x_in, w_in = in_spec
        contracted = "".join(c for c in w_in if c not in out_spec)
        produced = "".join(c for c in w_in if c in out_spec)
        low = jnp.einsum(f"{x_in},{contracted}r->{x_in.replace(contracted, '')}r", x, a)
        up = jnp.einsum(f"{x_in.replace(contracted, '')}r,r{produced}->{out_spec}", low, b)
        out = out + jnp.asarray(scale, x.dtype) * up
    return out


def _block(config: LlamaConfig, p: dict, h, positions, allowed, inv_freq, cache_k, cache_v, index):
    """One pre-norm decoder block; returns the new residual, probabilities and the new K/V."""
    scale = config.lora_alpha / max(config.lora_rank, 1)
    x = rms_norm(h, p["attn_norm"], config.rms_norm_eps)
    q = _project(x, p["wq"], "q", p, scale, "btd,dhe->bthe")
    k = _project(x, p["wk"], "k", p, scale, "btd,dke->btke")
    v = _project(x, p["wv"], "v", p, scale, "btd,dke->btke")
    q, k = apply_rope(q, positions, inv_freq), apply_rope(k, positions, inv_freq)
    if cache_k is not None:  # write the new keys/values at slots index .. index + T - 1
        k = jax.lax.dynamic_update_slice(cache_k, k.astype(cache_k.dtype), (0, index, 0, 0))
        v = jax.lax.dynamic_update_slice(cache_v, v.astype(cache_v.dtype), (0, index, 0, 0))
    out, probs = attention(q, k, v, allowed)
    h = h + _project(out, p["wo"], "o", p, scale, "bthe,hed->btd")
    x = rms_norm(h, p["mlp_norm"], config.rms_norm_eps)
    h = h + swiglu(
        x, p["w_gate"].astype(x.dtype), p["w_up"].astype(x.dtype), p["w_down"].astype(x.dtype)
    )
    return h, probs, k, v


class Llama(nnx.Module):
    """A Llama-family decoder-only language model.

    ``h_0 = E[tokens]``; each block ``h += Attn(RMSNorm(h))``, ``h += SwiGLU(RMSNorm(h))`` with
    RoPE on queries and keys and grouped-query attention; ``logits = RMSNorm(h) E^T`` (tied) or
    ``RMSNorm(h) W_out``. Parameters are float32; activations use ``config.dtype``; norms,
    softmax and logits are computed in float32.

    Examples:
        >>> from flax import nnx
        >>> model = Llama(LlamaConfig.tiny(), rngs=nnx.Rngs(0))
        >>> model(jnp.zeros((1, 8), jnp.int32)).shape
        (1, 8, 512)
    """

    def __init__(self, config: LlamaConfig, *, rngs: nnx.Rngs, init_std: float = 0.02):
        if not isinstance(config, LlamaConfig):
            raise TypeError(f"config must be a LlamaConfig, got {type(config).__name__}")
        self.config = config
        D, V = config.hidden_size, config.vocab_size
        self.embed = _param(rngs, (V, D), ("vocab", "embed"), init_std)
        self.blocks = Blocks(config, rngs=rngs, init_std=init_std)
        self.final_norm = _param(rngs, (D,), ("norm",), None)
        if not config.tie_embeddings:
            self.lm_head = _param(rngs, (D, V), ("embed", "vocab"), init_std)

    def __call__(
        self,
        tokens: ArrayLike,
        *,
        attention_mask: ArrayLike | None = None,
        return_attention: bool = False,
    ) -> Float[Array, "b t v"] | tuple[Float[Array, "b t v"], Float[Array, "b l h t t"]]:
        """Next-token logits for every position.

        Args:
            tokens: ``int32[batch, seq]`` token ids in ``[0, vocab_size)``.
            attention_mask: ``bool[batch, seq]``, True for real tokens and False for padding
                (left or right). RoPE positions count real tokens only
                (``cumsum(mask) - 1``), so a padded row gives the same logits at its real
                tokens as the unpadded sequence; logits at padding positions are meaningless.
            return_attention: also return the attention probabilities.

        Returns:
            ``float32[batch, seq, vocab]`` logits, and with ``return_attention`` the
            post-softmax probabilities ``float32[batch, layer, head, query, key]``: causal and
            padding-masked, rows summing to 1 over allowed keys, rows of padding queries zero.
        """
        tokens, mask = _check_inputs(self.config, tokens, attention_mask)
        positions = jnp.maximum(jnp.cumsum(mask, axis=1, dtype=jnp.int32) - 1, 0)
        length = tokens.shape[1]
        causal = jnp.tril(jnp.ones((length, length), bool))
        allowed = causal[None] & mask[:, None, :]
        logits, probs, _, _ = self._run(
            tokens, positions, allowed, return_attention=return_attention
        )
        if return_attention:
            return logits, jnp.swapaxes(probs, 0, 1)
        return logits

    def decode(
        self,
        tokens: ArrayLike,
        cache: KVCache,
        *,
        attention_mask: ArrayLike | None = None,
        last_only: bool = False,
    ) -> tuple[Float[Array, "b _ v"], KVCache]:
        """Run ``tokens`` after the positions in ``cache`` and return the logits and new cache.

        The cache must have room for ``cache.index + seq`` slots (:func:`init_cache`): decoding
        past its end raises ``ValueError`` eagerly, and an ``equinox.error_if`` runtime error
        inside ``jit``. With ``last_only`` only the logits of the last position are computed
        (``[batch, 1, vocab]``).
        """
        tokens, mask = _check_inputs(self.config, tokens, attention_mask, check_length=False)
        length, slots = tokens.shape[1], cache.valid.shape[1]
        overflow = cache.index + length > slots
        if _validate.is_concrete(overflow) and bool(overflow):
            raise ValueError(
                f"the cache has {slots} slots, {int(cache.index)} of them used: decoding "
                f"{length} more tokens would run past its end; make it with init_cache(config, "
                f"batch, slots >= {int(cache.index) + length})"
            )
        valid = jax.lax.dynamic_update_slice(cache.valid, mask, (0, cache.index))
        positions = cache.length[:, None] + jnp.cumsum(mask, axis=1, dtype=jnp.int32) - 1
        positions = jnp.maximum(positions, 0)
        query_slots = cache.index + jnp.arange(length, dtype=jnp.int32)
        allowed = jnp.arange(slots)[None, None, :] <= query_slots[None, :, None]
        allowed = allowed & valid[:, None, :]
        logits, _, k, v = self._run(tokens, positions, allowed, cache=cache, last_only=last_only)
        logits = eqx.error_if(logits, overflow, "decoding past the end of the KV cache")
        new_cache = KVCache(
            k=k,
            v=v,
            valid=valid,
            length=cache.length + jnp.sum(mask, axis=1, dtype=jnp.int32),
            index=cache.index + length,
        )
        return logits, new_cache

    def _params(self) -> dict:
        params = {"embed": self.embed[...], "final_norm": self.final_norm[...]}
        params["blocks"] = self.blocks.arrays()
        if not self.config.tie_embeddings:
            params["lm_head"] = self.lm_head[...]
        return params

    def _run(
        self, tokens, positions, allowed, *, cache=None, return_attention=False, last_only=False
    ):
        kv = None if cache is None else (cache.k, cache.v, cache.index)
        return _forward(
            self.config,
            self._params(),
            tokens,
            positions,
            allowed,
            kv,
            return_attention=return_attention,
            last_only=last_only,
        )


@partial(jax.jit, static_argnames=("config", "return_attention", "last_only"))
def _forward(
    config: LlamaConfig, params, tokens, positions, allowed, kv, *, return_attention, last_only
):
    """Embedding, the scanned blocks and the output head, as one pure (jitted) function.

    Jitted here, with the config static, so that eager calls reuse one compiled program; under
    an outer ``jit`` or ``grad`` it is simply inlined.
    """
    dtype = jnp.dtype(config.dtype)
    inv_freq = jnp.asarray(rope_frequencies(config))
    h = jnp.take(params["embed"], tokens, axis=0).astype(dtype)
    cache_k, cache_v, index = (None, None, None) if kv is None else kv

    def body(h, xs):
        p, layer_k, layer_v = xs
        h, probs, k, v = _block(config, p, h, positions, allowed, inv_freq, layer_k, layer_v, index)
        keep_kv = kv is not None
        return h, (
            probs if return_attention else None,
            k if keep_kv else None,
            v if keep_kv else None,
        )

    h, (probs, k, v) = jax.lax.scan(body, h, (params["blocks"], cache_k, cache_v))
    if last_only:
        h = h[:, -1:]
    h = rms_norm(h, params["final_norm"], config.rms_norm_eps).astype(jnp.float32)
    if config.tie_embeddings:
        logits = jnp.einsum("btd,vd->btv", h, params["embed"])
    else:
        logits = h @ params["lm_head"]
    return logits, probs, k, v


def _check_inputs(config: LlamaConfig, tokens, mask, *, check_length: bool = True):
    """Validate token ids and the padding mask eagerly (values only when they are concrete)."""
    tokens = jnp.asarray(tokens)
    if tokens.ndim != 2:
        raise ValueError(f"tokens must have shape [batch, seq], got shape {tokens.shape}")
    if not jnp.issubdtype(tokens.dtype, jnp.integer):
        raise TypeError(f"tokens must be integer token ids, got dtype {tokens.dtype}")
    if tokens.shape[0] == 0 or tokens.shape[1] == 0:
        raise ValueError(
            f"tokens must hold at least one sequence of at least one token, got shape "
            f"{tokens.shape}"
        )
    if check_length and tokens.shape[1] > config.max_positions:
        raise ValueError(
            f"sequence length {tokens.shape[1]} exceeds max_positions={config.max_positions}"
        )
    if _validate.is_concrete(tokens):
        low, high = int(jnp.min(tokens)), int(jnp.max(tokens))
        if low < 0 or high >= config.vocab_size:
            raise ValueError(
                f"token ids must lie in [0, {config.vocab_size}), got values in [{low}, {high}]"
            )
    if mask is None:
        return tokens.astype(jnp.int32), jnp.ones(tokens.shape, bool)
    mask = jnp.asarray(mask)
    if mask.shape != tokens.shape or mask.dtype != jnp.bool_:
        raise ValueError(
            f"attention_mask must be bool with the tokens' shape {tokens.shape}, got "
            f"{mask.dtype} {mask.shape}"
        )
    return tokens.astype(jnp.int32), mask
