"""Figures of the reproduction (matplotlib, imported lazily)."""

from __future__ import annotations

import numpy as np

import jax

from jaxpapers.attention_transport._landscape import (
    prefix_landscape,
    uniform_causal_attention,
    window_attention,
)
from jaxpapers.attention_transport._types import FLOOR, HeadFeatures


def landscape(windows: tuple[int, ...]):
    """φ(t/n) of uniform causal attention at three n and of window heads, with the 1/5 floor."""
    import matplotlib.pyplot as plt

    compute = jax.jit(prefix_landscape)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for n in (32, 128, 512):
        land = compute(uniform_causal_attention(n))
        ax.plot(land.position, land.phi, label=f"uniform causal, n={n}")
    for w in windows:
        land = compute(window_attention(256, w))
        ax.plot(land.position, land.phi, ls=":", label=f"window w={w}, n=256")
    ax.axhline(FLOOR, color="k", ls="--", lw=0.8, label="floor 1/5")
    ax.set(xlabel="t / n", ylabel="φ(t)", yscale="log", title="Bipartite-Cheeger landscape")
    ax.legend(fontsize=7)
    return fig


def heads(features: HeadFeatures, kept: np.ndarray, subset: str):
    """Histograms of φ_min and G over every head of the scored answers."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    axes[0].hist(np.asarray(features.phi_min)[kept].reshape(-1), bins=40, color="tab:blue")
    axes[0].axvline(FLOOR, color="k", ls="--", label="floor 1/5")
    axes[0].set(xlabel="φ_min per head (response span)", ylabel="heads × answers")
    axes[0].legend()
    axes[1].hist(np.asarray(features.asymmetry)[kept].reshape(-1), bins=40, color="tab:orange")
    axes[1].set(xlabel="G per head", title=f"SmolLM2-135M on HaluEval-{subset}")
    return fig
