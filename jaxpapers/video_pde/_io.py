"""Frames to and from disk: ``.npz`` (uint8 array) and PNG sequences (Pillow). Host-side I/O."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["load_frames", "save_frames"]


def save_frames(path: str | Path, frames) -> Path:
    """Save uint8 frames ``[time, y, x]``: ``*.npz`` → one archive, otherwise a folder of PNGs."""
    array = np.asarray(frames)
    if array.dtype != np.uint8 or array.ndim != 3:
        raise ValueError(f"frames must be uint8 [time, y, x], got {array.dtype} {array.shape}")
    path = Path(path)
    if path.suffix == ".npz":
        np.savez_compressed(path, frames=array)
        return path
    from PIL import Image

    path.mkdir(parents=True, exist_ok=True)
    for k, frame in enumerate(array):
        Image.fromarray(frame, mode="L").save(path / f"frame_{k:05d}.png")
    return path


def load_frames(path: str | Path) -> np.ndarray:
    """Load frames written by :func:`save_frames` (an ``.npz`` file or a folder of PNGs)."""
    path = Path(path)
    if path.suffix == ".npz":
        with np.load(path) as data:
            return data["frames"]
    from PIL import Image

    files = sorted(path.glob("*.png"))
    if not files:
        raise ValueError(f"no PNG frames in {path}")
    return np.stack([np.asarray(Image.open(f).convert("L")) for f in files])
