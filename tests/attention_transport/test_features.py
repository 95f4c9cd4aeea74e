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
    A = _random_maps(key, (4, 2, 2), 64)
    batched = jax.jit(jax.vmap(at.head_features))(A)
    one_example = jax.jit(at.head_features)  # the loop reference, compiled once
    looped = [one_example(A[b]) for b in range(4)]
    for field in ("phi_min", "t_star_frac", "lambda2", "asymmetry"):
        want = np.stack([getattr(f, field) for f in looped])
        np.testing.assert_allclose(getattr(batched, field), want, rtol=0, atol=1e-6)
    padded = jnp.pad(A, ((0, 0), (0, 0), (0, 0), (0, 16), (0, 16)))
    mask = jnp.broadcast_to(jnp.arange(80) < 64, (4, 1, 1, 80))
    masked = jax.jit(jax.vmap(at.head_features))(padded, mask)
    for field in ("phi_min", "t_star_frac", "asymmetry"):
        np.testing.assert_allclose(getattr(masked, field), getattr(batched, field), atol=1e-6)
    # float32 eigensolver on an 80- instead of 64-matrix: agreement to rounding (~1e-6 · n)
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
    mask = jnp.broadcast_to(jnp.arange(32) < 28, (2, 3, 32))
    A = at.restrict_to_tokens(_random_maps(key, (2, 3), 32), mask)  # rows sum to one on mask
    check_conformance(at.head_features, A, mask, keyed=False)
    # φ(t) is NaN at the padded cut positions by design; check the per-head outputs
    check_conformance(lambda a, m: at.prefix_landscape(a, m)[5:8], A, mask, keyed=False)
    check_conformance(lambda a: at.spectral_cheeger(a).lambda2, A, keyed=False)
    check_conformance(lambda a: at.lapeigvals(a, 8), A, keyed=False)
    check_conformance(lambda a, m: at.lambda2_lanczos(a, m, steps=8), A, mask, keyed=False)


GOOD = at.uniform_causal_attention(8)
BAD_INPUTS = [
    (ValueError, "square", lambda: at.prefix_landscape(jnp.ones((4, 5)))),
    (ValueError, "rank >= 2", lambda: at.degree_normalize(jnp.ones(4))),
    (TypeError, "floating dtype", lambda: at.asymmetry_coeff(jnp.ones((4, 4), jnp.int32))),
    (ValueError, "A must be nonnegative", lambda: at.prefix_landscape(GOOD.at[3, 1].set(-0.1))),
    (ValueError, "A must be finite", lambda: at.spectral_cheeger(GOOD.at[3, 1].set(jnp.nan))),
    (ValueError, "rows of A must sum to one", lambda: at.head_features(2.0 * GOOD)),
    (ValueError, "A must be finite", lambda: at.head_features(GOOD.at[2, 0].set(jnp.nan))),
    (
        ValueError,
        r"mask must have shape \[..., 8\]",
        lambda: at.head_features(GOOD, jnp.ones(7, bool)),
    ),
    (
        ValueError,
        "mask must broadcast",
        lambda: at.prefix_landscape(jnp.stack([GOOD, GOOD]), jnp.ones((3, 8), bool)),
    ),
    (TypeError, "mask must be boolean", lambda: at.prefix_landscape(GOOD, jnp.ones(8))),
    (ValueError, "k must be an integer >= 1", lambda: at.lapeigvals(GOOD, 0)),
    (ValueError, "n must be an integer >= 2", lambda: at.uniform_causal_attention(1)),
    (TypeError, "w must be an integer", lambda: at.window_attention(8, 2.5)),
    (ValueError, "s must lie in", lambda: at.with_sink(GOOD, 1.5)),
    (ValueError, "n >= 2 tokens", lambda: at.prefix_landscape(jnp.ones((1, 1)))),
    (ValueError, "steps must be an integer >= 2", lambda: at.lambda2_lanczos(GOOD, steps=1)),
    (ValueError, "lanczos_steps must be", lambda: at.head_features(GOOD, lanczos_steps=0)),
]


@pytest.mark.parametrize(("error", "message", "call"), BAD_INPUTS)
def test_bad_inputs_are_clear_errors(error, message, call, own_validation):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(lambda A: A.at[..., 5, 2].set(jnp.nan), id="nan"),
        pytest.param(lambda A: A.at[..., 5, 2].add(0.3), id="not-row-stochastic"),
        pytest.param(lambda A: A.at[..., 5, 2].set(-0.05), id="negative"),
    ],
)
def test_head_features_under_jit_flag_a_bad_map_with_nan(corrupt, key):
    # issue 12: under jit a NaN or non-stochastic map gave φ = 1.0; now NaN and defined = False,
    # while the good heads of the same batch are untouched.
    A = _random_maps(key, (3,), 16)
    bad = A.at[1].set(corrupt(A[1]))
    features = jax.jit(at.head_features)(bad)
    assert features.defined.tolist() == [True, False, True]
    for field in ("phi_min", "t_star_frac", "lambda2", "asymmetry"):
        values = np.asarray(getattr(features, field))
        assert np.isnan(values[1]) and np.all(np.isfinite(values[[0, 2]])), field
    np.testing.assert_allclose(features.phi_min[0], at.head_features(A[0]).phi_min, atol=1e-6)


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("length", [0, 1])
def test_empty_and_one_token_spans_are_undefined_not_a_sentinel(length, jit, key):
    # issue 12: a span of < 2 tokens has no cut; it used to report the sentinel φ = 1
    A = _random_maps(key, (2,), 12)
    slice_fn = jax.jit(at.slice_span, static_argnums=3) if jit else at.slice_span
    span, valid = slice_fn(A, 4, length, 6)
    mask = jnp.broadcast_to(valid, span.shape[:-1])
    features = (jax.jit(at.head_features) if jit else at.head_features)(span, mask)
    assert not np.any(features.defined)
    assert np.all(np.isnan(features.phi_min)) and np.all(np.isnan(features.lambda2))
    land = at.prefix_landscape(span, mask)
    assert not np.any(land.defined) and np.all(np.isnan(land.phi_min))
    two, valid2 = at.slice_span(A, 4, 2, 6)  # two tokens do have a cut
    assert np.all(at.head_features(two, jnp.broadcast_to(valid2, two.shape[:-1])).defined)


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
    lanczos = at.lambda2_lanczos(A, steps=32)
    np.testing.assert_allclose(lanczos.lambda2, exact, atol=1e-10)
    assert bool(jnp.all(lanczos.converged)) and lanczos.num_steps.tolist() == [32] * 6
    # the residual bounds the eigenvalue error (Parlett §13.2)
    assert bool(jnp.all(jnp.abs(lanczos.lambda2 - exact) <= lanczos.residual + 1e-12))
    uniform = at.uniform_causal_attention(128)
    assert float(at.lambda2_lanczos(uniform).lambda2) == pytest.approx(
        float(at.spectral_cheeger(uniform).lambda2), abs=1e-10
    )
    # masks, including a Krylov space smaller than the number of steps (3 valid tokens)
    mask = jnp.arange(96)[None, :] < jnp.array([96, 40, 3, 2, 50, 96])[:, None]
    A = jnp.stack([at.restrict_to_tokens(a, m) for a, m in zip(A, mask, strict=True)])
    lanczos = at.lambda2_lanczos(A, mask)
    np.testing.assert_allclose(lanczos.lambda2, at.spectral_cheeger(A, mask).lambda2, atol=1e-10)
    # 3 valid tokens exhaust the Krylov space (top eigenvector removed) after 2 steps: exact
    assert int(lanczos.num_steps[2]) == 2 and float(lanczos.residual[2]) == 0.0
    assert bool(jnp.all(lanczos.converged[:3]))
    via_features = at.head_features(A, mask, lanczos_steps=32)
    defined = np.asarray(via_features.defined)
    np.testing.assert_allclose(
        via_features.lambda2[defined], at.head_features(A, mask).lambda2[defined], atol=1e-10
    )


def test_lanczos_overestimates_tiny_gaps_from_above_and_says_so(enable_x64):
    # Ritz values underestimate μ₂, so a truncated Lanczos λ₂ is an upper bound; on a narrow
    # window (λ₂ ≈ 1e-4) 16 steps are far from converged, and the result reports it
    A = at.window_attention(256, 4)
    exact = float(at.spectral_cheeger(A).lambda2)
    short = at.lambda2_lanczos(A, steps=16)
    longer = at.lambda2_lanczos(A, steps=64)
    assert exact <= float(longer.lambda2) <= float(short.lambda2)
    assert float(longer.lambda2) == pytest.approx(exact, rel=0.5)
    assert not bool(short.converged) and float(short.residual) > 1e-4
    assert not bool(at.head_features(A, lanczos_steps=16).lambda2_converged)
