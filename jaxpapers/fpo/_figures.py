"""Figures of the reproduction: trajectories per mode and seed distributions."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

COLORS = {
    "myopic": "tab:red",
    "relaxed": "tab:blue",
    "practical": "tab:green",
    "exact": "tab:purple",
}
LABELS = {
    "myopic": "standard RLHF",
    "relaxed": "FPO relaxed",
    "practical": "FPO practical",
    "exact": "FPO exact",
}


def _axes(ncols: int, width: float = 4.2):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, 3.3), squeeze=False)
    return fig, axes[0]


def trajectories(
    title: str, curves: Mapping[str, Mapping[str, np.ndarray]], panels, xlabel="round"
):
    """One panel per quantity; ``curves[mode][quantity]`` is ``[rounds]`` or ``[seeds, rounds]``
    (then the mean and the 10-90 % band over seeds are drawn)."""
    fig, axes = _axes(len(panels))
    for ax, (quantity, ylabel) in zip(axes, panels, strict=True):
        for mode, data in curves.items():
            values = np.atleast_2d(np.asarray(data[quantity], dtype=float))
            x = np.arange(1, values.shape[1] + 1)
            color = COLORS.get(mode, None)
            ax.plot(x, np.nanmean(values, axis=0), color=color, label=LABELS.get(mode, mode))
            if values.shape[0] > 1:
                low, high = np.nanpercentile(values, [10, 90], axis=0)
                ax.fill_between(x, low, high, color=color, alpha=0.15, linewidth=0)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def seed_distribution(title: str, finals: Mapping[str, np.ndarray], ylabel: str, line=None):
    """Per-seed final values by mode (jittered strip plot with the mean)."""
    fig, axes = _axes(1, width=5.0)
    ax = axes[0]
    rng = np.random.default_rng(0)  # jitter of the dots only
    for i, (mode, values) in enumerate(finals.items()):
        values = np.asarray(values, dtype=float)
        x = i + 0.12 * rng.standard_normal(values.size)
        ax.scatter(x, values, s=14, color=COLORS.get(mode), alpha=0.7)
        ax.hlines(values.mean(), i - 0.3, i + 0.3, color="k")
    if line is not None:
        ax.axhline(line, color="gray", linestyle=":", linewidth=1)
    ax.set_xticks(range(len(finals)), [LABELS.get(m, m) for m in finals])
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig
