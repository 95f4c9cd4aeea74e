"""Slow numpy references for the tests: GGUF block decoders and a llama.cpp-layout forward pass.

Written from the format and architecture descriptions in specs/smollm2.md, independently of
``jaxpapers.nn`` and of the ``gguf`` package's decoders.
"""

import numpy as np


def dequantize_q4_1(raw: np.ndarray) -> np.ndarray:
    """Q4_1 blocks (20 B per 32 weights): f16 d, f16 m, 16 B of nibbles; w = d * q + m."""
    blocks = np.asarray(raw, np.uint8).reshape(-1, 20)
    d = blocks[:, 0:2].copy().view(np.float16).astype(np.float32)
    m = blocks[:, 2:4].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 4:]
    low, high = (qs & 15).astype(np.float32), (qs >> 4).astype(np.float32)
    return np.concatenate([d * low + m, d * high + m], axis=1)


def dequantize_q8_0(raw: np.ndarray) -> np.ndarray:
    """Q8_0 blocks (34 B per 32 weights): f16 d, then 32 int8; w = d * q."""
    blocks = np.asarray(raw, np.uint8).reshape(-1, 34)
    d = blocks[:, 0:2].copy().view(np.float16).astype(np.float32)
    return d * blocks[:, 2:].copy().view(np.int8).astype(np.float32)


def permute_qk(weight: np.ndarray, num_heads: int) -> np.ndarray:
    """llama.cpp's convert_hf_to_gguf permutation (HF rows -> GGUF rows)."""
    rows, cols = weight.shape
    half = rows // num_heads // 2
    return weight.reshape(num_heads, 2, half, cols).swapaxes(1, 2).reshape(rows, cols)


def _rms(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def _rope_interleaved(x, theta):
    """llama.cpp "normal" RoPE: frequency i rotates the adjacent pair (2i, 2i + 1)."""
    length, _, dim = x.shape
    inv_freq = theta ** (-np.arange(0, dim, 2) / dim)
    angle = np.arange(length)[:, None, None] * inv_freq[None, None, :]
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = even * np.cos(angle) - odd * np.sin(angle)
    out[..., 1::2] = odd * np.cos(angle) + even * np.sin(angle)
    return out


def gguf_forward(tensors: dict, ids, *, heads, kv_heads, eps, theta) -> np.ndarray:
    """Logits of one sequence from GGUF-named float64 weights with Q/K rows as stored."""
    emb = tensors["token_embd.weight"]
    h = emb[np.asarray(ids)]
    length = h.shape[0]
    layers = 1 + max(int(k.split(".")[1]) for k in tensors if k.startswith("blk."))
    causal = np.tril(np.ones((length, length), bool))
    for i in range(layers):
        w = {k.split(".")[2]: v for k, v in tensors.items() if k.startswith(f"blk.{i}.")}
        x = _rms(h, w["attn_norm"], eps)
        q = (x @ w["attn_q"].T).reshape(length, heads, -1)
        k = (x @ w["attn_k"].T).reshape(length, kv_heads, -1)
        v = (x @ w["attn_v"].T).reshape(length, kv_heads, -1)
        q, k = _rope_interleaved(q, theta), _rope_interleaved(k, theta)
        k, v = np.repeat(k, heads // kv_heads, axis=1), np.repeat(v, heads // kv_heads, axis=1)
        scores = np.einsum("thd,shd->hts", q, k) / np.sqrt(q.shape[-1])
        scores = np.where(causal[None], scores, -np.inf)
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        h = h + np.einsum("hts,shd->thd", probs, v).reshape(length, -1) @ w["attn_output"].T
        x = _rms(h, w["ffn_norm"], eps)
        gate, up = x @ w["ffn_gate"].T, x @ w["ffn_up"].T
        h = h + (gate / (1 + np.exp(-gate)) * up) @ w["ffn_down"].T
    out = tensors.get("output.weight", emb)
    return _rms(h, tensors["output_norm.weight"], eps) @ out.T
