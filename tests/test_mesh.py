"""Meshes, batch sharding and logical-axis rules on 8 fake CPU devices."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp
from jax.sharding import PartitionSpec as P

from conftest import NUM_DEVICES
from jaxpapers import _mesh


def _per_example(key, x):
    draws = jax.random.normal(key, (16,))
    return {"mean": jnp.mean(draws * x), "path": jnp.cumsum(draws)}


def test_eight_devices_are_there():
    assert jax.device_count() == NUM_DEVICES


def test_sharded_vmap_equals_single_device_and_is_sharded(key):
    keys = jax.random.split(key, 64)
    xs = jnp.linspace(0.5, 2.0, 64)
    mesh = _mesh.make_mesh()
    out = _mesh.sharded_vmap(_per_example, mesh)(keys, xs)
    with jax.default_device(jax.devices()[0]):
        reference = jax.jit(jax.vmap(_per_example))(keys, xs)
    for name in ("mean", "path"):
        np.testing.assert_allclose(out[name], reference[name], rtol=1e-6, atol=1e-6)
        assert len(out[name].sharding.device_set) == NUM_DEVICES
        assert out[name].sharding.spec[0] == _mesh.DATA
        assert not out[name].sharding.is_fully_replicated


def test_sharded_vmap_pads_a_batch_that_does_not_divide(key):
    keys = jax.random.split(key, 13)
    xs = jnp.ones(13)
    out = _mesh.sharded_vmap(_per_example, in_axes=(0, 0))(keys, xs)
    reference = jax.vmap(_per_example)(keys, xs)
    assert out["mean"].shape == (13,)
    np.testing.assert_allclose(out["mean"], reference["mean"], rtol=1e-6, atol=1e-6)


def test_sharded_vmap_broadcasts_unbatched_arguments(key):
    keys = jax.random.split(key, 16)
    out = _mesh.sharded_vmap(_per_example, in_axes=(0, None))(keys, jnp.float32(3.0))
    reference = jax.vmap(_per_example, in_axes=(0, None))(keys, jnp.float32(3.0))
    np.testing.assert_allclose(out["mean"], reference["mean"], rtol=1e-6, atol=1e-6)


def test_sharded_vmap_rejects_mismatched_batches(key):
    with pytest.raises(ValueError, match="batch size"):
        _mesh.sharded_vmap(_per_example)(jax.random.split(key, 8), jnp.ones(9))


def test_make_mesh_shapes_and_errors():
    mesh = _mesh.make_mesh((4, 2))
    assert dict(mesh.shape) == {"data": 4, "model": 2}
    assert all(t == jax.sharding.AxisType.Auto for t in mesh.axis_types)
    with pytest.raises(ValueError, match="needs 6 devices"):
        _mesh.make_mesh((3, 2))
    with pytest.raises(ValueError, match="same length"):
        _mesh.make_mesh((8,))


def test_shard_batch_refuses_an_indivisible_axis():
    with pytest.raises(ValueError, match="multiple of 8"):
        _mesh.shard_batch(jnp.ones(10), _mesh.make_mesh())


def test_axis_rules_map_logical_names():
    assert _mesh.FSDP_RULES.mesh_axes(("embed", "mlp")) == P("data", None)
    assert _mesh.TENSOR_PARALLEL_RULES.mesh_axes(("embed", "mlp")) == P(None, "model")
    assert _mesh.TENSOR_PARALLEL_RULES.mesh_axes(("batch", "seq", "heads")) == P(
        "data", None, "model"
    )
    # one mesh axis shards at most one dimension
    assert _mesh.FSDP_RULES.mesh_axes(("embed", "embed")) == P("data", None)
    assert _mesh.FSDP_RULES.mesh_axes(None) == P()
    hash(_mesh.FSDP_RULES)


def test_axis_rules_drop_axes_the_mesh_lacks():
    mesh = _mesh.make_mesh((8,), ("data",))
    sharding = _mesh.TENSOR_PARALLEL_RULES.sharding(mesh, ("embed", "mlp"))
    assert sharding.spec == P(None, None)


def test_tree_shardings_place_parameters():
    mesh = _mesh.make_mesh((4, 2))
    logical = {"w": ("embed", "mlp"), "b": ("mlp",), "scale": None}
    shardings = _mesh.TENSOR_PARALLEL_RULES.tree_shardings(mesh, logical)
    params = {"w": jnp.ones((8, 16)), "b": jnp.ones(16), "scale": jnp.ones(())}
    placed = jax.device_put(params, shardings)
    assert placed["w"].sharding.spec == P(None, "model")
    assert placed["scale"].sharding.is_fully_replicated
