"""Eager checks of :func:`discover`'s input: a real video with a real, dye-free background."""

from __future__ import annotations

import numpy as np

from jaxpapers import _validate
from jaxpapers.video_pde._prep import NO_DYE
from jaxpapers.video_pde._types import Config
from jaxpapers.video_pde._weak import STENCIL_RADIUS

__all__ = ["check_background", "check_frames", "check_spacing"]

CORNER_TOLERANCE = 0.05  # a corner may differ from the brightest by ≤ 5 % of the dye contrast


def check_frames(frames, config: Config) -> np.ndarray:
    """Frames as a ``[time, y, x]`` float array (colour → luminance), or a clear error."""
    array = np.asarray(frames)
    if (
        array.dtype == np.bool_
        or not np.issubdtype(array.dtype, np.number)
        or np.issubdtype(array.dtype, np.complexfloating)
    ):
        raise TypeError(f"frames must be a real numeric array (uint8 video), got {array.dtype}")
    if array.ndim == 4 and array.shape[-1] == 3:
        array = array.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    _validate.check_ndim("frames", array, 3, "shaped [time, y, x] (or [time, y, x, 3])")
    _validate.check_finite("frames", array)
    if np.ptp(array) == 0:
        raise ValueError("frames must hold a dye signal, got constant frames")
    analysed = array.shape[0] - config.background_frames
    need_t = max(2 * config.half_width_t + 1, config.drift_window)
    need_x = 2 * (config.half_width_x + STENCIL_RADIUS) + 1
    if analysed < need_t:
        raise ValueError(
            f"frames must hold at least {need_t} analysis frames for the test functions "
            f"(half_width_t={config.half_width_t}) and the drift window, got {analysed}"
        )
    if min(array.shape[1:]) < need_x:
        raise ValueError(
            f"frames must be at least {need_x}×{need_x} pixels for the test functions "
            f"(half_width_x={config.half_width_x}), got {array.shape[1]}×{array.shape[2]}"
        )
    return array


def check_spacing(dx, dt) -> tuple[float, float]:
    """dx and dt as positive finite Python floats (numpy and JAX scalars accepted)."""
    out = []
    for name, value in (("dx", dx), ("dt", dt)):
        if np.ndim(value) != 0 or isinstance(value, bool | np.bool_):
            raise TypeError(f"{name} must be a positive finite number, got {value!r}")
        _validate.check_positive(name, value)
        out.append(float(value))
    return out[0], out[1]


def _noise(patch: np.ndarray) -> float:
    """Pixel-noise sd (grey levels) of a dye-free patch: 1.4826 MAD, at least half a level."""
    return max(1.4826 * float(np.median(np.abs(patch - np.median(patch)))), 0.5)


def check_background(array: np.ndarray, config: Config) -> np.ndarray | None:
    """The background (per-pixel image from pre-injection frames, or None for the corner patch),
    after checking that it is dye-free and that the first analysis frame holds dye."""
    p, n = config.background_patch, config.background_frames
    noise = _noise(array[:, :p, :p])
    if n:
        background = np.median(array[:n], axis=0)
        depth = float(np.median(background) - background.min())
        if depth > NO_DYE * noise:
            raise ValueError(
                f"the first background_frames={n} frames must be dye-free (pre-injection), got a "
                f"spot {depth:.3g} grey levels darker than their median (noise sd {noise:.2g})"
            )
        level = float(np.median(background))
    else:
        corners = [array[:, :p, :p], array[:, :p, -p:], array[:, -p:, :p], array[:, -p:, -p:]]
        levels = [float(np.median(c)) for c in corners]
        level, background = levels[0], None
        contrast = level - float(np.percentile(array[n], 0.01))
        if max(levels) - level > max(5.0 * noise, CORNER_TOLERANCE * contrast):
            raise ValueError(
                f"the {p}×{p} top-left corner must be dye-free background, got a median of "
                f"{level:.4g} against {max(levels):.4g} in the brightest corner (dye contrast "
                f"{contrast:.3g}): pass background= (e.g. the per-pixel median of pre-injection "
                "frames) or Config(background_frames=N)"
            )
    first = array[n] if background is None else array[n] - (background - level)
    depth = level - float(np.percentile(first, 0.01))
    if depth < NO_DYE * noise:
        raise ValueError(
            f"the first analysis frame (frame {n}) must hold dye, got a darkest spot {depth:.3g} "
            f"grey levels below the background (noise sd {noise:.2g}): the video seems to start "
            "with pre-injection frames; pass Config(background_frames=N) to use them as the "
            "background (spec S1)"
        )
    return background
