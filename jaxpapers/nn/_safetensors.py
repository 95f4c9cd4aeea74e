"""Save and load models as Hugging Face Llama checkpoints (``config.json`` + safetensors)."""

from __future__ import annotations

import json
from pathlib import Path

from jaxpapers.nn._config import LlamaConfig
from jaxpapers.nn._convert import (
    config_from_hf,
    config_to_hf,
    from_hf_tensors,
    model_from_arrays,
    to_hf_tensors,
)
from jaxpapers.nn._model import Llama

__all__ = ["load_safetensors", "save_safetensors"]


def save_safetensors(model: Llama, path: str | Path) -> Path:
    """Write ``path/config.json`` and ``path/model.safetensors`` (Hugging Face names, float32).

    ``transformers.LlamaForCausalLM.from_pretrained(path)`` reads the result. LoRA adapters, if
    the model has them, are stored as ``...q_proj.lora_A.weight`` / ``lora_B.weight``.
    """
    from safetensors.numpy import save_file

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(json.dumps(config_to_hf(model.config), indent=2))
    save_file(to_hf_tensors(model), str(path / "model.safetensors"), metadata={"format": "pt"})
    return path


def load_safetensors(path: str | Path) -> tuple[LlamaConfig, Llama]:
    """Read a Hugging Face Llama checkpoint directory (``config.json`` + ``*.safetensors``).

    Args:
        path: the directory, or one of its ``.safetensors`` files.

    Returns:
        ``(config, model)``; the weights are converted to float32.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = Path(path)
    folder = path if path.is_dir() else path.parent
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"no config.json in {str(folder)!r}: not a Llama checkpoint")
    try:
        config = config_from_hf(json.loads(config_file.read_text()))
    except (json.JSONDecodeError, KeyError) as error:
        raise ValueError(f"{str(config_file)!r} is not a Llama config.json: {error}") from error
    files = [path] if path.is_file() else sorted(folder.glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"no .safetensors file in {str(folder)!r}")
    tensors = {}
    for file in files:
        try:
            tensors.update(load_file(str(file)))
        except SafetensorError as error:
            raise ValueError(f"{str(file)!r} is not a safetensors file: {error}") from error
    return config, model_from_arrays(config, from_hf_tensors(config, tensors))
