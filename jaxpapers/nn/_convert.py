"""Between our stacked parameter layout and Hugging Face Llama tensors (numpy, no I/O).

Hugging Face stores a ``Linear`` weight as ``(out, in)``; we store ``(in, ..., out)`` with the
heads split out (``wq: [layers, embed, heads, head_dim]``) and all layers stacked.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import jax
from flax import nnx

from jaxpapers.nn._config import LlamaConfig, RopeScaling
from jaxpapers.nn._model import LORA_TARGETS, Llama

__all__ = [
    "config_from_hf",
    "config_to_hf",
    "from_hf_tensors",
    "model_from_arrays",
    "to_hf_tensors",
]

_PROJ = {"q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj"}
_PROJ |= {"o": "self_attn.o_proj"}
_MLP = {"w_gate": "mlp.gate_proj", "w_up": "mlp.up_proj", "w_down": "mlp.down_proj"}
_NORMS = {"attn_norm": "input_layernorm", "mlp_norm": "post_attention_layernorm"}


def config_to_hf(config: LlamaConfig) -> dict[str, Any]:
    """A Hugging Face ``config.json`` dictionary for ``LlamaForCausalLM``."""
    hf = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": config.vocab_size,
        "hidden_size": config.hidden_size,
        "num_hidden_layers": config.num_layers,
        "num_attention_heads": config.num_heads,
        "num_key_value_heads": config.num_kv_heads,
        "head_dim": config.dims_per_head,
        "intermediate_size": config.intermediate_size,
        "rms_norm_eps": config.rms_norm_eps,
        "rope_theta": config.rope_theta,
        "rope_scaling": None,
        "tie_word_embeddings": config.tie_embeddings,
        "max_position_embeddings": config.max_positions,
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
        "torch_dtype": "float32",
    }
    if config.rope_scaling is not None:
        s = config.rope_scaling
        hf["rope_scaling"] = {
            "rope_type": s.kind,
            "factor": s.factor,
            "low_freq_factor": s.low_freq_factor,
            "high_freq_factor": s.high_freq_factor,
            "original_max_position_embeddings": s.original_max_positions,
        }
    if config.lora_rank:
        hf["jaxpapers_lora"] = {"rank": config.lora_rank, "alpha": config.lora_alpha}
    return hf


def config_from_hf(hf: dict[str, Any]) -> LlamaConfig:
    """A :class:`LlamaConfig` from a Hugging Face Llama ``config.json`` dictionary."""
    if hf.get("model_type", "llama") != "llama":
        raise ValueError(f"config.json describes model_type {hf.get('model_type')!r}, not 'llama'")
    rope = hf.get("rope_scaling") or {}
    params = hf.get("rope_parameters") or {}  # transformers >= 5 spelling
    rope = rope or (params if params.get("rope_type", "default") != "default" else {})
    theta = hf.get("rope_theta", params.get("rope_theta", 10000.0))
    kind = rope.get("rope_type", rope.get("type"))
    scaling = None
    if kind not in (None, "default"):
        scaling = RopeScaling(
            kind=kind,
            factor=float(rope["factor"]),
            low_freq_factor=float(rope["low_freq_factor"]),
            high_freq_factor=float(rope["high_freq_factor"]),
            original_max_positions=int(rope["original_max_position_embeddings"]),
        )
    lora = hf.get("jaxpapers_lora") or {}
    return LlamaConfig(
        vocab_size=hf["vocab_size"],
        hidden_size=hf["hidden_size"],
        num_layers=hf["num_hidden_layers"],
        num_heads=hf["num_attention_heads"],
        num_kv_heads=hf.get("num_key_value_heads", hf["num_attention_heads"]),
        head_dim=hf.get("head_dim"),
        intermediate_size=hf["intermediate_size"],
        rms_norm_eps=float(hf.get("rms_norm_eps", 1e-6)),
        rope_theta=float(theta),
        rope_scaling=scaling,
        tie_embeddings=bool(hf.get("tie_word_embeddings", False)),
        max_positions=hf.get("max_position_embeddings", 2048),
        lora_rank=int(lora.get("rank", 0)),
        lora_alpha=float(lora.get("alpha", 32.0)),
    )


def to_hf_tensors(model: Llama) -> dict[str, np.ndarray]:
    """The model's weights under Hugging Face names, ``(out, in)`` float32 numpy arrays."""
    c = model.config
    blocks = {k: np.asarray(jax.device_get(v)) for k, v in model.blocks.arrays().items()}
    out = {"model.embed_tokens.weight": np.asarray(model.embed[...])}
    out["model.norm.weight"] = np.asarray(model.final_norm[...])
    if not c.tie_embeddings:
        out["lm_head.weight"] = np.asarray(model.lm_head[...]).T
    for i in range(c.num_layers):
        pre = f"model.layers.{i}."
        out[pre + "self_attn.q_proj.weight"] = blocks["wq"][i].reshape(c.hidden_size, -1).T
        out[pre + "self_attn.k_proj.weight"] = blocks["wk"][i].reshape(c.hidden_size, -1).T
        out[pre + "self_attn.v_proj.weight"] = blocks["wv"][i].reshape(c.hidden_size, -1).T
        out[pre + "self_attn.o_proj.weight"] = blocks["wo"][i].reshape(-1, c.hidden_size).T
        for ours, theirs in _MLP.items():
            out[pre + theirs + ".weight"] = blocks[ours][i].T
        for ours, theirs in _NORMS.items():
            out[pre + theirs + ".weight"] = blocks[ours][i]
        for name in LORA_TARGETS if c.lora_rank else ():
            a, b = blocks[f"lora_{name}_a"][i], blocks[f"lora_{name}_b"][i]
            out[pre + _PROJ[name] + ".lora_A.weight"] = a.reshape(-1, c.lora_rank).T
            out[pre + _PROJ[name] + ".lora_B.weight"] = b.reshape(c.lora_rank, -1).T
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def _take(tensors: dict[str, np.ndarray], name: str, shape: tuple[int, ...]) -> np.ndarray:
    if name not in tensors:
        raise ValueError(f"the weights have no tensor {name!r}")
    value = np.asarray(tensors[name], dtype=np.float32)
    if value.shape != shape:
        raise ValueError(f"tensor {name!r} has shape {value.shape}, expected {shape}")
    return value


def from_hf_tensors(config: LlamaConfig, tensors: dict[str, np.ndarray]) -> dict[str, Any]:
    """Our parameter tree (nested dict of numpy arrays) from Hugging Face-named tensors."""
    c = config
    D, F, H, K, E = c.hidden_size, c.intermediate_size, c.num_heads, c.num_kv_heads, c.dims_per_head
    r = c.lora_rank
    per_layer: dict[str, list[np.ndarray]] = {}

    def add(key, value):
        per_layer.setdefault(key, []).append(value)

    for i in range(c.num_layers):
        pre = f"model.layers.{i}."
        add("wq", _take(tensors, pre + "self_attn.q_proj.weight", (H * E, D)).T.reshape(D, H, E))
        add("wk", _take(tensors, pre + "self_attn.k_proj.weight", (K * E, D)).T.reshape(D, K, E))
        add("wv", _take(tensors, pre + "self_attn.v_proj.weight", (K * E, D)).T.reshape(D, K, E))
        add("wo", _take(tensors, pre + "self_attn.o_proj.weight", (D, H * E)).T.reshape(H, E, D))
        add("w_gate", _take(tensors, pre + "mlp.gate_proj.weight", (F, D)).T)
        add("w_up", _take(tensors, pre + "mlp.up_proj.weight", (F, D)).T)
        add("w_down", _take(tensors, pre + "mlp.down_proj.weight", (D, F)).T)
        for ours, theirs in _NORMS.items():
            add(ours, _take(tensors, pre + theirs + ".weight", (D,)))
        in_shapes = {"q": (D,), "k": (D,), "v": (D,), "o": (H, E)}
        out_shapes = {"q": (H, E), "k": (K, E), "v": (K, E), "o": (D,)}
        for name in LORA_TARGETS if r else ():
            n_in, n_out = int(np.prod(in_shapes[name])), int(np.prod(out_shapes[name]))
            a = _take(tensors, pre + _PROJ[name] + ".lora_A.weight", (r, n_in))
            b = _take(tensors, pre + _PROJ[name] + ".lora_B.weight", (n_out, r))
            add(f"lora_{name}_a", a.T.reshape(*in_shapes[name], r))
            add(f"lora_{name}_b", b.T.reshape(r, *out_shapes[name]))
    tree: dict[str, Any] = {
        "embed": _take(tensors, "model.embed_tokens.weight", (c.vocab_size, D)),
        "final_norm": _take(tensors, "model.norm.weight", (D,)),
        "blocks": {k: np.stack(v) for k, v in per_layer.items()},
    }
    if not c.tie_embeddings:
        tree["lm_head"] = _take(tensors, "lm_head.weight", (c.vocab_size, D)).T
    return tree


def model_from_arrays(config: LlamaConfig, tree: dict[str, Any]) -> Llama:
    """A :class:`Llama` whose parameters are ``tree`` (nothing else is allocated)."""
    abstract = nnx.eval_shape(lambda: Llama(config, rngs=nnx.Rngs(0)))
    graphdef, state = nnx.split(abstract)
    nnx.replace_by_pure_dict(state, jax.tree.map(jax.numpy.asarray, tree))
    return nnx.merge(graphdef, state)
