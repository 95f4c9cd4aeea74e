"""Figures of the reproduction: true vs learned trajectories, the equations as text."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sympy

from jaxpapers.symbolic_regression._systems import System

__all__ = ["equations", "trajectories"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def trajectories(title: str, times: np.ndarray, truth: np.ndarray, found: np.ndarray):
    """One panel per state component: the true solution and the found model's, same start."""
    plt = _pyplot()
    n = truth.shape[1]
    fig, axes = plt.subplots(n, 1, figsize=(6.5, 1.8 * n + 0.6), sharex=True, squeeze=False)
    for i, ax in enumerate(axes[:, 0]):
        ax.plot(times, truth[:, i], color="black", lw=1.5, label="true system")
        ax.plot(times, found[:, i], color="tab:red", lw=1.2, ls="--", label="found equations")
        ax.set_ylabel(f"x{i}")
    axes[0, 0].legend(loc="upper right", fontsize=8)
    axes[-1, 0].set_xlabel("t")
    fig.suptitle(f"{title}: held-out trajectory")
    fig.tight_layout()
    return fig


def _rounded(expr: sympy.Expr, digits: int = 4) -> str:
    floats = {f: sympy.Float(float(f), digits) for f in expr.atoms(sympy.Float)}
    return str(expr.xreplace(floats))


def equations(title: str, found: Sequence[sympy.Expr], system: System):
    """The discovered equations next to the true ones, as text."""
    plt = _pyplot()
    lines = []
    for i, (got, want) in enumerate(zip(found, system.rhs, strict=True)):
        lines.append(f"dx{i}/dt = {_rounded(sympy.expand(got))}")
        lines.append(f"   true: {_rounded(sympy.expand(want))}")
    fig = plt.figure(figsize=(8.5, 0.45 * len(lines) + 0.8))
    fig.text(0.02, 0.95, f"{title}: discovered equations", fontsize=11, va="top", weight="bold")
    for k, line in enumerate(lines):
        fig.text(0.02, 0.85 - k * 0.8 / max(len(lines), 1), line, family="monospace",
                 fontsize=9, va="top", color="black" if k % 2 == 0 else "gray")  # fmt: skip
    return fig
