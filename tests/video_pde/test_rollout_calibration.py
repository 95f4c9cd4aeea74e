"""S6 solvers and calibration (B3, B4, B11, B12), κ-scan (B15), PINN (B13), bootstrap (B14)."""

import numpy as np
import pytest
import scipy.stats

import jax
import jax.numpy as jnp

import jaxpapers.video_pde as vp
from jaxpapers import sparse, stats

A, D = vp.PAPER_A, vp.PAPER_D


def test_b3_spectral_rollout_matches_the_analytic_field(clean):
    shifts = jnp.diff(clean.centre, axis=0)  # exact displacement per frame
    roll = jax.jit(lambda u0: vp.spectral_rollout(u0, shifts, a=A, D=D, dt=clean.dt, dx=clean.dx))
    error = jnp.abs(roll(clean.field[0]) - clean.field)[:, 8:-8, 8:-8]
    assert float(jnp.max(error)) <= 1e-8


def _fd_error(size):
    video = vp.synthetic_plume(
        jax.random.key(0), noise_sigma=0.0, size=size, num_frames=11, duration=0.3
    )
    frames = video.field[:11]
    # same piecewise-linear drift as the FD solver sees (its exact displacement is trapezoid)
    reference = vp.spectral_rollout(
        frames[0], vp.frame_displacements(video.drift, video.dt), a=A, D=D, dt=video.dt, dx=video.dx
    )
    substeps = 4 * (size // 64) ** 2  # fixed diffusive CFL number Δt_sim D/Δx²
    fd = jax.jit(
        lambda u0: vp.fd_rollout(
            u0, video.drift, a=A, D=D, dt=video.dt, dx=video.dx, substeps=substeps
        )
    )(frames[0])
    return float(jnp.max(jnp.abs(fd[-1] - reference[-1])))


@pytest.mark.slow
def test_b4_finite_differences_converge_at_second_order():
    sizes = np.array([64, 128, 256])
    errors = np.array([_fd_error(int(n)) for n in sizes])
    # observed order = slope of log(error) against log(N) over the three grids (R15d);
    # pairwise it is 1.78 (64→128, pre-asymptotic) and 2.00 (128→256)
    order = -scipy.stats.linregress(np.log(sizes), np.log(errors)).slope
    assert order >= 1.8, (errors, order)


def test_fd_and_spectral_rollouts_agree(clean):
    frames = clean.field[:6]
    spectral = vp.spectral_rollout(
        frames[0], jnp.diff(clean.centre[:6], axis=0), a=A, D=D, dt=clean.dt, dx=clean.dx
    )
    fd = jax.jit(
        lambda u0: vp.fd_rollout(
            u0, clean.drift[:6], a=A, D=D, dt=clean.dt, dx=clean.dx, substeps=8
        )
    )(frames[0])
    # second-order FD at Δx = 0.078: a few 1e-3 over 5 frames; the truth is 1e-9 from spectral
    assert float(jnp.max(jnp.abs(fd - spectral))) <= 0.02
    assert float(jnp.max(jnp.abs(spectral - frames))) <= 1e-6


def _calibrate(u, velocity, video, start, nonlinear=True, steps=10):
    fn = jax.jit(
        lambda o, v: vp.calibrate_rollout(
            o,
            v,
            dx=video.dx,
            dt=video.dt,
            a0=start[0],
            D0=start[1],
            nonlinear=nonlinear,
            steps=steps,
        )
    )
    return fn(u, velocity)


@pytest.mark.slow
def test_b11_rollout_calibration_on_clean_video(clean):
    # raw (unsmoothed) initial frames and the exact drift displacement: nothing but (a, D) differs
    cal = jax.jit(
        lambda o, s: vp.calibrate_rollout(
            o,
            clean.drift,
            dx=clean.dx,
            dt=clean.dt,
            a0=8.0,
            D0=0.6,
            smoothing=0.0,
            steps=20,
            displacements=s,
        )
    )(clean.field, jnp.diff(clean.centre, axis=0))
    assert abs(float(cal.a) / A - 1) <= 1e-3 and abs(float(cal.D) / D - 1) <= 1e-3


def test_b11_b12_calibration_and_held_out_skill_on_noisy_video(noisy):
    u = vp.normalise_frames(noisy.frames)
    velocity = vp.drift_velocity(vp.centroid_track(u, noisy.dx), noisy.dt)
    cal = _calibrate(u, velocity, noisy, (8.0, 0.6))
    assert abs(float(cal.a) / A - 1) <= 0.06 and abs(float(cal.D) / D - 1) <= 0.10
    ad = _calibrate(u, velocity, noisy, (0.0, 0.6), nonlinear=False)
    shifts = vp.frame_displacements(velocity, noisy.dt)
    start = vp.pad_frames(vp.gaussian_smooth(u[0], 1.0), 16)
    nonlinear = vp.spectral_rollout(start, shifts, a=cal.a, D=cal.D, dt=noisy.dt, dx=noisy.dx)
    baseline = vp.spectral_rollout(
        start, shifts, a=0.0, D=ad.D, dt=noisy.dt, dx=noisy.dx, nonlinear=False
    )
    held = slice(int(0.8 * 61), 61)
    truth = noisy.field[held]
    err_nl = vp.relative_error(nonlinear[held, 16:-16, 16:-16], truth)
    err_ad = vp.relative_error(baseline[held, 16:-16, 16:-16], truth)
    assert float(err_nl) <= 0.5 * float(err_ad)


@pytest.mark.slow  # ~10 s; also checked by the reproduction's a_kappa_scan claim
def test_b15_kappa_scan(noisy):
    video = vp.synthetic_plume(jax.random.key(0), noise_sigma=5.0)
    u = vp.normalise_frames(video.frames)
    velocity = vp.drift_velocity(vp.centroid_track(u, video.dx, threshold=0.1), video.dt)
    centres = vp.sample_centres(jax.random.key(1), u.shape, 600, 8, 14)
    scan = jax.jit(
        lambda uu: vp.kappa_scan(
            uu, velocity, centres, jnp.linspace(8.0, 20.0, 25), dx=video.dx, dt=video.dt
        )
    )(u)
    assert abs(float(scan.a) / A - 1) <= 0.03 and abs(float(scan.D) / D - 1) <= 0.07


def test_b14_plume_block_and_iid_bootstraps_resample_different_units(noisy):
    # Whether block intervals are wider than iid ones on the plume is NOT established: the
    # width ratio is 0.67 on this video (key 0) and spreads around 1 over the reproduction's
    # seeds (README, block_vs_iid). What holds on any video: both intervals cover the point
    # fit, and resampling whole time blocks is not resampling rows (a block bootstrap that
    # ignored `time_index` would draw the iid law and give a ratio near 1 for both columns).
    found = vp.discover(
        noisy.frames,
        dx=noisy.dx,
        dt=noisy.dt,
        config=vp.Config(random_centre_draws=4, bootstrap_replicates=200),  # = test_discover
    )
    system = found.system
    support = jnp.ones(2, bool)
    data = (jnp.asarray(system.G), jnp.asarray(system.b))

    def fit(data, weights):
        G, b = data
        scales = sparse.column_scales(G, weights)
        return sparse.masked_lstsq(G / scales[None, :], b, support, row_weights=weights) / scales

    @jax.jit
    def both(data, time_index):
        block = stats.block_bootstrap(
            jax.random.key(7),
            fit,
            data,
            block_length=10,
            num_replicates=500,
            time_index=time_index,
            num_times=61,
        )
        return block, stats.iid_bootstrap(jax.random.key(8), fit, data, num_replicates=500)

    block, iid = both(data, jnp.asarray(system.time_index))
    point = fit(data, jnp.ones(data[1].shape[0]))
    for interval in (block, iid):
        assert bool(jnp.all((interval.low <= point) & (point <= interval.high))), interval
    ratio = (block.high - block.low) / (iid.high - iid.low)
    assert bool(jnp.all(jnp.abs(ratio - 1.0) > 0.1)), ratio


@pytest.mark.slow  # ~1 min; the quick reproduction's `pinn` claim checks the same by default
def test_pinn_moves_at_least_half_way_to_the_planted_values(clean):
    """issue 12: from 0.7× and 1.3× the planted (a, D) the PINN must close half the gap (a
    no-op, which the old "does not worsen" test passed, closes none)."""
    small = clean.field[::2, 16:112:4, 16:112:4]  # 31 frames of the central 24² (stride 4)
    truth = jnp.array([A, D])
    starts = jnp.stack([0.7 * truth, 1.3 * truth])

    @jax.jit
    def refine(start):
        return jax.vmap(
            lambda s: vp.refine_pinn(
                jax.random.key(0), small, clean.drift[::2], dx=4 * clean.dx, dt=2 * clean.dt,
                a0=s[0], D0=s[1], fit_steps=2000, joint_steps=1000,
            )
        )(start)  # fmt: skip

    result = refine(starts)
    end = jnp.stack([result.a, result.D], axis=1)
    remaining = jnp.abs(end - truth[None, :]) / jnp.abs(starts - truth[None, :])
    assert float(jnp.max(remaining)) <= 0.5, end
    assert bool(jnp.all(result.data_loss_end <= 1.5 * result.data_loss_start))
    assert bool(jnp.all(jnp.isfinite(result.losses)))
    assert result.num_steps.tolist() == [3000, 3000]
