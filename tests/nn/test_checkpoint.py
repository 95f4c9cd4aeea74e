"""Save/load round trips: orbax (sharded restore) and safetensors, bit for bit."""

import numpy as np
import pytest

import jax
from flax import nnx

from jaxpapers import nn
from jaxpapers._mesh import FSDP_RULES, make_mesh


def _assert_same_params(a, b):
    fa, fb = nnx.to_pure_dict(nnx.state(a)), nnx.to_pure_dict(nnx.state(b))
    jax.tree.map(lambda x, y: np.testing.assert_array_equal(np.asarray(x), np.asarray(y)), fa, fb)


def test_orbax_round_trip_restores_sharded_and_bit_exact(tmp_path):
    config = nn.LlamaConfig.tiny(lora_rank=2)
    model = nn.Llama(config, rngs=nnx.Rngs(3), init_std=0.3)
    nn.save_checkpoint(model, tmp_path / "ckpt", step=7, meta={"note": "hello"})
    mesh = make_mesh((8, 1))
    restored, meta = nn.load_checkpoint(tmp_path / "ckpt", config, mesh=mesh, rules=FSDP_RULES)
    assert meta == {"note": "hello"}
    _assert_same_params(model, restored)
    w_up = restored.blocks.w_up[...]  # [layers, embed, mlp]: embed over data
    assert w_up.sharding.is_equivalent_to(FSDP_RULES.sharding(mesh, (None, "embed")), 3)
    unsharded, _ = nn.load_checkpoint(tmp_path / "ckpt", config)
    _assert_same_params(model, unsharded)


def test_orbax_refuses_another_config(tmp_path):
    model = nn.Llama(nn.LlamaConfig.tiny(), rngs=nnx.Rngs(0))
    nn.save_checkpoint(model, tmp_path / "ckpt")
    with pytest.raises(ValueError, match="rope_theta"):
        nn.load_checkpoint(tmp_path / "ckpt", nn.LlamaConfig.tiny(rope_theta=1.0))
    with pytest.raises(FileNotFoundError):
        nn.load_checkpoint(tmp_path / "missing", nn.LlamaConfig.tiny())


def test_safetensors_round_trip_with_lora_is_bit_exact(tmp_path):
    model = nn.Llama(nn.LlamaConfig.tiny(lora_rank=3, tie_embeddings=False), rngs=nnx.Rngs(1))
    nn.save_safetensors(model, tmp_path)
    config, loaded = nn.load_safetensors(tmp_path / "model.safetensors")
    assert config == model.config
    _assert_same_params(model, loaded)
