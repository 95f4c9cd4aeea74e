"""Spec §3 checks 10 and 14: batched features under jit/vmap with padding, LapEigvals parity,
conformance, and bad inputs."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.attention_transport as at
from tests.attention_transport import reference
from tests.conformance import check_conformance


def _random_maps(key, shape, n, dtype=jnp.float32):
    logits = jax.random.normal(key, (*shape, n, n), dtype)
    causal = jnp.tril(jnp.ones((n, n), bool))
    return jax.nn.softmax(jnp.where(causal, logits, -jnp.inf), axis=-1)


def test_10_jit_vmap_matches_a_loop_and_padding_is_invisible(key):
    A = _random_maps(key, (8, 4, 4), 128)
    batched = jax.jit(jax.vmap(at.head_features))(A)
    one_example = jax.jit(at.head_features)  # the loop reference, compiled once
    looped = [one_example(A[b]) for b in range(8)]
    for field in ("phi_min", "t_star_frac", "lambda2", "asymmetry"):
        want = np.stack([getattr(f, field) for f in looped])
        np.testing.assert_allclose(getattr(batched, field), want, rtol=0, atol=1e-6)
    padded = jnp.pad(A, ((0, 0), (0, 0), (0, 0), (0, 32), (0, 32)))
    mask = jnp.broadcast_to(jnp.arange(160) < 128, (8, 1, 1, 160))
    masked = jax.jit(jax.vmap(at.head_features))(padded, mask)
    for field in ("phi_min", "t_star_frac", "asymmetry"):
        np.testing.assert_allclose(getattr(masked, field), getattr(batched, field), atol=1e-6)
    # float32 eigensolver on a 160- instead of 128-matrix: agreement to rounding (~1e-6 · n)
    np.testing.assert_allclose(masked.lambda2, batched.lambda2, atol=2e-5)
    np.testing.assert_array_equal(masked.below_floor, batched.below_floor)


def test_interior_padding_drops_the_token(key, enable_x64):
    A = _random_maps(key, (), 12, jnp.float64)
    keep = jnp.arange(12) != 5
    removed = jnp.delete(jnp.delete(at.restrict_to_tokens(A, keep), 5, 0), 5, 1)
    with_mask = at.head_features(at.restrict_to_tokens(A, keep), keep)
    without = at.head_features(removed)
    for got, want in zip(with_mask, without, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_slice_span_equals_restricting_to_the_span(key, enable_x64):
    A = _random_maps(key, (2, 3), 20, jnp.float64)
    span, valid = at.slice_span(A, 7, 5, 8)
    assert valid.tolist() == [True] * 5 + [False] * 3
    direct = at.restrict_to_tokens(A[..., 7:12, 7:12], jnp.ones((2, 3, 5), bool))
    np.testing.assert_allclose(span[..., :5, :5], direct, atol=1e-14)
    np.testing.assert_allclose(span[..., 5:, :], 0.0)
    f = at.head_features(span, jnp.broadcast_to(valid, (2, 3, 8)))
    np.testing.assert_allclose(f.phi_min, at.head_features(direct).phi_min, atol=1e-12)


def test_summaries_and_feature_vector(key):
    features = at.head_features(_random_maps(key, (5, 3, 4), 32))
    summary = at.summarize_heads(features)
    assert summary.phi_min.shape == (5, 4)
    np.testing.assert_allclose(summary.phi_min[:, 0], features.phi_min.mean(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_allclose(
        summary.lambda2[:, 2],
        np.quantile(np.asarray(features.lambda2).reshape(5, -1), 0.1, axis=1),
        rtol=1e-6,
    )
    want = np.asarray(features.below_floor).reshape(5, -1).mean(1)
    np.testing.assert_allclose(summary.fraction_below_floor, want)
    assert at.feature_vector(features).shape == (5, 4 * 12 + 16 + 1)


def test_14_lapeigvals_parity_with_the_reference_formula(key):
    A = _random_maps(key, (4, 3), 48)
    ours = at.lapeigvals(A, 10)
    want = reference.lapeigvals(np.asarray(A, np.float64), 10)
    np.testing.assert_allclose(ours, want, rtol=0, atol=1e-6)
    # concatenated over (layer, head) in row-major order, sorted descending per head
    flat = ours.reshape(-1)
    np.testing.assert_allclose(flat[:10], want[0, 0], atol=1e-6)
    np.testing.assert_allclose(flat[10:20], want[0, 1], atol=1e-6)
    assert bool(jnp.all(jnp.diff(ours, axis=-1) <= 0))


def test_14_attention_baselines(key):
    A = _random_maps(key, (3,), 24)
    diagonal = np.diagonal(np.asarray(A), axis1=-2, axis2=-1)
    np.testing.assert_allclose(at.attn_eigvals(A, 5), -np.sort(-diagonal, -1)[:, :5], atol=1e-7)
    np.testing.assert_allclose(at.attn_logdet(A), np.log(diagonal).mean(-1), rtol=1e-5)
    dense = np.asarray(A, np.float64)
    want = [np.sort(np.linalg.eigvalsh(_sym(a)))[::-1][:5] for a in dense]
    np.testing.assert_allclose(at.top_k_sym_eigvals(A, 5), want, atol=2e-6)
    # k larger than n pads with zeros
    assert at.lapeigvals(A[:, :4, :4] / A[:, :4, :4].sum(-1, keepdims=True), 6).shape == (3, 6)


def _sym(A):
    N = reference.degree_normalized(A)
    return 0.5 * (N + N.T)


def test_conformance_of_the_main_entry_points(key):
    A = _random_maps(key, (2, 3), 32)
    mask = jnp.broadcast_to(jnp.arange(32) < 28, (2, 3, 32))
    check_conformance(at.head_features, A, mask, keyed=False)
    check_conformance(lambda a, m: at.prefix_landscape(a, m).phi, A, mask, keyed=False)
    check_conformance(lambda a: at.spectral_cheeger(a).lambda2, A, keyed=False)
    check_conformance(lambda a: at.lapeigvals(a, 8), A, keyed=False)


def test_bad_inputs_are_clear_errors(own_validation):
    good = at.uniform_causal_attention(8)
    with pytest.raises(ValueError, match="square"):
        at.prefix_landscape(jnp.ones((4, 5)))
    with pytest.raises(ValueError, match="rank >= 2"):
        at.degree_normalize(jnp.ones(4))
    with pytest.raises(TypeError, match="floating dtype"):
        at.asymmetry_coeff(jnp.ones((4, 4), jnp.int32))
    with pytest.raises(ValueError, match="nonnegative"):
        at.prefix_landscape(good.at[3, 1].set(-0.1))
    with pytest.raises(ValueError, match="finite"):
        at.spectral_cheeger(good.at[3, 1].set(jnp.nan))
    with pytest.raises(ValueError, match="rows of A must sum to one"):
        at.head_features(2.0 * good)
    with pytest.raises(ValueError, match=r"mask must have shape \[..., 8\]"):
        at.head_features(good, jnp.ones(7, bool))
    with pytest.raises(ValueError, match="does not broadcast"):
        at.prefix_landscape(jnp.stack([good, good]), jnp.ones((3, 8), bool))
    with pytest.raises(TypeError, match="boolean"):
        at.prefix_landscape(good, jnp.ones(8))
    with pytest.raises(ValueError, match="k must be a positive int"):
        at.lapeigvals(good, 0)
    with pytest.raises(ValueError, match="n must be an int >= 2"):
        at.uniform_causal_attention(1)
    with pytest.raises(ValueError, match="needs at least 2 tokens"):
        at.prefix_landscape(jnp.ones((1, 1)))


def test_rows_that_do_not_sum_to_one_are_accepted_by_graph_level_functions(enable_x64):
    # The documented choice: attention-level entry points (head_features) demand row-stochastic
    # maps; graph-level ones take any nonnegative weights, since Aᵀ must be a legal argument.
    A = at.uniform_causal_attention(16)
    assert float(at.prefix_landscape(3.0 * A).phi_min) == pytest.approx(
        float(at.prefix_landscape(A).phi_min), rel=1e-12
    )
    keep = jnp.arange(16) >= 1  # drop the first token (an attention sink) and renormalise
    masked_rows = at.head_features(at.restrict_to_tokens(A, keep), keep)
    assert bool(jnp.isfinite(masked_rows.phi_min))


def test_lanczos_lambda2_matches_the_dense_eigensolver(key, enable_x64):
    A = _random_maps(key, (6,), 96, jnp.float64)
    exact = at.spectral_cheeger(A).lambda2
    np.testing.assert_allclose(at.lambda2_lanczos(A, steps=32), exact, atol=1e-10)
    uniform = at.uniform_causal_attention(128)
    assert float(at.lambda2_lanczos(uniform)) == pytest.approx(
        float(at.spectral_cheeger(uniform).lambda2), abs=1e-10
    )
    # masks, including a Krylov space smaller than the number of steps (3 valid tokens)
    mask = jnp.arange(96)[None, :] < jnp.array([96, 40, 3, 2, 50, 96])[:, None]
    A = jnp.stack([at.restrict_to_tokens(a, m) for a, m in zip(A, mask, strict=True)])
    np.testing.assert_allclose(
        at.lambda2_lanczos(A, mask), at.spectral_cheeger(A, mask).lambda2, atol=1e-10
    )
    via_features = at.head_features(A, mask, lanczos_steps=32).lambda2
    np.testing.assert_allclose(via_features, at.head_features(A, mask).lambda2, atol=1e-10)


def test_lanczos_overestimates_tiny_gaps_from_above(enable_x64):
    # Ritz values underestimate μ₂, so a truncated Lanczos λ₂ is an upper bound
    A = at.window_attention(256, 4)
    exact = float(at.spectral_cheeger(A).lambda2)
    short = float(at.lambda2_lanczos(A, steps=16))
    longer = float(at.lambda2_lanczos(A, steps=64))
    assert exact <= longer <= short
    assert longer == pytest.approx(exact, rel=0.5)
