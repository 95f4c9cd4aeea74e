"""Training: loss identity, overfitting a 1 kB text, LoRA freezing, sharded == unsharded."""

import time

import numpy as np
import pytest

import jax
import jax.numpy as jnp
from flax import nnx

from jaxpapers import nn
from jaxpapers._mesh import FSDP_RULES, TENSOR_PARALLEL_RULES, make_mesh, shard_batch
from tests.conformance import count_compilations

TEXT = (
    "The quick brown fox jumps over the lazy dog. A journey of a thousand miles begins with a "
    "single step. All that glitters is not gold. Actions speak louder than words. Where there "
    "is a will, there is a way. Knowledge is power. Time and tide wait for no man. The early "
    "bird catches the worm. Practice makes perfect. When in Rome, do as the Romans do. "
) * 3


def test_next_token_loss_matches_a_direct_sum():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 5, 7)).astype(np.float32)
    tokens = rng.integers(0, 7, (2, 5))
    mask = np.array([[1, 1, 1, 1, 1], [0, 1, 1, 1, 0]], bool)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    pairs = [(b, t) for b in range(2) for t in range(4) if mask[b, t] and mask[b, t + 1]]
    expected = -np.mean([logp[b, t, tokens[b, t + 1]] for b, t in pairs])
    got = nn.next_token_loss(jnp.asarray(logits), jnp.asarray(tokens), jnp.asarray(mask))
    np.testing.assert_allclose(float(got), expected, rtol=1e-6)


def test_tiny_model_overfits_1kb_of_text_within_a_minute():
    tokenizer = nn.ByteTokenizer()
    ids = np.array(tokenizer.encode(TEXT[:1024]), np.int32)
    assert ids.size == 1024
    config = nn.LlamaConfig.tiny(vocab_size=tokenizer.vocab_size, max_positions=128)
    model = nn.Llama(config, rngs=nnx.Rngs(0))
    optimizer = nn.make_optimizer(model, 1e-2)
    batch = jnp.asarray(ids.reshape(8, 128))  # the whole text in every step
    start = time.perf_counter()
    losses = [float(nn.train_step(model, optimizer, batch)) for _ in range(150)]
    elapsed = time.perf_counter() - start
    assert losses[0] > 5.0  # ~log(259) = 5.56 at initialisation
    assert losses[-1] < 0.3, losses[-1]  # memorised (0.07 seen; a byte unigram model needs ~3)
    assert elapsed < 60.0, elapsed


def test_lora_trains_only_the_adapters():
    config = nn.LlamaConfig.tiny(lora_rank=4)
    model = nn.Llama(config, rngs=nnx.Rngs(0))
    optimizer = nn.make_optimizer(model, 1e-2)
    base = jax.tree.map(np.asarray, nnx.to_pure_dict(nnx.state(model, nnx.Not(nn.LoRAParam))))
    tokens = jnp.asarray(np.random.default_rng(1).integers(0, 512, (4, 16)), jnp.int32)
    losses = [float(nn.train_step(model, optimizer, tokens))]
    with count_compilations() as compiled:  # later steps reuse the compiled step
        losses += [float(nn.train_step(model, optimizer, tokens)) for _ in range(2)]
    assert compiled[0] == 0
    assert losses[-1] < losses[0]
    after = nnx.to_pure_dict(nnx.state(model, nnx.Not(nn.LoRAParam)))
    jax.tree.map(np.testing.assert_array_equal, base, jax.tree.map(np.asarray, after))
    opt_leaves = jax.tree.leaves(nnx.state(optimizer, nnx.OptState))
    lora_size = sum(x.size for x in jax.tree.leaves(nnx.state(model, nn.LoRAParam)))
    assert sum(x.size for x in opt_leaves if x.ndim) == 2 * lora_size  # Adam mu and nu only


@pytest.fixture(scope="module")
def unsharded_step():
    """One step on one device: the reference for both sharded layouts (compiled once)."""
    return _one_step(None, None)


def _one_step(mesh, rules):
    model = nn.Llama(nn.LlamaConfig.tiny(), rngs=nnx.Rngs(0))
    batch = jnp.asarray(np.random.default_rng(2).integers(0, 512, (8, 16)), jnp.int32)
    if mesh is not None:
        nn.shard_model(model, mesh, rules)
        batch = shard_batch(batch, mesh)
    # Adam's first update is lr * g / (|g| + eps): a reduction-order difference dg in a
    # gradient of size ~eps = 1e-8 moves that weight by ~lr * dg / eps. At lr = 1e-3 one of
    # 16384 weights differed by 1.1e-5; at lr = 1e-4 the same effect is 10x below 1e-5.
    optimizer = nn.make_optimizer(model, 1e-4)
    loss = nn.train_step(model, optimizer, batch)
    return model, loss


@pytest.mark.parametrize(
    "rules, shape",
    [(FSDP_RULES, (8, 1)), (TENSOR_PARALLEL_RULES, (4, 2))],
    ids=["fsdp", "tensor_parallel"],
)
def test_sharded_train_step_equals_unsharded(rules, shape, unsharded_step):
    mesh = make_mesh(shape)
    reference, ref_loss = unsharded_step
    sharded, loss = _one_step(mesh, rules)
    np.testing.assert_allclose(float(loss), float(ref_loss), atol=1e-5)
    for path, value in nnx.to_flat_state(nnx.state(sharded, nnx.Param)):
        expected = nnx.to_flat_state(nnx.state(reference, nnx.Param))
        ref_value = dict(expected)[path]
        np.testing.assert_allclose(np.asarray(value[...]), np.asarray(ref_value[...]), atol=1e-5)
        # layouts are stable across the step: what the rules say, not what XLA picked
        axes = value.get_metadata()["logical_axes"]
        assert value[...].sharding.is_equivalent_to(rules.sharding(mesh, axes), value.ndim), path
    assert len(sharded.blocks.wq[...].sharding.device_set) == 8
    fresh = nn.Llama(nn.LlamaConfig.tiny(), rngs=nnx.Rngs(0))
    moved = np.abs(np.asarray(reference.blocks.wq[...]) - np.asarray(fresh.blocks.wq[...]))
    assert moved.max() > 5e-5  # the step did something (Adam moves each weight by ~lr)


def test_init_sharded_places_every_parameter_by_the_rules():
    mesh = make_mesh((4, 2))
    model = nn.init_sharded(nn.LlamaConfig.tiny(), mesh, TENSOR_PARALLEL_RULES)
    assert model.blocks.wq[...].sharding.spec == jax.sharding.PartitionSpec(
        None, None, "model", None
    )
    assert model.blocks.w_down[...].sharding.spec[1] == "model"
    assert model.embed[...].sharding.spec[0] == "model"
    plain = nn.Llama(nn.LlamaConfig.tiny(), rngs=nnx.Rngs(0))
    tokens = jnp.zeros((4, 8), jnp.int32)
    np.testing.assert_allclose(np.asarray(model(tokens)), np.asarray(plain(tokens)), atol=1e-6)
