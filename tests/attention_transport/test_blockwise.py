"""Blockwise features from queries and keys: equal to the dense path, exact on uniform attention at
n = 16 384, bounded memory, and clear errors."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from jaxpapers.attention_transport import (
    closed_form_uniform,
    head_features,
    head_features_from_qk,
)
from jaxpapers.attention_transport._blockwise import _check_qk

FEATURES = ("phi_min", "t_star_frac", "asymmetry")


def _dense(q, k, scale):
    n = q.shape[-2]
    scores = scale * jnp.einsum("...id,...jd->...ij", q, k)
    causal = jnp.tril(jnp.ones((n, n), bool))
    return head_features(jax.nn.softmax(jnp.where(causal, scores, -jnp.inf), axis=-1))


@pytest.mark.parametrize(
    ("n", "block_size", "scale"),
    [(300, 64, None), (256, 64, 1.5), (97, 128, 0.05), (130, 1, None), (200, 200, 3.0)],
)
def test_blockwise_equals_the_dense_map(n, block_size, scale):
    # Tiles that do and do not divide n, one tile larger than n, 1 × 1 tiles; near-uniform
    # (τ = 0.05) to peaked (τ = 3) attention, so φ, t* and G all move across the cases.
    q, k = jax.random.normal(jax.random.key(n), (2, 2, 3, n, 16))
    k = k.at[..., 0, :].multiply(3.0)  # a sink-like first key
    tau = 0.25 if scale is None else scale
    found = head_features_from_qk(q, k, scale=scale, block_size=block_size)
    expected = _dense(q, k, tau)
    for name in FEATURES:
        np.testing.assert_allclose(getattr(found, name), getattr(expected, name), atol=1e-5)
    assert found.defined.all() and (found.below_floor == expected.below_floor).all()
    assert np.ptp(np.asarray(expected.asymmetry)) > 1e-3 or scale == 0.05


def test_blockwise_is_exact_in_float64():
    with jax.enable_x64(True):
        q, k = jax.random.normal(jax.random.key(3), (2, 4, 150, 8), jnp.float64)
        found = head_features_from_qk(q, k, scale=0.8, block_size=32)
        expected = _dense(q, k, 0.8)
        for name in FEATURES:
            np.testing.assert_allclose(getattr(found, name), getattr(expected, name), atol=1e-12)


def _uniform_asymmetry(n):
    """G of uniform causal attention (A_ij = 1/i, j ≤ i) in float64, O(n)."""
    i = np.arange(1, n + 1, dtype=np.float64)
    column = np.cumsum((1.0 / i)[::-1])[::-1]  # c_k = Σ_{i ≥ k} 1/i
    inv_degree = 2.0 / (1.0 + column)
    energy = np.sum(inv_degree / i**2 * np.cumsum(inv_degree))
    return np.sqrt(0.5 * (1.0 - np.sum((inv_degree / i) ** 2) / energy))


def test_long_context_is_exact_on_uniform_attention():
    # q = 0 makes every score equal: uniform causal attention, whose landscape is known in
    # closed form (T4). n = 16 384: the dense map of this one head alone would take 1 GiB.
    n = 16_384
    q = jnp.zeros((1, n, 8))
    k = jax.random.normal(jax.random.key(0), (1, n, 8))
    found = head_features_from_qk(q, k, block_size=1024)
    landscape = np.asarray(closed_form_uniform(n, jnp.float32), np.float64)
    assert found.phi_min[0] == pytest.approx(landscape.min(), abs=1e-4)
    assert found.t_star_frac[0] == pytest.approx((np.argmin(landscape) + 1) / n, abs=2e-3)
    assert found.asymmetry[0] == pytest.approx(_uniform_asymmetry(n), abs=1e-4)


def test_memory_is_linear_in_the_context_length():
    # Compiled, not run: temporaries of one SmolLM2-sized layer (9 heads, d = 64) at n = 16 384
    # stay below 64 MiB, where the dense maps of the layer take 9 GiB.
    spec = jax.ShapeDtypeStruct((9, 16_384, 64), jnp.float32)
    compiled = (
        jax.jit(lambda q, k: head_features_from_qk(q, k, block_size=512))
        .lower(spec, spec)
        .compile()
    )
    analysis = compiled.memory_analysis()
    if analysis is None:
        pytest.skip("this backend reports no memory analysis")
    assert analysis.temp_size_in_bytes < 64 * 2**20


def test_lambda2_is_not_computed_and_says_so():
    q, k = jax.random.normal(jax.random.key(1), (2, 3, 40, 4))
    found = head_features_from_qk(q, k)
    assert np.isnan(found.lambda2).all() and not found.lambda2_converged.any()


def test_jit_and_vmap_agree_with_the_eager_call():
    q, k = jax.random.normal(jax.random.key(2), (2, 4, 64, 8))
    eager = head_features_from_qk(q, k, block_size=16)
    mapped = jax.jit(jax.vmap(lambda a, b: head_features_from_qk(a, b, block_size=16)))(q, k)
    for name in FEATURES:
        np.testing.assert_allclose(getattr(mapped, name), getattr(eager, name), atol=1e-6)


def test_non_finite_input_is_flagged_under_jit():
    q, k = jax.random.normal(jax.random.key(4), (2, 2, 32, 4))
    q = q.at[1, 5, 0].set(jnp.nan)
    found = jax.jit(head_features_from_qk)(q, k)
    assert found.defined.tolist() == [True, False]
    assert np.isnan(found.phi_min[1]) and np.isnan(found.asymmetry[1])


@pytest.mark.parametrize(
    ("q", "k", "match"),
    [
        (np.ones((4, 8)), np.ones((5, 8)), "same shape"),
        (np.ones((1, 8)), np.ones((1, 8)), "n >= 2"),
        (np.ones(8), np.ones(8), "q must"),
        (np.ones((4, 8), int), np.ones((4, 8), int), "floating"),
        (np.full((4, 8), np.nan), np.ones((4, 8)), "q"),
        ([[1.0]], np.ones((4, 8)), "array"),
    ],
)
def test_bad_input_is_named(q, k, match):
    # The checks' own messages (what a user without a runtime type checker sees), then the
    # public call, which the suite's jaxtyping hook may stop first with its own TypeError.
    with pytest.raises((ValueError, TypeError), match=match):
        _check_qk(q, k)
    with pytest.raises((ValueError, TypeError)):
        head_features_from_qk(q, k)


def test_bad_block_size_is_named():
    with pytest.raises(ValueError, match="block_size"):
        head_features_from_qk(np.ones((4, 8)), np.ones((4, 8)), block_size=0)
