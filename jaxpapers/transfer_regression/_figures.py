"""Figures of the reproduction: bias and coverage per estimator and scenario, and root-n."""

from __future__ import annotations

import numpy as np

from jaxpapers.transfer_regression._types import ESTIMATORS

COEFFICIENTS = ("β0", "βx", "βz")


def _grouped(ax, values, errors, title):
    width = 0.8 / len(ESTIMATORS)
    positions = np.arange(len(COEFFICIENTS))
    for e, name in enumerate(ESTIMATORS):
        ax.bar(positions + (e - 1.5) * width, values[e], width, yerr=errors[e], capsize=2,
               label=name)  # fmt: skip
    ax.set_xticks(positions, COEFFICIENTS)
    ax.set_title(title, fontsize=9)


def bias_figure(bias, bias_se, scenarios, descriptions):
    """Mean bias ± 2 MC SE of each coefficient, one panel per scenario."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(scenarios), figsize=(3.2 * len(scenarios), 3.2), sharey=True)
    for i, (ax, name) in enumerate(zip(axes, scenarios, strict=True)):
        _grouped(ax, bias[i], 2 * bias_se[i], f"{name}: {descriptions[i]}")
        ax.axhline(0.0, color="black", lw=0.8)
    axes[0].set_ylabel("bias of β̂ (± 2 MC SE)")
    axes[-1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def coverage_figure(coverage, coverage_se, scenarios, descriptions, level=0.95):
    """Wald-interval coverage ± 2 binomial SE, one panel per scenario."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(scenarios), figsize=(3.2 * len(scenarios), 3.2), sharey=True)
    for i, (ax, name) in enumerate(zip(axes, scenarios, strict=True)):
        _grouped(ax, coverage[i], 2 * coverage_se[i], f"{name}: {descriptions[i]}")
        ax.axhline(level, color="grey", ls="--", lw=1)
        ax.set_ylim(0.0, 1.02)
    axes[0].set_ylabel(f"coverage of the {level:.0%} sandwich interval")
    axes[-1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def rootn_figure(sizes, rmse):
    """RMSE of DR against n on log axes, with the n^(-1/2) slope through the first point."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3.2))
    sizes = np.asarray(sizes, float)
    for j, name in enumerate(COEFFICIENTS):
        ax.plot(sizes, rmse[:, j], marker="o", label=name)
    ax.plot(sizes, rmse[0].mean() * np.sqrt(sizes[0] / sizes), color="grey", ls="--",
            label="∝ n^-1/2")  # fmt: skip
    ax.set(xscale="log", yscale="log", xlabel="n_S = n_T", ylabel="RMSE of DR (S1)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
