"""End to end: frames → (a, D) with bootstrap intervals and diagnostics (stages S1–S4, S7)."""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers import sparse, stats
from jaxpapers._typing import PRNGKey
from jaxpapers.video_pde._drift import centroid_track, drift_velocity
from jaxpapers.video_pde._prep import noise_level, normalise_frames, to_grayscale
from jaxpapers.video_pde._types import Config, Discovery, WeakSystem
from jaxpapers.video_pde._weak import STENCIL_RADIUS, assemble, sample_centres

__all__ = ["Identification", "discover", "identify", "random_centre_test"]

DEFAULT = Config()


class Identification(NamedTuple):
    """The weak-form system and its STLSQ fit."""

    system: WeakSystem
    fit: sparse.SparseResult


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


def _support_statistic(support):
    def statistic(data, weights):
        G, b, mask = data
        scales = sparse.column_scales(G, weights * mask)
        w = weights * mask
        return sparse.masked_lstsq(G / scales[None, :], b, support, row_weights=w) / scales

    return statistic


@functools.partial(jax.jit, static_argnames=("dx", "dt", "config"))
def _core(key, u, *, dx, dt, config):
    """Jitted S2 → S4 → S7 for :func:`discover`."""
    key_centres, key_draws, key_boot = jax.random.split(key, 3)
    threshold = jnp.maximum(config.mask_threshold, 3.0 * noise_level(u, config.background_patch))
    positions = centroid_track(u, dx, threshold=threshold)
    velocity = drift_velocity(positions, dt, window=config.drift_window, order=config.drift_order)
    found = identify(key_centres, u, velocity, dx=dx, dt=dt, config=config)
    system, fit = found
    weights = system.row_mask.astype(u.dtype)
    boot = stats.block_bootstrap(
        key_boot,
        _support_statistic(fit.support),
        (system.G, system.b, weights),
        block_length=config.block_length,
        num_replicates=config.bootstrap_replicates,
        time_index=system.time_index,
        num_times=u.shape[0],
        level=config.level,
    )
    lams = jnp.logspace(-3.0, 0.0, config.sweep_thresholds, dtype=u.dtype)
    sweep = sparse.threshold_sweep(system.G, system.b, lams, row_weights=weights)
    redraws = random_centre_test(
        key_draws, u, velocity, dx=dx, dt=dt, config=config, draws=config.random_centre_draws
    )
    conditioning = sparse.collinearity(system.G, weights)
    return positions, velocity, found, boot, sweep, redraws, conditioning


def _validate(frames, dx, dt, config) -> np.ndarray:
    array = np.asarray(frames)
    if (
        array.dtype == np.bool_
        or not np.issubdtype(array.dtype, np.number)
        or np.issubdtype(array.dtype, np.complexfloating)
    ):
        raise TypeError(f"frames must be a real numeric array (uint8 video), got {array.dtype}")
    if array.ndim == 4 and array.shape[-1] == 3:
        array = np.asarray(to_grayscale(jnp.asarray(array)))
    if array.ndim != 3:
        raise ValueError(
            f"frames must have shape [time, y, x] (or [time, y, x, 3]), got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("frames contain NaN or inf")
    if np.ptp(array) == 0:
        raise ValueError("frames are constant: there is no dye signal to identify")
    for name, value in (("dx", dx), ("dt", dt)):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    need_t = max(2 * config.half_width_t + 1, config.drift_window)
    need_x = 2 * (config.half_width_x + STENCIL_RADIUS) + 1
    if array.shape[0] < need_t:
        raise ValueError(
            f"frames has {array.shape[0]} frames; the test functions (half_width_t="
            f"{config.half_width_t}) and drift window need at least {need_t}"
        )
    if min(array.shape[1:]) < need_x:
        raise ValueError(
            f"frames are {array.shape[1]}×{array.shape[2]} pixels; the test functions "
            f"(half_width_x={config.half_width_x}) need at least {need_x}×{need_x}"
        )
    return array


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

    Pipeline (each stage a pure function of this package): S1 ``normalise_frames`` →
    S2 ``centroid_track`` + ``drift_velocity`` → S3 ``assemble`` + ``sparse.stlsq`` →
    S4 conditioning, threshold sweep and random-centre redraws → S7 chronological block
    bootstrap of the coefficients on the selected support. Runs in float64.

    Args:
        frames: video ``[time, y, x]`` (uint8 or float; ``[time, y, x, 3]`` colour is converted
            to luminance), dark dye on a light background.
        dx, dt: pixel size and frame interval (physical units, or 1.0 for pixel/frame units).
        key: typed PRNG key for the centres, redraws and bootstrap (default ``key(0)``).
        config: :class:`Config`.
        background: I_bg (scalar or image); default the median of a dye-free corner patch.

    Returns:
        :class:`Discovery`; ``coefficients["grad2"]`` and ``coefficients["lap"]`` are a and D
        of the paper's law.

    Raises:
        TypeError: frames of a non-numeric dtype.
        ValueError: wrong rank, non-finite or constant frames, too few frames or pixels for
            the test-function support, non-positive dx or dt.
    """
    array = _validate(frames, dx, dt, config)
    key = jax.random.key(0) if key is None else key
    with jax.enable_x64(True):
        bg = None if background is None else jnp.asarray(background, jnp.float64)
        u = normalise_frames(
            jnp.asarray(array, jnp.float64),
            background=bg,
            patch=config.background_patch,
            reference_percentile=config.reference_percentile,
            clip=config.clip,
        )
        out = _core(key, u, dx=float(dx), dt=float(dt), config=config)
        positions, velocity, (system, fit), boot, sweep, redraws, cond = jax.device_get(out)
    names = config.library
    coefficients = {n: float(c) for n, c in zip(names, fit.coefficients, strict=True)}
    support = tuple(n for n, kept in zip(names, fit.support, strict=True) if kept)
    intervals = {
        n: (float(lo), float(hi)) for n, lo, hi in zip(names, boot.low, boot.high, strict=True)
    }
    errors = {n: float(s) for n, s in zip(names, boot.standard_error, strict=True)}
    diagnostics = _diagnostics(names, fit, system, boot, sweep, redraws, cond)
    return Discovery(
        coefficients,
        intervals,
        errors,
        support,
        np.asarray(velocity),
        np.asarray(positions),
        np.asarray(u),
        diagnostics,
        system,
    )


def _diagnostics(names, fit, system, boot, sweep, redraws, cond) -> dict:
    supports = np.asarray(redraws.support)
    modal = max(
        {tuple(s) for s in supports.tolist()}, key=lambda s: supports.tolist().count(list(s))
    )
    coef = np.asarray(redraws.coefficients)
    mean = coef.mean(axis=0)
    reps = np.asarray(boot.replicates)
    weights = np.asarray(system.row_mask, float)
    residual = np.linalg.norm(np.sqrt(weights) * (system.b - system.G @ fit.coefficients))
    diagnostics = {
        "condition_number": float(cond.condition_number),
        "singular_values": np.asarray(cond.singular_values),
        "vif": dict(zip(names, np.asarray(cond.vif).tolist(), strict=True)),
        "weak_residual": float(residual / np.linalg.norm(np.sqrt(weights) * system.b)),
        "converged": bool(fit.converged),
        "sweep": sparse.distinct_supports(sweep, names),
        "sweep_result": sweep,
        "selection_frequency": dict(zip(names, supports.mean(axis=0).tolist(), strict=True)),
        "support_stability": float(np.mean([tuple(s) == modal for s in supports.tolist()])),
        "coefficient_cv": dict(
            zip(
                names,
                (coef.std(axis=0, ddof=1) / np.abs(np.where(mean == 0, 1, mean))).tolist(),
                strict=True,
            )
        ),
        "bootstrap_replicates": reps,
        "rows_used": int(weights.sum()),
    }
    if "lap" in names:
        diagnostics["prob_D_positive"] = float(np.mean(reps[:, names.index("lap")] > 0))
    return diagnostics
