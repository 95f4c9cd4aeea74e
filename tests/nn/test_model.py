"""The model on its own: shapes, masks, attention probabilities, KV cache, parameter counts."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp
from flax import nnx

from jaxpapers import nn
from tests.conformance import check_conformance


@pytest.fixture(scope="module")
def model():
    return nn.Llama(nn.LlamaConfig.tiny(max_positions=64), rngs=nnx.Rngs(0), init_std=0.2)


def _tokens(seed, batch=2, length=12, vocab=512):
    return jnp.asarray(np.random.default_rng(seed).integers(0, vocab, (batch, length)), jnp.int32)


def test_shapes_and_attention_rows(model):
    tokens = _tokens(0)
    logits, attn = model(tokens, return_attention=True)
    assert logits.shape == (2, 12, 512) and logits.dtype == jnp.float32
    assert attn.shape == (2, 2, 4, 12, 12) and attn.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(attn).sum(-1), 1.0, atol=1e-6)
    upper = np.triu(np.ones((12, 12), bool), k=1)
    assert np.all(np.asarray(attn)[..., upper] == 0.0)  # causal: no future key, exactly


def test_padding_left_and_right_match_unpadded(model):
    tokens = _tokens(1, batch=1, length=9)
    plain = np.asarray(model(tokens))[0]
    pad = jnp.zeros((1, 3), jnp.int32)
    left = jnp.concatenate([pad, tokens], axis=1)
    left_mask = jnp.concatenate([jnp.zeros((1, 3), bool), jnp.ones((1, 9), bool)], axis=1)
    logits, attn = model(left, attention_mask=left_mask, return_attention=True)
    np.testing.assert_allclose(np.asarray(logits)[0, 3:], plain, atol=1e-5)
    a = np.asarray(attn)[0]
    assert np.all(a[..., :3] == 0.0)  # no real query reads a padding key
    assert np.all(a[:, :, :3, :] == 0.0)  # padding queries: all-zero rows
    np.testing.assert_allclose(a[:, :, 3:].sum(-1), 1.0, atol=1e-6)
    right = jnp.concatenate([tokens, pad], axis=1)
    right_mask = jnp.concatenate([jnp.ones((1, 9), bool), jnp.zeros((1, 3), bool)], axis=1)
    np.testing.assert_allclose(
        np.asarray(model(right, attention_mask=right_mask))[0, :9], plain, atol=1e-5
    )


def test_kv_cache_decoding_equals_full_forward(model):
    tokens = _tokens(2, length=10)
    full = np.asarray(model(tokens))
    cache = nn.init_cache(model.config, batch=2, slots=16)
    logits, cache = model.decode(tokens[:, :6], cache)
    pieces = [np.asarray(logits)]
    for t in range(6, 10):
        logits, cache = model.decode(tokens[:, t : t + 1], cache)
        pieces.append(np.asarray(logits))
    np.testing.assert_allclose(np.concatenate(pieces, axis=1), full, atol=1e-5)
    assert int(cache.index) == 10 and np.all(np.asarray(cache.length) == 10)


def test_forward_conformance(model):
    graphdef, state = nnx.split(model)

    def forward(tokens):
        return nnx.merge(graphdef, state)(tokens)

    check_conformance(forward, _tokens(3), keyed=False)


def test_parameter_count_llama_3_2_1b_abstract():
    def count(config):
        abstract = nnx.eval_shape(lambda: nn.Llama(config, rngs=nnx.Rngs(0)))
        leaves = jax.tree.leaves(nnx.state(abstract, nnx.Param))
        assert all(isinstance(leaf, jax.ShapeDtypeStruct) for leaf in leaves)  # nothing allocated
        return sum(int(np.prod(leaf.shape)) for leaf in leaves)

    config = nn.LlamaConfig.llama_3_2_1b()
    assert count(config) == 1_235_814_400
    assert count(config.replace(lora_rank=16)) == 1_239_222_272
    abstract = nnx.eval_shape(lambda: nn.Llama(config.replace(lora_rank=16), rngs=nnx.Rngs(0)))
    lora = jax.tree.leaves(nnx.state(abstract, nn.LoRAParam))
    assert sum(int(np.prod(leaf.shape)) for leaf in lora) == 3_407_872


def test_smollm2_preset_parameter_count():
    abstract = nnx.eval_shape(lambda: nn.Llama(nn.LlamaConfig.smollm2_135m(), rngs=nnx.Rngs(0)))
    leaves = jax.tree.leaves(nnx.state(abstract, nnx.Param))
    assert sum(int(np.prod(leaf.shape)) for leaf in leaves) == 134_515_008  # specs/smollm2.md


def test_lora_starts_as_the_base_model():
    base = nn.Llama(nn.LlamaConfig.tiny(), rngs=nnx.Rngs(0), init_std=0.2)
    adapted = nn.Llama(nn.LlamaConfig.tiny(lora_rank=4), rngs=nnx.Rngs(0), init_std=0.2)
    for name in ("wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down"):  # same base weights
        getattr(adapted.blocks, name)[...] = getattr(base.blocks, name)[...]
    adapted.embed[...] = base.embed[...]
    tokens = _tokens(4)
    np.testing.assert_array_equal(np.asarray(adapted(tokens)), np.asarray(base(tokens)))


def test_bfloat16_compute_close_to_float32(model):
    low = nn.Llama(model.config.replace(dtype="bfloat16"), rngs=nnx.Rngs(0), init_std=0.2)
    tokens = _tokens(5)
    logits = np.asarray(low(tokens))
    assert logits.dtype == np.float32
    reference = np.asarray(model(tokens))
    # bf16 has an 8-bit mantissa (relative 4e-3 per op); a 2-layer net stays within a few %
    assert np.max(np.abs(logits - reference)) < 0.05 * np.max(np.abs(reference))


@pytest.mark.parametrize(
    "tokens, mask, error, match",
    [
        (np.array([[0, 512]]), None, ValueError, r"\[0, 512\)"),
        (np.array([[-1, 3]]), None, ValueError, r"\[0, 512\)"),
        (np.zeros((1, 65), np.int32), None, ValueError, "max_positions=64"),
        (np.zeros((4,), np.int32), None, ValueError, r"\[batch, seq\]"),
        (np.zeros((1, 4), np.float32), None, TypeError, "integer"),
        (np.zeros((1, 4), np.int32), np.ones((1, 3), bool), ValueError, "attention_mask"),
        (np.zeros((1, 0), np.int32), None, ValueError, "at least one token"),
        (np.zeros((0, 4), np.int32), None, ValueError, "at least one sequence"),
    ],
)
def test_bad_inputs(model, tokens, mask, error, match):
    with pytest.raises(error, match=match):
        model(tokens, attention_mask=mask)


@pytest.mark.parametrize(
    "changes, match",
    [
        (dict(num_heads=6, num_kv_heads=4), "multiple of num_kv_heads"),
        (dict(hidden_size=0), "hidden_size"),
        (dict(dtype="int8"), "dtype"),
        (dict(head_dim=7), "even"),
    ],
)
def test_bad_config(changes, match):
    with pytest.raises(ValueError, match=match):
        nn.LlamaConfig.tiny(**changes)


def test_decoding_past_the_cache_end_is_an_error(model):
    cache = nn.init_cache(model.config, batch=1, slots=4)
    _, cache = model.decode(jnp.zeros((1, 3), jnp.int32), cache)
    with pytest.raises(ValueError, match="run past its end"):
        model.decode(jnp.zeros((1, 2), jnp.int32), cache)

    @nnx.jit
    def step(model, tokens, cache):
        return model.decode(tokens, cache)

    step(model, jnp.zeros((1, 1), jnp.int32), cache)  # the last free slot is fine under jit
    _, full = step(model, jnp.zeros((1, 1), jnp.int32), cache)
    with pytest.raises(Exception, match="past the end of the KV cache"):
        jax.block_until_ready(step(model, jnp.zeros((1, 1), jnp.int32), full))
