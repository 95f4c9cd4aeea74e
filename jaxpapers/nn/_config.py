"""Configuration of a Llama-family decoder: a frozen, hashable dataclass with presets."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["LlamaConfig", "RopeScaling"]


@dataclasses.dataclass(frozen=True)
class RopeScaling:
    """Frequency scaling of RoPE (Hugging Face ``rope_scaling``).

    Only ``kind="llama3"`` is implemented (Llama 3.1/3.2): wavelengths longer than
    ``original_max_positions / low_freq_factor`` are divided by ``factor``, shorter than
    ``original_max_positions / high_freq_factor`` are kept, and the band in between is
    interpolated smoothly.
    """

    kind: str = "llama3"
    factor: float = 32.0
    low_freq_factor: float = 1.0
    high_freq_factor: float = 4.0
    original_max_positions: int = 8192

    def __post_init__(self):
        if self.kind != "llama3":
            raise ValueError(f"rope scaling kind must be 'llama3', got {self.kind!r}")
        if not self.high_freq_factor > self.low_freq_factor > 0:
            raise ValueError(
                "rope scaling needs high_freq_factor > low_freq_factor > 0, got "
                f"{self.high_freq_factor} and {self.low_freq_factor}"
            )


@dataclasses.dataclass(frozen=True)
class LlamaConfig:
    """Shape and numerics of a Llama decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU).

    Attributes:
        vocab_size: number of token ids.
        hidden_size: width of the residual stream (``embed``).
        num_layers: decoder blocks.
        num_heads: query heads.
        num_kv_heads: key/value heads; ``num_heads`` must be a multiple (grouped-query attention).
        head_dim: width of one head; None means ``hidden_size // num_heads`` (filled in).
        intermediate_size: width of the SwiGLU MLP (``mlp``).
        rms_norm_eps: epsilon inside RMSNorm.
        rope_theta: RoPE base frequency.
        rope_scaling: optional :class:`RopeScaling` (``"llama3"``).
        tie_embeddings: use the token embedding as the output projection.
        max_positions: the longest sequence (positions ``0 .. max_positions - 1``).
        lora_rank: rank of LoRA adapters on the q, k, v, o projections; 0 means none.
        lora_alpha: LoRA scale numerator; the update is ``(alpha / rank) * x A B``.
        dtype: compute dtype of activations (parameters stay float32), e.g. ``"bfloat16"``.
    """

    vocab_size: int = 512
    hidden_size: int = 64
    num_layers: int = 2
    num_heads: int = 4
    num_kv_heads: int = 2
    head_dim: int | None = None
    intermediate_size: int = 128
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    rope_scaling: RopeScaling | None = None
    tie_embeddings: bool = True
    max_positions: int = 2048
    lora_rank: int = 0
    lora_alpha: float = 32.0
    dtype: str = "float32"

    def __post_init__(self):
        positive = (
            "vocab_size",
            "hidden_size",
            "num_layers",
            "num_heads",
            "num_kv_heads",
            "intermediate_size",
            "max_positions",
        )
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"LlamaConfig.{name} must be a positive int, got {value!r}")
        if self.num_heads % self.num_kv_heads:
            raise ValueError(
                f"num_heads ({self.num_heads}) must be a multiple of num_kv_heads "
                f"({self.num_kv_heads})"
            )
        if self.head_dim is None and self.hidden_size % self.num_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) is not divisible by num_heads "
                f"({self.num_heads}); give head_dim explicitly"
            )
        if self.head_dim is None:  # normalise, so that equal models have equal configs
            object.__setattr__(self, "head_dim", self.hidden_size // self.num_heads)
        if self.dims_per_head % 2:
            raise ValueError(f"head_dim must be even for RoPE, got {self.dims_per_head}")
        if self.lora_rank < 0:
            raise ValueError(f"lora_rank must be >= 0, got {self.lora_rank}")
        if self.dtype not in ("float32", "bfloat16", "float16"):
            raise ValueError(f"dtype must be float32, bfloat16 or float16, got {self.dtype!r}")

    @property
    def dims_per_head(self) -> int:
        """``head_dim``, or ``hidden_size // num_heads`` when it is not given."""
        return self.head_dim if self.head_dim is not None else self.hidden_size // self.num_heads

    def replace(self, **changes: Any) -> LlamaConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def tiny(cls, **changes: Any) -> LlamaConfig:
        """2 layers, hidden 64, 4 query / 2 KV heads, vocab 512: for tests and examples."""
        return cls(**changes)

    @classmethod
    def smollm2_135m(cls, **changes: Any) -> LlamaConfig:
        """SmolLM2-135M(-Instruct): 30 layers, hidden 576, 9 query / 3 KV heads, vocab 49152."""
        base = dict(
            vocab_size=49152,
            hidden_size=576,
            num_layers=30,
            num_heads=9,
            num_kv_heads=3,
            intermediate_size=1536,
            rms_norm_eps=1e-5,
            rope_theta=100000.0,
            tie_embeddings=True,
            max_positions=8192,
        )
        return cls(**{**base, **changes})

    @classmethod
    def llama_3_2_1b(cls, **changes: Any) -> LlamaConfig:
        """Llama-3.2-1B: 16 layers, hidden 2048, 32 query / 8 KV heads, llama3 RoPE scaling."""
        base = dict(
            vocab_size=128256,
            hidden_size=2048,
            num_layers=16,
            num_heads=32,
            num_kv_heads=8,
            head_dim=64,
            intermediate_size=8192,
            rms_norm_eps=1e-5,
            rope_theta=500000.0,
            rope_scaling=RopeScaling("llama3", 32.0, 1.0, 4.0, 8192),
            tie_embeddings=True,
            max_positions=131072,
        )
        return cls(**{**base, **changes})
