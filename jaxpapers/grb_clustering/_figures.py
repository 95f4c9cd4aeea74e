"""Figures of the GRB reproduction (matplotlib; imported lazily by the experiment)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def bursts(X: np.ndarray, labels: Mapping[str, np.ndarray], columns) -> object:
    """BATSE bursts in (log T90, log fluence) and (log T90, log hardness), one row per algo."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(labels), 2, figsize=(9, 3.6 * len(labels)), squeeze=False)
    colours = np.array(["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"])
    for row, (name, label) in enumerate(labels.items()):
        for col, feature in enumerate((1, 2)):
            ax = axes[row, col]
            ax.scatter(X[:, 0], X[:, feature], s=3, c=colours[np.asarray(label) % 5], alpha=0.6)
            ax.axvline(np.log10(2.0), color="grey", ls=":", lw=1)  # the classical T90 = 2 s
            ax.set_xlabel(columns[0])
            ax.set_ylabel(columns[feature])
            ax.set_title(f"{name}, K = 2 ({np.bincount(label).tolist()} bursts)")
    fig.tight_layout()
    return fig


def null_statistics(cases: Mapping[str, tuple[float, np.ndarray, float]]) -> object:
    """Histogram of the null S_b with the observed S for each (algorithm, K)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(cases), figsize=(3.2 * len(cases), 2.8), squeeze=False)
    for ax, (name, (observed, null, pvalue)) in zip(axes[0], cases.items(), strict=True):
        ax.hist(null, bins=15, color="lightgrey", edgecolor="grey", label="null S_b")
        ax.axvline(observed, color="tab:red", lw=2, label="observed S")
        ax.set_title(f"{name}: P_cal = {pvalue:.3g}", fontsize=9)
        ax.set_xlabel("mean AUC")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig
