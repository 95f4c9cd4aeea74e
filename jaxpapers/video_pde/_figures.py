"""Figures of the reproduction (matplotlib; host-side)."""

from __future__ import annotations

import numpy as np


def frames(video):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
    picks = [0, video.frames.shape[0] // 2, video.frames.shape[0] - 1]
    for ax, k in zip(axes, picks, strict=True):
        ax.imshow(np.asarray(video.frames[k]), cmap="gray", vmin=0, vmax=255)
        ax.set_title(f"frame {k} (t = {k * video.dt:.3f})")
        ax.axis("off")
    fig.suptitle("synthetic 8-bit dye plume")
    return fig


def drift(video, found):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    t = np.asarray(video.times)
    for i, name in enumerate(("v_x", "v_y")):
        ax.plot(t, np.asarray(video.drift)[:, i], "k-", lw=1)
        ax.plot(t, found.drift[:, i], ".", label=f"{name} from the centroid")
    ax.set_xlabel("t")
    ax.set_ylabel("drift")
    ax.legend()
    return fig


def sweep(lams, sweep_over, sweep_compact):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.semilogx(np.asarray(lams), np.asarray(sweep_over.num_terms), "o-", label="over-complete")
    ax.semilogx(np.asarray(lams), np.asarray(sweep_compact.num_terms), "s-", label="compact")
    ax.set_xlabel("STLSQ threshold λ")
    ax.set_ylabel("terms selected")
    ax.legend()
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
