"""Figures of the reproduction (matplotlib; host-side, from the stages' arrays)."""

from __future__ import annotations

import numpy as np


def frames(video_frames, dt):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
    picks = [0, video_frames.shape[0] // 2, video_frames.shape[0] - 1]
    for ax, k in zip(axes, picks, strict=True):
        ax.imshow(np.asarray(video_frames[k]), cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"frame {k} (t = {k * dt:.3f})")
        ax.axis("off")
    fig.suptitle("synthetic 8-bit dye plume (planted a = 9.005, D = 0.666)")
    return fig


def drift(times, true_drift, estimated):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    for i, name in enumerate(("v_x", "v_y")):
        ax.plot(times, true_drift[:, i], "k-", lw=1)
        ax.plot(times, estimated[:, i], ".", label=f"{name} from the centroid")
    ax.set_xlabel("t")
    ax.set_ylabel("drift")
    ax.legend()
    return fig


def sweep(lams, counts: dict, law_interval):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    for label, num_terms in counts.items():
        ax.semilogx(lams, num_terms, "o-", ms=3, label=label)
    if np.all(np.isfinite(law_interval)):
        ax.axvspan(*law_interval, color="0.9", label="selects {|∇u|², Δu}")
    ax.set_xlabel("STLSQ threshold λ")
    ax.set_ylabel("terms selected")
    ax.legend(fontsize=7)
    return fig


def heldout(err_nonlinear, err_ad):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(np.asarray(err_nonlinear), label="a|∇u|² + DΔu (calibrated)")
    ax.plot(np.asarray(err_ad), label="advection–diffusion (calibrated)")
    frames_total = len(np.asarray(err_ad))
    ax.axvspan(int(0.8 * frames_total), frames_total - 1, color="0.9", label="held out")
    ax.set_xlabel("frame")
    ax.set_ylabel("relative L2 error vs truth")
    ax.legend()
    return fig


def pinn(paths, truth):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for ax, i, name in zip(axes, (0, 1), ("a", "D"), strict=True):
        for path in paths:
            ax.plot(path[:, i])
        ax.axhline(truth[i], color="k", lw=1, label="planted")
        ax.set_xlabel("joint Adam step")
        ax.set_ylabel(name)
    axes[0].legend()
    fig.suptitle("PINN refinement from 0.7× and 1.3× the planted (a, D)")
    return fig


def coverage(estimates, lows, highs, truth, names=("a", "D")):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for j, ax in enumerate(axes):
        order = np.argsort(estimates[:, j])
        rows = np.arange(len(order))
        covered = (lows[order, j] <= truth[j]) & (truth[j] <= highs[order, j])
        for flag, colour in ((True, "C0"), (False, "C3")):
            pick = covered == flag
            ax.errorbar(
                estimates[order, j][pick],
                rows[pick],
                xerr=[(estimates - lows)[order, j][pick], (highs - estimates)[order, j][pick]],
                fmt=".",
                color=colour,
                ms=3,
            )
        ax.axvline(truth[j], color="k", lw=1)
        ax.set_xlabel(f"{names[j]}: 95% block-bootstrap interval")
        ax.set_yticks([])
    fig.suptitle("intervals over independent videos (red: misses the planted value)")
    return fig
