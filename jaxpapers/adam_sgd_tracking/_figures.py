"""Figures of the reproduction (matplotlib; no computation beyond plotting)."""

from __future__ import annotations

import numpy as np


def ratio_figure(drift_to_noise, adam_ratio, rmsprop_ratio, crossover):
    """Tuned floor ratios against SGD versus Delta/sigma_rms (spec §2.4)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot(drift_to_noise, adam_ratio, "o-", label="Adam(0.9, 0.999) / SGD")
    ax.plot(drift_to_noise, rmsprop_ratio, "s--", label="Adam with beta1 = 0 / SGD")
    ax.axhline(1.0, color="k", lw=0.8)
    if np.isfinite(crossover):
        ax.axvline(crossover, color="gray", ls=":", label=f"crossover {crossover:.2f}")
    ax.set(
        xscale="log", xlabel="drift-to-noise ratio Delta / sigma_rms", ylabel="tuned floor ratio"
    )
    ax.set_title("Noise-dominated: Adam wins; drift-dominated: SGD wins")
    ax.legend(fontsize=8)
    return fig


def floors_figure(step_sizes, floors_by_method, theory_sgd, delta):
    """Simulated floors against the step size, with the exact SGD formula."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for name, floors in floors_by_method.items():
        ax.plot(step_sizes, floors, "o-", ms=3, label=f"{name} (simulated)")
    ax.plot(step_sizes, theory_sgd, "k--", lw=1, label="SGD exact floor (spec §2.3-1)")
    ax.set(xscale="log", yscale="log", xlabel="step size alpha", ylabel="mean ||e||^2")
    ax.set_title(f"Tracking floors, hetero-RW, Delta = {delta:g}")
    ax.legend(fontsize=8)
    return fig


def burn_in_figure(adam_curves, sgd_constant, sgd_decay, floor_level):
    """Burn-in curves: Adam from distances R, SGD (constant alpha*, step decay) from e0^2."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for label, (steps, errors) in adam_curves.items():
        left.plot(steps, errors, label=label)
    left.set_title("Adam, alpha = 1e-3: burn-in linear in R")
    for label, errors in sgd_constant.items():
        right.plot(np.arange(errors.shape[0]), errors, label=f"constant alpha*, {label}")
    for label, errors in sgd_decay.items():
        right.plot(np.arange(errors.shape[0]), errors, ls="--", label=f"step decay, {label}")
    right.set_title("SGD (exact recursion): logarithmic / constant")
    for ax in (left, right):
        ax.axhline(floor_level, color="k", lw=0.8, ls=":")
        ax.set(xscale="log", yscale="log", xlabel="step t")
        ax.legend(fontsize=7)
    left.set_ylabel("E||e_t||^2")
    return fig
