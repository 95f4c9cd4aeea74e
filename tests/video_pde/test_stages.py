"""Stages S1–S4: normalisation, drift (B5), weak form (B6, B7), conditioning (B8), sweep (B9),
random centres (B10), assembly transforms and speed (B16)."""

import functools

import numpy as np
import pytest
import scipy.signal

import jax
import jax.numpy as jnp

import jaxpapers.video_pde as vp
from jaxpapers import sparse

A, D = vp.PAPER_A, vp.PAPER_D


def _drift(u, dx, dt):
    return vp.drift_velocity(vp.centroid_track(u, dx), dt)


@functools.partial(jax.jit, static_argnames=("dx", "dt", "library", "grad", "u_lap", "q"))
def _assemble_fit(key, u, velocity, *, dx, dt, library, grad, u_lap, q):
    centres = vp.sample_centres(key, u.shape, q, 8, 14)
    system = vp.assemble(
        u, velocity, centres, dx=dx, dt=dt, library=library, grad_estimator=grad, u_lap=u_lap
    )
    weights = system.row_mask.astype(u.dtype)
    return system, sparse.stlsq(system.G, system.b, 0.0, row_weights=weights)


def _fit(u, velocity, video, *, library=vp.COMPACT, seed=1, grad="split", u_lap="fd", q=600):
    return _assemble_fit(
        jax.random.key(seed),
        u,
        velocity,
        dx=video.dx,
        dt=video.dt,
        library=library,
        grad=grad,
        u_lap=u_lap,
        q=q,
    )


def test_normalise_recovers_the_field_on_clean_frames(clean):
    u = vp.normalise_frames(clean.frames)
    # 8-bit quantisation of 180 grey levels: |error| ≤ 0.5/180 plus the d_ref percentile
    np.testing.assert_allclose(u, clean.field, atol=0.01)
    rgb = jnp.stack([clean.frames] * 3, axis=-1)
    np.testing.assert_allclose(vp.to_grayscale(rgb), clean.frames.astype(float), atol=1e-9)


def test_savgol_derivative_matches_scipy():
    x = np.random.default_rng(0).standard_normal(40)
    ours = np.asarray(vp.drift_velocity(jnp.asarray(np.stack([x, x], 1)), 0.5, window=9, order=3))
    ref = scipy.signal.savgol_filter(x, 9, 3, deriv=1, delta=0.5, mode="interp")
    np.testing.assert_allclose(ours[:, 0], ref, atol=1e-10)


def test_b5_centroid_drift_on_clean_video(clean):
    velocity = _drift(clean.field, clean.dx, clean.dt)
    error = jnp.abs(velocity - clean.drift)[5:-5]
    assert float(jnp.max(error)) <= 0.01 * float(jnp.max(jnp.linalg.norm(clean.drift, axis=1)))


def test_b5_three_lobes_follow_the_centroid_bias_formula():
    """dX_c/dt − v = (a/∫u) ∫ (x − X_c)|∇u|² for an asymmetric (three-lobe) plume."""
    lobes = ((0.0, 0.0, 1.0), (1.2, 0.3, 0.6), (-0.4, -1.0, 0.4))
    video = vp.synthetic_plume(jax.random.key(0), noise_sigma=0.0, lobes=lobes)
    u = video.field
    positions = vp.centroid_track(u, video.dx, threshold=0.0)
    measured = vp.drift_velocity(positions, video.dt) - video.drift
    g2 = vp.gradient_squared(u, video.dx, "central")
    grid = jnp.arange(128, dtype=jnp.float64) * video.dx
    xc, yc = positions[:, 0, None, None], positions[:, 1, None, None]
    mass = jnp.sum(u, axis=(1, 2))
    bias_x = A * jnp.sum((grid[None, None, :] - xc) * g2, axis=(1, 2)) / mass
    bias_y = A * jnp.sum((grid[None, :, None] - yc) * g2, axis=(1, 2)) / mass
    predicted = jnp.stack([bias_x, bias_y], axis=1)
    inner = slice(5, 45)  # before the lobes reach the image border
    size = jnp.linalg.norm(predicted[inner], axis=1)
    gap = jnp.linalg.norm(measured[inner] - predicted[inner], axis=1)
    assert float(jnp.min(size)) > 0.05  # the bias is real
    assert float(jnp.max(gap / size)) <= 0.10


def test_b6_weak_form_on_clean_float_field(clean):
    velocity = _drift(clean.field, clean.dx, clean.dt)
    _, fit = _fit(clean.field, velocity, clean, grad="central")
    a, d = np.asarray(fit.coefficients)
    assert abs(a / A - 1) <= 0.02 and abs(d / D - 1) <= 0.03


@pytest.mark.slow
def test_b6_weak_form_256_converges():
    video = vp.synthetic_plume(jax.random.key(0), noise_sigma=0.0, size=256, num_frames=121)
    velocity = _drift(video.field, video.dx, video.dt)
    centres = vp.sample_centres(jax.random.key(1), video.field.shape, 600, 16, 28)
    system = vp.assemble(
        video.field,
        velocity,
        centres,
        dx=video.dx,
        dt=video.dt,
        library=vp.COMPACT,
        half_width_x=28,
        half_width_t=16,
        grad_estimator="central",
    )
    a, d = np.asarray(sparse.stlsq(system.G, system.b, 0.0).coefficients)
    assert abs(a / A - 1) <= 0.01 and abs(d / D - 1) <= 0.01


def test_b7_weak_form_on_8bit_video_and_the_noise_pitfall():
    estimates = []
    for seed in range(5):
        video = vp.synthetic_plume(jax.random.key(seed), noise_sigma=2.0)
        u = vp.normalise_frames(video.frames)
        estimates.append(_fit(u, _drift(u, video.dx, video.dt), video, seed=seed + 10)[1])
    coef = np.mean([np.asarray(f.coefficients) for f in estimates], axis=0)
    assert abs(coef[0] / A - 1) <= 0.05 and abs(coef[1] / D - 1) <= 0.06
    # pitfall: naive central differences square the pixel noise; at σ = 5, â ≤ 0.85 a
    video = vp.synthetic_plume(jax.random.key(0), noise_sigma=5.0)
    u = vp.normalise_frames(video.frames)
    _, naive = _fit(u, _drift(u, video.dx, video.dt), video, grad="central")
    assert float(naive.coefficients[0]) <= 0.85 * A


@pytest.mark.parametrize("u_lap", ["fd", "identity"])
def test_b8_conditioning_compact_vs_overcomplete(clean, u_lap):
    velocity = _drift(clean.field, clean.dx, clean.dt)
    system, _ = _fit(
        clean.field, velocity, clean, library=vp.OVERCOMPLETE, u_lap=u_lap, grad="central"
    )
    weights = system.row_mask.astype(jnp.float64)
    compact = sparse.collinearity(system.G[:, :2], weights)
    over = sparse.collinearity(system.G, weights)
    assert float(compact.condition_number) < 10
    threshold = 300 if u_lap == "fd" else 1e6  # identity: exact dependency, round-off only
    assert float(over.condition_number) > threshold
    # Δ(u²) − 2uΔu − 2|∇u|² = 0, in normalised columns: order (grad2, lap, u, 1, u_lap, lap_u2, u2)
    scales = sparse.column_scales(system.G, weights)
    identity = jnp.array([-2.0, 0.0, 0.0, 0.0, -2.0, 1.0, 0.0]) * scales
    identity = identity / jnp.linalg.norm(identity)
    assert abs(float(jnp.dot(over.null_direction, identity))) >= 0.9


def test_b9_threshold_sweep(clean):
    velocity = _drift(clean.field, clean.dx, clean.dt)
    system, _ = _fit(clean.field, velocity, clean, library=vp.OVERCOMPLETE, grad="central")
    weights = system.row_mask.astype(jnp.float64)
    lams = jnp.logspace(-3, 0, 30)
    over = sparse.threshold_sweep(system.G, system.b, lams, row_weights=weights)
    # "≥ 2 distinct supports" (spec B9) is met by pure noise too: no evidence, informative only
    assert len(sparse.distinct_supports(over, vp.OVERCOMPLETE)) >= 2
    # without the identity's two terms, the law's support {|∇u|², Δu} is selected exactly over
    # a λ-range that a pure-noise field does not give (issue 12; the reproduction's
    # sweep_selects_law claim measures the range on the 8-bit video)
    law = _fit(clean.field, velocity, clean, library=vp.DISTRACTORS, grad="central")[0]
    distractors = sparse.threshold_sweep(law.G, law.b, lams, row_weights=weights)
    runs = sparse.distinct_supports(distractors, vp.DISTRACTORS)
    assert any(t == ("grad2", "lap") and hi / lo >= 10**0.5 for t, lo, hi in runs), runs
    noise = 0.02 * jax.random.normal(jax.random.key(2), clean.field.shape, jnp.float64)
    fake = _fit(noise, velocity, clean, library=vp.DISTRACTORS, grad="central")[0]
    fake_sweep = sparse.threshold_sweep(
        fake.G, fake.b, lams, row_weights=fake.row_mask.astype(jnp.float64)
    )
    fake_runs = sparse.distinct_supports(fake_sweep, vp.DISTRACTORS)
    assert not any(t == ("grad2", "lap") and hi / lo >= 10**0.5 for t, lo, hi in fake_runs)
    compact = sparse.threshold_sweep(system.G[:, :2], system.b, lams, row_weights=weights)
    # Deviation from the spec's proposed "for all λ ≤ 0.5": with our relative threshold
    # (|ξ̃_j| ≥ λ max|ξ̃|) the Laplacian term carries ~20% of the normalised signal, so the
    # compact support is kept up to λ ≈ 0.19 (README); we check λ ≤ 0.1, twice the default.
    kept = np.asarray(compact.support)[np.asarray(lams) <= 0.1]
    assert kept.all()


@pytest.mark.slow  # 20 redraws; discover's own redraw diagnostic runs in the fast tests
def test_b10_random_centres_are_stable_on_the_compact_library(clean):
    velocity = _drift(clean.field, clean.dx, clean.dt)
    draws = vp.random_centre_test(
        jax.random.key(3), clean.field, velocity, dx=clean.dx, dt=clean.dt, draws=20
    )
    assert bool(jnp.all(draws.support))
    cv = jnp.std(draws.coefficients, axis=0, ddof=1) / jnp.abs(jnp.mean(draws.coefficients, 0))
    assert float(jnp.max(cv)) <= 0.01


def test_b16_assembly_is_jitted_and_vmappable(noisy):
    u = vp.normalise_frames(noisy.frames)
    velocity = _drift(u, noisy.dx, noisy.dt)

    def one(key):
        centres = vp.sample_centres(key, u.shape, 600, 8, 14)
        return vp.assemble(
            u, velocity, centres, dx=noisy.dx, dt=noisy.dt, library=vp.COMPACT, batch_size=8
        )

    keys = jax.random.split(jax.random.key(5), 20)
    batched = jax.jit(jax.vmap(one))(keys)
    jitted = jax.jit(one)
    for i in (0, 7, 19):
        single = jitted(keys[i])
        np.testing.assert_allclose(batched.G[i], single.G, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(batched.b[i], single.b, rtol=1e-10, atol=1e-14)
    # speed (spec B16: ≤ 1 s per assembly, ≤ 5 ms per rollout step) is measured by
    # benchmarks/video_pde.py, not asserted here (no wall-time assertions in tests)
