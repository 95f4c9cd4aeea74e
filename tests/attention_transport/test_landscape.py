"""Spec §3 checks 1–6: closed forms, worst cut, floor, prefix optimality, window, Cheeger."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

import jax
import jax.numpy as jnp

import jaxpapers.attention_transport as at
from tests.attention_transport import reference

# Jitted once per shape and dtype: eager op-by-op dispatch would dominate these small checks.
landscape = jax.jit(at.prefix_landscape)


@pytest.mark.parametrize("n", [8, 32, 128, 512, 2048])
def test_1_closed_form_equals_matrix(n, enable_x64):
    land = landscape(at.uniform_causal_attention(n))
    np.testing.assert_allclose(land.phi, at.closed_form_uniform(n), rtol=0, atol=1e-10)
    assert bool(jnp.all(land.valid))


def test_1_landscape_equals_the_direct_definition(enable_x64):
    A = reference.random_causal_softmax(40, np.random.default_rng(4))
    ours = landscape(jnp.asarray(A)).phi
    np.testing.assert_allclose(ours, reference.landscape(A), rtol=1e-12)
    np.testing.assert_allclose(landscape(jnp.asarray(A.T)).phi, ours, rtol=1e-12)


def test_2_worst_cut(enable_x64):
    x_star = brentq(lambda x: x * (2 - math.log(x)) - 1, 0.05, 0.9)
    assert x_star == pytest.approx(0.31784, abs=1e-4)
    assert 1 - 2 * x_star == pytest.approx(0.36431, abs=1e-4)
    assert float(landscape(at.uniform_causal_attention(2048)).phi_min) == (
        pytest.approx(0.36419, abs=5e-4)
    )
    for n in (128, 512, 2048):
        assert 0.31 <= float(landscape(at.uniform_causal_attention(n)).t_star_frac) <= 0.33


def test_3_floor_for_every_n_up_to_512(enable_x64):
    # The top-left n×n block of uniform causal attention of size 512 is uniform causal of size
    # n, so a padding mask gives every n = 2..512 in one batched call.
    A = at.uniform_causal_attention(512)
    sizes = jnp.arange(2, 513)
    masks = jnp.arange(512)[None, :] < sizes[:, None]
    phi = jax.lax.map(lambda m: at.prefix_landscape(A, m).phi_min, masks, batch_size=32)
    assert float(jnp.min(phi)) >= 0.2
    assert float(jnp.min(phi)) == pytest.approx(0.29412, abs=1e-5)
    assert int(sizes[jnp.argmin(phi)]) == 3
    np.testing.assert_allclose(phi[254], landscape(at.uniform_causal_attention(256)).phi_min)


@pytest.mark.parametrize("n", [64, 1024])
def test_3_cuts_with_large_harmonic_tail_respect_the_floor(n, enable_x64):
    harmonic = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, n + 1))])
    delta = harmonic[n] - harmonic[1:n]
    phi = np.asarray(landscape(at.uniform_causal_attention(n)).phi)
    assert np.all(phi[delta >= 0.5] >= 0.2 - 1e-12)


@pytest.mark.parametrize("n", [4, 6, 8, 10, 12])
def test_4_prefix_cuts_are_optimal_for_small_n(n, enable_x64):
    exact = reference.exact_cheeger(np.asarray(at.uniform_causal_attention(n)))
    best_prefix = float(landscape(at.uniform_causal_attention(n)).phi_min)
    assert best_prefix == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize(("n", "w"), [(1024, 4), (1024, 16), (1024, 64), (256, 4), (256, 16)])
def test_5_window_pierces_the_floor_as_w_over_n(n, w, enable_x64):
    land = landscape(at.window_attention(n, w))
    assert 0.99 <= float(land.phi_min) / ((w - 1) / (2 * n)) <= 1.01
    assert abs(float(land.t_star_frac) - 0.5) < 0.1
    np.testing.assert_allclose(land.phi, at.closed_form_window(n, w), rtol=0, atol=1e-10)


@pytest.mark.parametrize(("s", "want"), [(0.1, 0.060), (0.3, 0.183), (0.5, 0.338)])
def test_5_a_sink_lifts_window_heads_to_order_one(s, want, enable_x64):
    A = at.with_sink(at.window_attention(1024, 16), s)
    assert float(at.prefix_landscape(A).phi_min) == pytest.approx(want, abs=1e-3)


@pytest.mark.parametrize(("n", "observed"), [(64, 0.5787), (256, 0.5715), (512, 0.5689)])
def test_6_cheeger_sandwich(n, observed, enable_x64):
    A = at.uniform_causal_attention(n)
    spectral = at.spectral_cheeger(A)
    phi = float(at.prefix_landscape(A).phi_min)
    lam = float(spectral.lambda2)
    assert lam == pytest.approx(observed, abs=1e-4)
    assert lam == pytest.approx(reference.lambda2(np.asarray(A)), abs=1e-12)
    assert lam / 2 <= phi <= math.sqrt(2 * lam)
    assert lam / 2 <= float(spectral.phi_sweep) <= math.sqrt(2 * lam)


def test_6_sweep_finds_a_planted_non_prefix_bottleneck(enable_x64):
    # Two dense blocks on interleaved tokens (even/odd) with weak coupling: the best cut is
    # {evens}, which no prefix can express; the Fiedler sweep finds it.
    n = 16
    parity = np.arange(n) % 2
    W = np.where(parity[:, None] == parity[None, :], 1.0, 0.01)
    A = W / W.sum(1, keepdims=True)
    inside = (parity == 0).astype(float)
    Wsym = 0.5 * (A + A.T)
    d = Wsym.sum(1)
    planted = (inside @ Wsym @ (1 - inside)) / min(d[parity == 0].sum(), d[parity == 1].sum())
    spectral = at.spectral_cheeger(jnp.asarray(A))
    assert float(spectral.phi_sweep) == pytest.approx(planted, rel=1e-10)
    assert float(landscape(jnp.asarray(A)).phi_min) > 10 * planted
