"""Claims of the reproduction (``experiment.py``): each builder runs one stage, returns claims."""

from __future__ import annotations

import functools

import numpy as np

import jax
import jax.numpy as jnp

from jaxpapers import sparse, stats
from jaxpapers.report import Claim
from jaxpapers.video_pde._calibrate import calibrate_rollout, relative_error
from jaxpapers.video_pde._colehopf import kappa_scan
from jaxpapers.video_pde._discover import identify
from jaxpapers.video_pde._pinn import refine_pinn
from jaxpapers.video_pde._prep import gaussian_smooth
from jaxpapers.video_pde._rollout import frame_displacements, pad_frames, spectral_rollout
from jaxpapers.video_pde._synth import PAPER_A, PAPER_D
from jaxpapers.video_pde._types import OVERCOMPLETE, Config
from jaxpapers.video_pde._weak import sample_centres

A, D = PAPER_A, PAPER_D


def discovery_config(cfg, **changes) -> Config:
    return Config(
        half_width_x=cfg.half_width_x,
        half_width_t=cfg.half_width_t,
        bootstrap_replicates=cfg.bootstrap_replicates,
        random_centre_draws=cfg.random_centre_draws,
        **changes,
    )


def identification_claims(found, cfg):
    a, d = found.coefficients["grad2"], found.coefficients["lap"]
    (a_lo, a_hi), (d_lo, d_hi) = found.intervals["grad2"], found.intervals["lap"]
    note = "95% block-bootstrap CI [{:.3f}, {:.3f}]; the CI measures sampling variability only "
    note += "(discretisation and normalisation bias are not covered, spec §6)"
    return [
        Claim.within(
            "a",
            "coefficient of |∇u|² from 8-bit video (σ = 2)",
            paper=A,
            provenance="P",
            measured=a,
            tol=0.05 * A,
            uncertainty=found.standard_errors["grad2"],
            note=note.format(a_lo, a_hi) + "; band ±5% is spec B7",
        ),
        Claim.within(
            "D",
            "coefficient of Δu from 8-bit video (σ = 2)",
            paper=D,
            provenance="P",
            measured=d,
            tol=0.06 * D,
            uncertainty=found.standard_errors["lap"],
            note=note.format(d_lo, d_hi) + "; band ±6% is spec B7",
        ),
        Claim.at_least(
            "D_positive",
            "Laplacian coefficient stays positive: P(D > 0) over block-bootstrap replicates",
            paper="D > 0",
            provenance="P",
            measured=found.diagnostics["prob_D_positive"],
            bound=0.99,
        ),
    ]


def library_stage(key, u, clean, velocity, *, dx, dt, config):
    """Over-complete vs compact: conditioning (clean field, as spec B8) and sweeps (8-bit)."""
    lams = jnp.logspace(-3.0, 0.0, 30)

    def analyse(field):
        found = identify(key, field, velocity, dx=dx, dt=dt, config=config)
        weights = found.system.row_mask.astype(field.dtype)
        G, b = found.system.G, found.system.b
        over = sparse.collinearity(G, weights).condition_number
        compact = sparse.collinearity(G[:, :2], weights).condition_number
        sweep_over = sparse.threshold_sweep(G, b, lams, row_weights=weights)
        sweep_compact = sparse.threshold_sweep(G[:, :2], b, lams, row_weights=weights)
        return over, compact, sweep_over, sweep_compact

    return lams, analyse(u), analyse(clean)


def library_claims(u, velocity, video, cfg, key):
    over_cfg = discovery_config(cfg, library=OVERCOMPLETE)
    stage = jax.jit(functools.partial(library_stage, dx=video.dx, dt=video.dt, config=over_cfg))
    lams, noisy, clean = jax.device_get(stage(key, u, video.field, velocity))
    _, _, sweep_over, sweep_compact = noisy
    runs = sparse.distinct_supports(sweep_over, OVERCOMPLETE)
    both = np.asarray(sweep_compact.support).all(axis=1)
    kept_until = float(lams[np.argmin(both)] if not both.all() else 1.0)
    last_kept = float(lams[max(np.argmin(both) - 1, 0)])
    claims = [
        Claim.at_least(
            "kappa_over",
            "κ₂ of the 7-term over-complete library (collinear)",
            paper="strongly collinear",
            provenance="P",
            measured=float(clean[0]),
            bound=300.0,
            note="clean field as in spec B8 (bound from B8, measured-here 2.1e3); "
            f"on the σ = 2 video κ₂ = {float(noisy[0]):.3g} (noise decorrelates "
            "the columns)",
        ),
        Claim.at_most(
            "kappa_compact",
            "κ₂ of the compact library {|∇u|², Δu} (8-bit video)",
            paper="well conditioned",
            provenance="P",
            measured=float(noisy[1]),
            bound=10.0,
        ),
        Claim.at_least(
            "sweep_supports",
            "distinct supports of the over-complete library over "
            "λ ∈ logspace(−3, 0, 30) (8-bit video)",
            paper="support changes with λ",
            provenance="P",
            measured=len(runs),
            bound=2,
            note="; ".join(f"{'+'.join(t)} on λ∈[{lo:.3g},{hi:.3g}]" for t, lo, hi in runs),
        ),
        Claim.at_least(
            "sweep_compact",
            "largest λ keeping the compact support {|∇u|², Δu}",
            paper="λ ≤ 0.5",
            provenance="spec B9, proposed",
            measured=last_kept,
            bound=0.5,
            note="our STLSQ threshold is relative to the largest normalised "
            "coefficient; Δu carries ~20% of the normalised signal, so it is dropped "
            f"from λ ≈ {kept_until:.3g} (see README)",
        ),
    ]
    return claims, (lams, sweep_over, sweep_compact)


def rollout_claims(u, velocity, video, cfg):
    def calibrate(nonlinear, a0, d0):
        return jax.jit(
            lambda o, v: calibrate_rollout(
                o,
                v,
                dx=video.dx,
                dt=video.dt,
                a0=a0,
                D0=d0,
                nonlinear=nonlinear,
                steps=cfg.calibration_steps,
            )
        )(u, velocity)

    cal, base = calibrate(True, 8.0, 0.6), calibrate(False, 0.0, 0.6)
    shifts = frame_displacements(velocity, video.dt)
    start = pad_frames(gaussian_smooth(u[0], 1.0), 16)
    crop = (slice(None), slice(16, -16), slice(16, -16))
    roll = jax.jit(
        functools.partial(spectral_rollout, dt=video.dt, dx=video.dx), static_argnames="nonlinear"
    )
    pred = roll(start, shifts, a=cal.a, D=cal.D)[crop]
    pred_ad = roll(start, shifts, a=0.0, D=base.D, nonlinear=False)[crop]
    held = slice(int(0.8 * u.shape[0]), u.shape[0])
    err = float(relative_error(pred[held], video.field[held]))
    err_ad = float(relative_error(pred_ad[held], video.field[held]))
    claims = [
        Claim.within(
            "a_rollout",
            "a after forward-rollout recalibration (multiple shooting)",
            paper=A,
            provenance="P",
            measured=float(cal.a),
            tol=0.06 * A,
            note="start (8.0, 0.6); band ±6% from spec B11",
        ),
        Claim.within(
            "D_rollout",
            "D after forward-rollout recalibration",
            paper=D,
            provenance="P",
            measured=float(cal.D),
            tol=0.10 * D,
            note="band ±10% from spec B11",
        ),
        Claim.at_most(
            "heldout_ratio",
            "held-out rel. L2 error (last 20% of frames): "
            "nonlinear law / advection–diffusion baseline",
            paper="nonlinear better",
            provenance="P",
            measured=err / err_ad,
            bound=0.5,
            note=f"nonlinear {err:.3f} vs AD {err_ad:.3f} (AD best D = "
            f"{float(base.D):.3f}); rollout from frame 0, against the true field",
        ),
    ]
    curves = (
        jax.vmap(relative_error)(pred, video.field),
        jax.vmap(relative_error)(pred_ad, video.field),
    )
    return claims, curves


def colehopf_claims(u, velocity, video, cfg, key):
    exact = jax.jit(lambda u0, s: spectral_rollout(u0, s, a=A, D=D, dt=video.dt, dx=video.dx))(
        video.field[0], jnp.diff(video.centre, axis=0)
    )
    margin = 8 * video.field.shape[1] // 128
    gap = float(jnp.max(jnp.abs(exact - video.field)[:, margin:-margin, margin:-margin]))
    centres = sample_centres(key, u.shape, 600, cfg.half_width_t, cfg.half_width_x)
    kappas = jnp.linspace(8.0, 20.0, cfg.kappa_points)
    scan = jax.jit(
        lambda uu: kappa_scan(
            uu,
            velocity,
            centres,
            kappas,
            dx=video.dx,
            dt=video.dt,
            half_width_x=cfg.half_width_x,
            half_width_t=cfg.half_width_t,
        )
    )(u)
    return [
        Claim.at_most(
            "colehopf_rollout",
            "Cole–Hopf spectral rollout vs the analytic field (max abs error)",
            paper="Cole–Hopf reduction",
            provenance="P",
            measured=gap,
            bound=1e-8,
            note="spec B3; exact drift displacement",
        ),
        Claim.within(
            "a_kappa_scan",
            "a from the Cole–Hopf κ-scan (no data derivatives)",
            paper=A,
            provenance="P",
            measured=float(scan.a),
            tol=0.03 * A,
            note=f"κ̂ = {float(scan.kappa):.2f} (true {A / D:.2f}); band from B15",
        ),
    ]


def pinn_claim(found, video, cfg, key):
    s = cfg.pinn_stride
    half = video.field.shape[1] // (2 * s)
    quarter = half // 2
    crop = (slice(None, None, 2), slice(None, None, s), slice(None, None, s))
    u = jnp.asarray(found.field)[crop][:, quarter : quarter + half, quarter : quarter + half]
    a0, d0 = found.coefficients["grad2"], found.coefficients["lap"]
    result = jax.jit(
        lambda uu, vv: refine_pinn(
            key,
            uu,
            vv,
            dx=s * video.dx,
            dt=2 * video.dt,
            a0=a0,
            D0=d0,
            fit_steps=cfg.pinn_steps,
            joint_steps=cfg.pinn_steps,
            width=cfg.pinn_width,
            depth=cfg.pinn_depth,
            batch=cfg.pinn_batch,
        )
    )(u, jnp.asarray(found.drift)[::2])
    before = max(abs(a0 / A - 1), abs(d0 / D - 1))
    after = max(abs(float(result.a) / A - 1), abs(float(result.D) / D - 1))
    return Claim.at_most(
        "pinn",
        "PINN refinement: worst relative error of (a, D) after refinement",
        paper="refines the estimate",
        provenance="P",
        measured=after,
        bound=before + 0.01,
        note=f"from the S3 estimate (worst error {before:.3f}) to ({float(result.a):.3f}, "
        f"{float(result.D):.3f}); bound: not worse than S3 + 1%; quick: {cfg.pinn_steps} + "
        f"{cfg.pinn_steps} Adam steps, {cfg.pinn_width}×{cfg.pinn_depth} MLP",
    )


def bootstrap_claim(found, key):
    system = found.system
    support = jnp.ones(2, bool)
    data = (jnp.asarray(system.G), jnp.asarray(system.b))

    def fit(data, weights):
        G, b = data
        scales = sparse.column_scales(G, weights)
        return sparse.masked_lstsq(G / scales[None, :], b, support, row_weights=weights) / scales

    num_times = int(found.field.shape[0])

    @jax.jit
    def both(key, data, time_index):
        k1, k2 = jax.random.split(key)
        block = stats.block_bootstrap(
            k1,
            fit,
            data,
            block_length=10,
            num_replicates=500,
            time_index=time_index,
            num_times=num_times,
        )
        return block, stats.iid_bootstrap(k2, fit, data, num_replicates=500)

    block, iid = both(key, data, jnp.asarray(system.time_index))
    ratio = float((block.high[0] - block.low[0]) / (iid.high[0] - iid.low[0]))
    return Claim.at_least(
        "block_vs_iid",
        "block / i.i.d. bootstrap CI width for a",
        paper="chronological blocks",
        provenance="P",
        measured=ratio,
        bound=1.3,
        note="ℓ = 10 frames, B = 500; bound from spec B14",
    )
