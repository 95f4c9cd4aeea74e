"""The conformance helper catches what it claims to catch."""

import pytest

import jax
import jax.numpy as jnp

from tests.conformance import ConformanceError, check_conformance, count_compilations


def _noisy(key, x):
    return x + jax.random.normal(key, x.shape, x.dtype)


def test_a_conformant_function_passes(key):
    check_conformance(_noisy, jnp.ones(5), key=key)


def test_a_deterministic_function_passes():
    check_conformance(lambda x: jnp.cumsum(x) ** 2, jnp.arange(6.0), keyed=False)


def test_rejitting_every_call_is_caught(key):
    def rejits(key, x):  # a fresh closure is jitted (and compiled) on every call
        return jax.jit(lambda y: y * 2.0)(x) + jax.random.normal(key, x.shape)

    with pytest.raises(ConformanceError, match="compiled"):
        check_conformance(rejits, jnp.ones(5), key=key)


def test_ignoring_the_key_is_caught(key):
    with pytest.raises(ConformanceError, match="different keys"):
        check_conformance(lambda key, x: 2.0 * x, jnp.ones(5), key=key)


def test_a_wrong_batching_rule_is_caught(key):
    @jax.custom_batching.custom_vmap
    def doubled(x):
        return 2.0 * x

    @doubled.def_vmap
    def _wrong_rule(axis_size, in_batched, x):  # triples instead of doubling under vmap
        return 3.0 * x, in_batched[0]

    with pytest.raises(ConformanceError, match="vmap"):
        check_conformance(lambda key, x: doubled(_noisy(key, x)), jnp.ones(3), key=key)


def test_nan_output_is_caught(key):
    with pytest.raises(ConformanceError, match="NaN"):
        check_conformance(lambda key, x: _noisy(key, x) / 0.0 * 0.0, jnp.ones(3), key=key)


def test_jit_eager_mismatch_is_caught(key):
    calls = []

    def impure(key, x):  # Python-side state: eager and traced calls see different counters
        calls.append(1)
        return _noisy(key, x) + len(calls)

    with pytest.raises(ConformanceError, match="jit and eager"):
        check_conformance(impure, jnp.ones(3), key=key)


def test_count_compilations_counts():
    fn = jax.jit(lambda x: x * 3.0 + 1.0)
    with count_compilations() as first:
        fn(jnp.ones(7)).block_until_ready()
    with count_compilations() as second:
        fn(jnp.zeros(7)).block_until_ready()
    assert first[0] >= 1
    assert second[0] == 0


def test_abstract_init_and_state_stability(key):
    from tests.conformance import check_abstract_init, check_state_stability

    def init(x):
        return {"mean": jnp.zeros_like(x), "count": jnp.int32(0)}

    def step(state, x):
        return {"mean": state["mean"] + x, "count": state["count"] + 1}, jnp.sum(x)

    abstract = check_abstract_init(init, jnp.ones(4))
    assert abstract["mean"].shape == (4,)
    check_state_stability(step, init(jnp.ones(4)), jnp.ones(4))

    def growing(state, x):  # changes the dtype of a leaf
        return {"mean": state["mean"] + x, "count": state["count"].astype(jnp.float32)}, x

    with pytest.raises(ConformanceError, match="state leaf"):
        check_state_stability(growing, init(jnp.ones(4)), jnp.ones(4))

    def concrete_only(x):  # converts to numpy: fails on abstract input
        import numpy as np

        return {"mean": jnp.asarray(np.asarray(x))}

    with pytest.raises(ConformanceError, match="ShapeDtypeStruct"):
        check_abstract_init(concrete_only, jnp.ones(4))
