"""Stages of the reproduction (``experiment.py``): PINN, bootstrap coverage, recovery grid."""

from __future__ import annotations

import functools

import numpy as np

import jax
import jax.numpy as jnp

from jaxpapers import sparse, stats
from jaxpapers._stages import StageResult
from jaxpapers.report import Claim
from jaxpapers.video_pde import _figures
from jaxpapers.video_pde._discover import estimate
from jaxpapers.video_pde._pinn import refine_pinn
from jaxpapers.video_pde._reproduce import A, D, discovery_config, x64
from jaxpapers.video_pde._synth import plume_field, render_frames

# planted (a, D) pairs no test uses elsewhere: κ = a/D from 6 to 14, all plumes stay in frame
GRID = ((3.0, 0.5), (6.5, 0.45), (7.5, 1.2), (11.0, 0.8))
GRID_TOL = (0.08, 0.10)  # issue 12: each within 8 % (a) and 10 % (D)


@functools.partial(jax.jit, static_argnames=("dx", "dt", "fit", "joint", "width", "depth", "batch"))
def _pinn(key, u, velocity, starts, *, dx, dt, fit, joint, width, depth, batch):
    """refine_pinn from each start; the data-only phase does not depend on the start, so vmap
    computes it once."""

    def one(start):
        return refine_pinn(
            key, u, velocity, dx=dx, dt=dt, a0=start[0], D0=start[1], fit_steps=fit,
            joint_steps=joint, width=width, depth=depth, batch=batch,
        )  # fmt: skip

    return jax.vmap(one)(starts)


@x64
def pinn_stage(key, scale, done) -> StageResult:
    """S5 from 0.7× and 1.3× the planted (a, D) (and from the S3 estimate) on the video."""
    s, n = scale.pinn_stride, scale.size
    crop = slice(n // 8, n - n // 8, s)  # the central 3/4 of the frame, every s-th pixel
    u = jnp.asarray(done["u"])[::2, crop, crop]
    truth = np.array([A, D])
    starts = np.stack([0.7 * truth, 1.3 * truth, done["coefficients"]])
    out = _pinn(
        key, u, jnp.asarray(done["drift"])[::2], jnp.asarray(starts), dx=s * scale.dx,
        dt=2 * scale.dt, fit=scale.pinn_fit_steps, joint=scale.pinn_joint_steps,
        width=scale.pinn_width, depth=scale.pinn_depth, batch=scale.pinn_batch,
    )  # fmt: skip
    end = np.stack([np.asarray(out.a), np.asarray(out.D)], axis=1)
    remaining = np.abs(end[:2] - truth) / np.abs(starts[:2] - truth)
    claim = Claim.at_most(
        "pinn",
        "PINN refinement from 0.7× and 1.3× the planted (a, D) = (9.005, 0.666): worst "
        "remaining share of the distance to the planted value",
        expected="refines the coefficients (paper); at least half-way (issue 12)",
        provenance="planted",
        measured=float(remaining.max()),
        bound=0.5,
        note=f"ends at ({end[0, 0]:.3f}, {end[0, 1]:.4f}) and ({end[1, 0]:.3f}, {end[1, 1]:.4f}); "
        f"from the S3 estimate ({starts[2, 0]:.3f}, {starts[2, 1]:.4f}) it goes to "
        f"({end[2, 0]:.3f}, {end[2, 1]:.4f}): the PINN's own fixed point is biased, the weak "
        f"form is closer. converged: {np.asarray(out.converged).tolist()}; "
        f"{int(out.num_steps[0])} Adam steps ({scale.pinn_fit_steps} data-only + "
        f"{scale.pinn_joint_steps} joint), {scale.pinn_width}×{scale.pinn_depth} MLP on "
        f"{u.shape[1]}² × {u.shape[0]} pixels",
    )
    arrays = {"pinn_path": np.asarray(out.path), "pinn_end": end}
    figures = {"pinn": _figures.pinn(np.asarray(out.path)[:2], truth)}
    meta = {"pinn_converged": np.asarray(out.converged).tolist()}
    return StageResult(claims=[claim], arrays=arrays, figures=figures, meta=meta)


def _block_vs_iid(key, done, scale) -> float:
    """Width ratio of block and i.i.d. bootstrap intervals for a on the identify stage's rows."""
    G, b = jnp.asarray(done["G"]), jnp.asarray(done["b"])
    mask = jnp.asarray(done["row_mask"], G.dtype)
    support = jnp.asarray(done["support"])

    def fit(data, weights):
        return sparse.refit(data[0], data[1], support, row_weights=weights * mask)

    @jax.jit
    def both(key):
        key_block, key_iid = jax.random.split(key)
        block = stats.block_bootstrap(
            key_block, fit, (G, b), block_length=scale.block_length,
            num_replicates=scale.bootstrap_replicates,
            time_index=jnp.asarray(done["time_index"]), num_times=scale.num_frames,
        )  # fmt: skip
        iid = stats.iid_bootstrap(key_iid, fit, (G, b), num_replicates=scale.bootstrap_replicates)
        return (block.high - block.low)[0] / (iid.high - iid.low)[0]

    return float(both(key))


@functools.partial(jax.jit, static_argnames=("scale",))
def replicate_estimates(keys, a, d, *, scale):
    """:func:`estimate` on independent videos planted with (a_i, D_i), one per key (lax.map)."""
    config = discovery_config(scale)
    x = jnp.linspace(-5.0, 5.0, scale.size, endpoint=False, dtype=jnp.float64)
    t = jnp.linspace(0.0, 0.3, scale.num_frames, dtype=jnp.float64)

    def one(args):
        key, a_i, d_i = args
        key_video, key_fit = jax.random.split(key)
        field = plume_field(x[None, None, :], x[None, :, None], t[:, None, None], a=a_i, D=d_i)
        frames = render_frames(key_video, field, noise_sigma=scale.noise_sigma)
        return estimate(key_fit, frames, dx=scale.dx, dt=scale.dt, config=config)

    return jax.lax.map(one, (keys, a, d))


@x64
def bootstrap_stage(key, scale, done) -> StageResult:
    """S7: block vs i.i.d. width (B14) and coverage of the planted values over many videos."""
    key_width, key_videos = jax.random.split(key)
    ratio = _block_vs_iid(key_width, done, scale)
    n = scale.coverage_videos
    ones = jnp.ones(n, jnp.float64)
    out = replicate_estimates(jax.random.split(key_videos, n), A * ones, D * ones, scale=scale)
    coef, low, high = (np.asarray(v) for v in (out.coefficients, out.low, out.high))
    truth = np.array([A, D])
    covered = ((low <= truth) & (truth <= high)).astype(np.float64)
    coverage, mean = stats.mean_se(covered), stats.mean_se(coef)
    claims = [
        Claim.at_least(
            "block_vs_iid",
            "block / i.i.d. bootstrap interval width for a (chronological blocks)",
            expected="≥ 1.3 (spec B14)",
            provenance="derived",
            measured=ratio,
            bound=1.3,
            note=f"ℓ = {scale.block_length} frames, B = {scale.bootstrap_replicates}",
        )
    ]
    for j, (name, value) in enumerate((("a", A), ("D", D))):
        claims.append(Claim.at_least(
            f"coverage_{name}",
            f"share of {n} independent videos whose 95% interval for {name} covers the planted "
            f"{name} = {value}",
            expected=0.95, provenance="planted", measured=float(coverage.mean[j]),
            uncertainty=float(coverage.se[j]), bound=0.8,
            note="rule ≥ 0.8 (derived: not overconfident; spec §6's intervals covered 0 %); "
            f"mean interval width {float(np.mean(high[:, j] - low[:, j])):.3g}",
        ))  # fmt: skip
        claims.append(Claim.within(
            f"{name}_mean",
            f"mean estimate of the planted {name} = {value} over {n} independent videos",
            expected=value, provenance="planted", measured=float(mean.mean[j]),
            uncertainty=float(mean.se[j]), tol=0.01 * value,
            note=f"±1 % (derived: bias after the Richardson stencil); sd over videos "
            f"{float(np.std(coef[:, j], ddof=1)) / value:.2%}",
        ))  # fmt: skip
    arrays = {"coverage_estimates": coef, "coverage_low": low, "coverage_high": high}
    figures = {"coverage": _figures.coverage(coef, low, high, truth)}
    meta = {"converged": int(np.sum(np.asarray(out.converged))), "videos": n}
    return StageResult(claims=claims, arrays=arrays, figures=figures, meta=meta)


@x64
def grid_stage(key, scale, done) -> StageResult:
    """(a, D) on four other planted pairs, one σ = 2 video each."""
    a, d = (jnp.asarray([p[i] for p in GRID], jnp.float64) for i in (0, 1))
    out = replicate_estimates(jax.random.split(key, len(GRID)), a, d, scale=scale)
    coef = np.asarray(out.coefficients)
    claims = []
    for i, (a_i, d_i) in enumerate(GRID):
        errors = np.abs(coef[i] / np.array([a_i, d_i]) - 1)
        claims.append(Claim.at_most(
            f"grid_{i}",
            f"recovers the planted (a, D) = ({a_i}, {d_i}) (κ = {a_i / d_i:.1f}): worst share "
            "of the band used",
            expected=f"({a_i}, {d_i})", provenance="planted",
            measured=float(np.max(errors / np.asarray(GRID_TOL))), bound=1.0,
            note=f"â = {coef[i, 0]:.4g} ({errors[0]:+.2%}), D̂ = {coef[i, 1]:.4g} "
            f"({errors[1]:.2%}); bands ±8 % / ±10 % (issue 12)",
        ))  # fmt: skip
    return StageResult(claims=claims, arrays={"grid_estimates": coef})
