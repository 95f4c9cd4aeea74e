"""The pure pieces of a Llama block: RMSNorm, RoPE, masked grouped-query attention, SwiGLU.

Shapes are named in the locals: B batch, T query positions, S key positions, D hidden,
H query heads, K key/value heads, G = H / K query heads per KV head, E head dim, F MLP width.
"""

from __future__ import annotations

import math

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from jaxpapers.nn._config import LlamaConfig, RopeScaling

__all__ = [
    "apply_rope",
    "attention",
    "rms_norm",
    "rope_frequencies",
    "swiglu",
]


def rms_norm(
    x_BxTxD: Float[Array, "*batch d"], weight_D: Float[Array, " d"], eps: float
) -> Float[Array, "*batch d"]:
    """``x / sqrt(mean(x**2) + eps) * weight``, computed in float32 (Zhang & Sennrich, 2019)."""
    x32 = x_BxTxD.astype(jnp.float32)
    normed = x32 * jax.lax.rsqrt(jnp.mean(x32 * x32, axis=-1, keepdims=True) + eps)
    weight = jnp.expand_dims(weight_D.astype(jnp.float32), tuple(range(x_BxTxD.ndim - 1)))
    return (normed * weight).astype(x_BxTxD.dtype)


def _llama3_scaling(inv_freq: np.ndarray, scaling: RopeScaling) -> np.ndarray:
    """Llama 3 frequency scaling: slow frequencies / factor, fast kept, a smooth band between."""
    low_wavelen = scaling.original_max_positions / scaling.low_freq_factor
    high_wavelen = scaling.original_max_positions / scaling.high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    scaled = np.where(wavelen > low_wavelen, inv_freq / scaling.factor, inv_freq)
    smooth = (scaling.original_max_positions / wavelen - scaling.low_freq_factor) / (
        scaling.high_freq_factor - scaling.low_freq_factor
    )
    smoothed = (1 - smooth) * scaled / scaling.factor + smooth * scaled
    medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen)
    return np.where(medium, smoothed, scaled).astype(np.float32)


def rope_frequencies(config: LlamaConfig) -> np.ndarray:
    """``inv_freq[i] = theta ** (-2i / E)`` for ``i < E/2``, with the config's scaling (float32).

    Computed in float32 like Hugging Face, so that positions times frequencies round the same way.
    """
    dim = config.dims_per_head
    exponents = np.arange(0, dim, 2, dtype=np.int64).astype(np.float32) / np.float32(dim)
    inv_freq = (np.float32(1.0) / (np.float32(config.rope_theta) ** exponents)).astype(np.float32)
    if config.rope_scaling is not None:
        inv_freq = _llama3_scaling(inv_freq, config.rope_scaling)
    return inv_freq


def apply_rope(
    x_BxTxNxE: Float[Array, "b t n e"],
    positions_BxT: Int[Array, "b t"],
    inv_freq: Float[Array, " half"],
) -> Float[Array, "b t n e"]:
    """Rotary position embedding, half-split ("rotate_half", GPT-NeoX) pairing (Su et al., 2021).

    Frequency ``i`` rotates components ``(i, i + E/2)`` by the angle ``position * inv_freq[i]``:
    ``[x1, x2] -> [x1 cos - x2 sin, x2 cos + x1 sin]``. This is the Hugging Face layout; GGUF
    files store Q/K rows permuted for the interleaved pairing, and the loader un-permutes them.
    """
    angles_BxTxE2 = positions_BxT.astype(jnp.float32)[..., None] * inv_freq[None, None, :]
    cos = jnp.cos(angles_BxTxE2)[:, :, None, :]
    sin = jnp.sin(angles_BxTxE2)[:, :, None, :]
    x32 = x_BxTxNxE.astype(jnp.float32)
    x1, x2 = jnp.split(x32, 2, axis=-1)
    rotated = jnp.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
    return rotated.astype(x_BxTxNxE.dtype)


def attention(
    q_BxTxHxE: Float[Array, "b t h e"],
    k_BxSxKxE: Float[Array, "b s k e"],
    v_BxSxKxE: Float[Array, "b s k e"],
    allowed_BxTxS: Bool[Array, "b t s"],
) -> tuple[Float[Array, "b t h e"], Float[Array, "b h t s"]]:
    """Grouped-query softmax attention ``softmax(q k^T / sqrt(E) + mask) v``.

    Query head ``h`` reads key/value head ``h // G`` (as Hugging Face ``repeat_kv``). Keys that
    are not ``allowed`` get probability exactly 0; a query row with no allowed key (a padding
    position) gets an all-zero row and a zero output.

    Returns:
        the attention output and the probabilities ``[b, h, t, s]`` in float32.
    """
    batch, length, num_heads, head_dim = q_BxTxHxE.shape
    num_kv = k_BxSxKxE.shape[2]
    group = num_heads // num_kv
    q_BxTxKxGxE = q_BxTxHxE.reshape(batch, length, num_kv, group, head_dim)
    scores = jnp.einsum(
        "btkge,bske->bkgts", q_BxTxKxGxE, k_BxSxKxE, preferred_element_type=jnp.float32
    )
    scores = scores * jnp.float32(1.0 / math.sqrt(head_dim))
    mask_Bx1x1xTxS = allowed_BxTxS[:, None, None]
    scores = jnp.where(mask_Bx1x1xTxS, scores, jnp.finfo(jnp.float32).min)
    probs_BxKxGxTxS = jnp.where(mask_Bx1x1xTxS, jax.nn.softmax(scores, axis=-1), 0.0)
    out = jnp.einsum("bkgts,bske->btkge", probs_BxKxGxTxS.astype(v_BxSxKxE.dtype), v_BxSxKxE)
    probs_BxHxTxS = probs_BxKxGxTxS.reshape(batch, num_heads, length, -1)
    return out.reshape(batch, length, num_heads, head_dim), probs_BxHxTxS


def swiglu(
    x_BxTxD: Float[Array, "b t d"],
    gate_DxF: Float[Array, "d f"],
    up_DxF: Float[Array, "d f"],
    down_FxD: Float[Array, "f d"],
) -> Float[Array, "b t d"]:
    """SwiGLU MLP ``(silu(x W_gate) * (x W_up)) W_down`` (Shazeer, 2020)."""
    hidden = jax.nn.silu(x_BxTxD @ gate_DxF) * (x_BxTxD @ up_DxF)
    return hidden @ down_FxD
