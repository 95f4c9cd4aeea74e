"""Figures of the reproduction (matplotlib, imported lazily)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["fpr_vs_n", "shd_bars"]


def fpr_vs_n(rows: np.ndarray):
    """False-positive rate against n, naive vs PAIR-CI, with Wilson 95 % intervals.

    ``rows``: ``(len(ns), 5)`` holding n, naive rate and half-width, PAIR-CI rate and half-width.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for col, label in ((1, "impute-then-Fisher-z"), (3, "PAIR-CI")):
        ax.errorbar(rows[:, 0], rows[:, col], yerr=rows[:, col + 1], marker="o", capsize=3,
                    label=label)  # fmt: skip
    ax.axhline(0.05, color="grey", ls="--", lw=1)
    ax.set(xscale="log", xlabel="n", ylabel="false-positive rate (α = 0.05)", title="MNAR")
    ax.legend()
    return fig


def shd_bars(studies: Mapping[str, np.ndarray]):
    """Mean CPDAG SHD ± standard error over graphs of the oracle, naive and PAIR-CI per study.

    ``studies``: name → ``(graphs, methods, metrics)`` arrays of :func:`random_graph_study`.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    width = 0.25
    names = list(studies)
    for m, label in enumerate(("oracle Fisher-z/G", "impute-then-test", "PAIR-CI")):
        shd = [studies[name][:, m, 0] for name in names]
        means = [float(np.mean(v)) for v in shd]
        errors = [float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0 for v in shd]
        ax.bar(np.arange(len(names)) + (m - 1) * width, means, width, yerr=errors, capsize=2,
               label=label)  # fmt: skip
    ax.set_xticks(np.arange(len(names)), [name.removeprefix("shd_") for name in names])
    ax.set(ylabel="mean SHD (CPDAG)")
    ax.legend()
    return fig
