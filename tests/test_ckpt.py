"""Checkpoints round-trip exactly, keep shardings, and restore typed keys."""

import pytest

import jax
import jax.numpy as jnp

from jaxpapers import _ckpt, _mesh
from tests.helpers import tree_equal


def _state(key):
    return {
        "w": jax.random.normal(key, (16, 4)),
        "step": jnp.int32(12),
        "keys": jax.random.split(key, 3),
        "nested": (jnp.arange(5, dtype=jnp.int8), jnp.float32(2.5)),
    }


def test_round_trip_is_bit_exact_with_meta(tmp_path, key):
    state = _state(key)
    mngr = _ckpt.manager(tmp_path)
    _ckpt.save(mngr, 3, state, {"config": {"lr": 0.1}, "note": "x"})
    restored, meta = _ckpt.restore(mngr, jax.eval_shape(lambda: state))
    mngr.close()
    assert tree_equal(state, restored)
    assert meta == {"config": {"lr": 0.1}, "note": "x"}
    assert jax.dtypes.issubdtype(restored["keys"].dtype, jax.dtypes.prng_key)


def test_restore_into_a_sharded_abstract_target(tmp_path, key):
    state = {"w": jax.random.normal(key, (16, 4)), "keys": jax.random.split(key, 8)}
    _ckpt.save(_ckpt.manager(tmp_path), 0, state)
    mesh = _mesh.make_mesh()
    sharding = _mesh.batch_sharding(mesh)
    target = jax.tree.map(
        lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sharding),
        jax.eval_shape(lambda: state),
    )
    restored, _ = _ckpt.load(tmp_path, target)
    assert tree_equal(state, restored)
    assert restored["w"].sharding.spec == sharding.spec
    assert len(restored["w"].sharding.device_set) == 8


def test_sharded_state_round_trips(tmp_path, key):
    mesh = _mesh.make_mesh((4, 2))
    w = jax.device_put(jax.random.normal(key, (8, 6)), _mesh.FSDP_RULES.sharding(mesh, ("embed",)))
    _ckpt.save(_ckpt.manager(tmp_path), 1, {"w": w})
    restored, _ = _ckpt.load(tmp_path, {"w": w})
    assert tree_equal({"w": w}, restored)
    assert restored["w"].sharding == w.sharding


def test_latest_step_and_missing_checkpoints(tmp_path, key):
    mngr = _ckpt.manager(tmp_path / "c", max_to_keep=2)
    assert _ckpt.latest_step(mngr) is None
    with pytest.raises(FileNotFoundError):
        _ckpt.restore(mngr, {"x": jnp.zeros(2)})
    for step in (1, 2, 5):
        _ckpt.save(mngr, step, {"x": jnp.full(2, step)})
    assert _ckpt.latest_step(mngr) == 5
    restored, _ = _ckpt.restore(mngr, {"x": jnp.zeros(2, jnp.int32)})
    assert restored["x"].tolist() == [5, 5]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _ckpt.load(tmp_path / "nowhere", {"x": jnp.zeros(2)})
