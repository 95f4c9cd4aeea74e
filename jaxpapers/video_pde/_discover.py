"""End to end: frames → (a, D) with bootstrap intervals and diagnostics (stages S1–S4, S7)."""

from __future__ import annotations

import functools
import zlib

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Shaped

from jaxpapers import sparse, stats
from jaxpapers._typing import PRNGKey
from jaxpapers.video_pde._checks import check_background, check_frames, check_spacing
from jaxpapers.video_pde._drift import centroid_track, drift_velocity
from jaxpapers.video_pde._prep import _normalise, noise_level
from jaxpapers.video_pde._types import DEGREE, Config, Discovery, Estimate, Identification
from jaxpapers.video_pde._weak import assemble, sample_centres

__all__ = ["discover", "estimate", "identify", "random_centre_test"]

DEFAULT = Config()


def identify(
    key: PRNGKey,
    u: Float[Array, "T H W"],
    velocity: Float[Array, "T 2"],
    *,
    dx: float,
    dt: float,
    config: Config = DEFAULT,
    batch_size: int = 64,
) -> Identification:
    """S3: draw Q test-function centres, assemble the weak system, fit it by STLSQ."""
    centres = sample_centres(
        key, u.shape, config.num_test_functions, config.half_width_t, config.half_width_x
    )
    system = assemble(
        u,
        velocity,
        centres,
        dx=dx,
        dt=dt,
        library=config.library,
        half_width_x=config.half_width_x,
        half_width_t=config.half_width_t,
        degree=config.degree,
        grad_estimator=config.grad_estimator,
        smoothing=config.smoothing,
        u_lap=config.u_lap,
        batch_size=batch_size,
    )
    fit = sparse.stlsq(
        system.G, system.b, config.threshold, row_weights=system.row_mask.astype(u.dtype)
    )
    return Identification(system, fit)


def random_centre_test(
    key: PRNGKey,
    u: Float[Array, "T H W"],
    velocity: Float[Array, "T 2"],
    *,
    dx: float,
    dt: float,
    config: Config = DEFAULT,
    draws: int = 20,
) -> sparse.SparseResult:
    """S4.3: refit on ``draws`` independent redraws of the centres (one ``vmap`` over keys)."""
    keys = jax.random.split(key, draws)
    return jax.vmap(
        lambda k: identify(k, u, velocity, dx=dx, dt=dt, config=config, batch_size=8).fit
    )(keys)


def selected_coefficients(identification: Identification, weights=None):
    """The selected support refitted (:func:`jaxpapers.sparse.refit`) with row ``weights``."""
    system, fit = identification
    mask = system.row_mask.astype(system.b.dtype)
    weights = mask if weights is None else weights * mask
    return sparse.refit(system.G, system.b, fit.support, row_weights=weights)


def bootstrap_coefficients(
    key: PRNGKey,
    identification: Identification,
    num_times: int,
    reference_se: Float[Array, ""],
    config: Config,
) -> stats.BootstrapResult:
    """S7: chronological block bootstrap of the selected model's coefficients.

    Each replicate refits the selected support on the rows of ⌈T/ℓ⌉ resampled time blocks
    (:func:`selected_coefficients`), and redraws the normalisation: u = d/d_ref with d_ref
    known to a relative standard error s, so a replicate's coefficient of a term of degree k in
    u is multiplied by (1 + s ε)^(k − 1), ε ~ N(0, 1). Percentile intervals at ``config.level``.
    """
    key_blocks, key_scale = jax.random.split(key)
    system = identification.system
    boot = stats.block_bootstrap(
        key_blocks,
        lambda data, weights: selected_coefficients(data, weights),
        identification,
        block_length=config.block_length,
        num_replicates=config.bootstrap_replicates,
        time_index=system.time_index,
        num_times=num_times,
        level=config.level,
    )
    degree = jnp.asarray([DEGREE[t] - 1 for t in config.library], system.G.dtype)
    eps = jax.random.normal(key_scale, (config.bootstrap_replicates, 1), system.G.dtype)
    replicates = boot.replicates * (1.0 + reference_se * eps) ** degree[None, :]
    tail = (1.0 - config.level) / 2.0
    return stats.BootstrapResult(
        boot.estimate,
        replicates,
        jnp.std(replicates, axis=0, ddof=1),
        jnp.quantile(replicates, tail, axis=0),
        jnp.quantile(replicates, 1.0 - tail, axis=0),
    )


def estimate_drift(u, *, dx, dt, config: Config):
    """S2 with discover's settings: centroid over {u > max(τ, 3σ̂)}, Savitzky–Golay v(t)."""
    threshold = jnp.maximum(config.mask_threshold, 3.0 * noise_level(u, config.background_patch))
    positions = centroid_track(u, dx, threshold=threshold)
    velocity = drift_velocity(positions, dt, window=config.drift_window, order=config.drift_order)
    return positions, velocity


def estimate(
    key: PRNGKey,
    frames: Shaped[Array, "T H W"],
    *,
    dx: float,
    dt: float,
    config: Config = DEFAULT,
    background: float | Float[Array, "H W"] | None = None,
) -> Estimate:
    """The coefficients of :func:`discover` with their bootstrap intervals, as one pure function.

    S1 (``background`` or the corner patch; d_ref from the first frame) → S2 → S3 → S7, without
    the diagnostics: ``jit`` it, ``vmap`` it over keys or over videos of the same shape.
    :func:`discover` adds the host-side checks of the input and the S4 diagnostics.

    Examples:
        >>> from jaxpapers.video_pde import synthetic_plume
        >>> video = synthetic_plume(jax.random.key(0), noise_sigma=2.0, size=64, num_frames=31)
        >>> config = Config(half_width_x=7, half_width_t=4, bootstrap_replicates=20)
        >>> out = estimate(jax.random.key(1), video.frames, dx=video.dx, dt=video.dt,
        ...                config=config)
        >>> out.coefficients.shape, bool(out.converged)
        ((2,), True)
    """
    key_centres, key_boot = jax.random.split(key)
    u, reference = _normalise(
        frames,
        background=background,
        patch=config.background_patch,
        reference_percentile=config.reference_percentile,
        reference_frame=0,
        clip=config.clip,
        reference=config.reference,
        reference_radius=config.reference_radius,
    )
    _, velocity = estimate_drift(u, dx=dx, dt=dt, config=config)
    found = identify(key_centres, u, velocity, dx=dx, dt=dt, config=config)
    relative_se = reference.standard_error / reference.value
    boot = bootstrap_coefficients(key_boot, found, u.shape[0], relative_se, config)
    fit = found.fit
    return Estimate(
        boot.estimate,
        boot.standard_error,
        boot.low,
        boot.high,
        fit.support,
        fit.converged,
        fit.num_steps,
        reference.value,
        reference.standard_error,
    )


@functools.partial(jax.jit, static_argnames=("dx", "dt", "config"))
def _core(key, u, reference_se, *, dx, dt, config):
    """Jitted S2 → S4 → S7 for :func:`discover` (no LAPACK call: see tests)."""
    key_centres, key_draws, key_boot = jax.random.split(key, 3)
    positions, velocity = estimate_drift(u, dx=dx, dt=dt, config=config)
    found = identify(key_centres, u, velocity, dx=dx, dt=dt, config=config)
    boot = bootstrap_coefficients(key_boot, found, u.shape[0], reference_se, config)
    weights = found.system.row_mask.astype(u.dtype)
    lams = jnp.logspace(-3.0, 0.0, config.sweep_thresholds, dtype=u.dtype)
    sweep = sparse.threshold_sweep(found.system.G, found.system.b, lams, row_weights=weights)
    redraws = random_centre_test(
        key_draws, u, velocity, dx=dx, dt=dt, config=config, draws=config.random_centre_draws
    )
    return positions, velocity, found, boot, sweep, redraws


# its own program: the SVD is a LAPACK call, kept apart from the batched solves of _core
_collinearity = jax.jit(sparse.collinearity)


def discover(
    frames: Array | np.ndarray,
    *,
    dx: float,
    dt: float,
    key: PRNGKey | None = None,
    config: Config = DEFAULT,
    background: float | np.ndarray | None = None,
) -> Discovery:
    """Discover u_t + v(t)·∇u = Σ_j ξ_j Θ_j[u] from grayscale video of a dye plume.

    Pipeline (each stage a pure function of this package): S1 normalisation (background from
    a dye-free corner or pre-injection frames, d_ref from the peak of the first analysis frame)
    → S2 ``centroid_track`` + ``drift_velocity`` → S3 ``assemble`` + ``sparse.stlsq`` →
    S4 conditioning, threshold sweep and random-centre redraws → S7 chronological block
    bootstrap of the coefficients on the selected support (which also redraws d_ref from its
    sampling distribution). Runs in float64.

    Args:
        frames: video ``[time, y, x]`` (uint8 or float; ``[time, y, x, 3]`` colour is converted
            to luminance), dark dye on a light background. With
            ``config.background_frames = N`` the first N frames are dye-free pre-injection
            frames: their per-pixel median is the background and they are not analysed.
        dx: pixel size and frame interval (physical units, or 1.0 for pixel/frame units);
            Python, numpy or JAX scalars.
        dt: see ``dx``.
        key: typed PRNG key for the centres, redraws and bootstrap. Omitted: a key derived from
            the video's bytes (crc32), so the result is a deterministic function of the input;
            pass keys to study the randomness (different keys, independent draws).
        config: :class:`Config`.
        background: I_bg (scalar or image), skipping the background checks.

    Returns:
        :class:`Discovery`; ``coefficients["grad2"]`` and ``coefficients["lap"]`` are a and D
        of the paper's law.

    Raises:
        TypeError: frames of a non-numeric dtype; dx or dt not a scalar.
        ValueError: wrong rank, non-finite or constant frames, too few frames or pixels for
            the test-function support, non-positive dx or dt, a background corner that holds
            dye, pre-injection frames that hold dye, or a first analysis frame without dye
            (a video that starts with pre-injection frames: set ``background_frames``).

    Examples:
        >>> from jaxpapers.video_pde import synthetic_plume
        >>> video = synthetic_plume(jax.random.key(0), noise_sigma=2.0)
        >>> found = discover(video.frames, dx=video.dx, dt=video.dt, key=jax.random.key(1),
        ...                  config=Config(bootstrap_replicates=50, random_centre_draws=2))
        >>> round(found.coefficients["grad2"], 1), round(found.coefficients["lap"], 1)
        (9.0, 0.7)
    """
    array = check_frames(frames, config)
    dx, dt = check_spacing(dx, dt)
    if background is None:
        background = check_background(array, config)
    if key is None:
        key = jax.random.key(zlib.crc32(np.ascontiguousarray(array).tobytes()))
    with jax.enable_x64(True):
        bg = None if background is None else jnp.asarray(background, jnp.float64)
        u, reference = _normalise(
            jnp.asarray(array[config.background_frames :], jnp.float64),
            background=bg,
            patch=config.background_patch,
            reference_percentile=config.reference_percentile,
            reference_frame=0,
            clip=config.clip,
            reference=config.reference,
            reference_radius=config.reference_radius,
        )
        relative_se = reference.standard_error / reference.value
        out = _core(key, u, relative_se, dx=dx, dt=dt, config=config)
        positions, velocity, found, boot, sweep, redraws = jax.device_get(out)
        weights = jnp.asarray(found.system.row_mask, jnp.float64)
        cond = jax.device_get(_collinearity(jnp.asarray(found.system.G), weights))
    names = config.library
    fit = found.fit
    extra = {
        "reference": float(reference.value),
        "reference_relative_se": float(relative_se),
        "stlsq_coefficients": dict(zip(names, np.asarray(fit.coefficients).tolist(), strict=True)),
    }
    return Discovery(
        {n: float(c) for n, c in zip(names, boot.estimate, strict=True)},
        {n: (float(lo), float(hi)) for n, lo, hi in zip(names, boot.low, boot.high, strict=True)},
        {n: float(s) for n, s in zip(names, boot.standard_error, strict=True)},
        tuple(n for n, kept in zip(names, fit.support, strict=True) if kept),
        np.asarray(velocity),
        np.asarray(positions),
        np.asarray(u),
        {**_diagnostics(names, found, boot, sweep, redraws, cond), **extra},
        found.system,
    )


def _diagnostics(names, found, boot, sweep, redraws, cond) -> dict:
    system, fit = found
    supports = np.asarray(redraws.support)
    rows = [tuple(s) for s in supports.tolist()]
    modal = max(set(rows), key=rows.count)
    coef = np.asarray(redraws.coefficients)
    mean = coef.mean(axis=0)
    reps = np.asarray(boot.replicates)
    weights = np.asarray(system.row_mask, float)
    residual = np.linalg.norm(np.sqrt(weights) * (system.b - system.G @ boot.estimate))
    cv = coef.std(axis=0, ddof=1) / np.abs(np.where(mean == 0, 1, mean))
    diagnostics = {
        "condition_number": float(cond.condition_number),
        "singular_values": np.asarray(cond.singular_values),
        "null_direction": np.asarray(cond.null_direction),
        "vif": dict(zip(names, np.asarray(cond.vif).tolist(), strict=True)),
        "weak_residual": float(residual / np.linalg.norm(np.sqrt(weights) * system.b)),
        "converged": bool(fit.converged),
        "num_steps": int(fit.num_steps),
        "sweep": sparse.distinct_supports(sweep, names),
        "sweep_result": sweep,
        "selection_frequency": dict(zip(names, supports.mean(axis=0).tolist(), strict=True)),
        "support_stability": float(np.mean([row == modal for row in rows])),
        "coefficient_cv": dict(zip(names, cv.tolist(), strict=True)),
        "bootstrap_replicates": reps,
        "rows_used": int(weights.sum()),
    }
    if "lap" in names:
        diagnostics["prob_D_positive"] = float(np.mean(reps[:, names.index("lap")] > 0))
    return diagnostics
