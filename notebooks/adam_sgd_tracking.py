# ---
# jupyter:
#   jupytext:
#     formats: py:percent,ipynb
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Adam vs SGD under drift: the noise–drift trade-off map
#
# Sahu, Sarkar, Hogan & Wells, *Adapt or Forget: Provable Tradeoffs Between Adam and SGD in
# Nonstationary Optimization* (arXiv 2605.04269, 2026) claim that when gradient **noise**
# dominates, Adam's averaging and preconditioning help, and when the target's **drift**
# dominates, Adam's stale first moment makes plain SGD better [P]. The paper's full text was not
# available to us: the formulas and thresholds below are ours [D] (exact for diagonal
# quadratics), not the paper's theorems.
#
# We track the minimiser of $F_t(\theta) = \tfrac12\sum_i (\theta_i - \theta^*_{t,i})^2$ in
# d = 10, with per-coordinate gradient noise $\sigma_i$ = logspace(−1, 1) and a random-walk
# target moving by Δ per step, tune the step size of each optimiser on a grid, and map the ratio
# of tuned tracking errors.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import jax
import jax.numpy as jnp

import jaxpapers.adam_sgd_tracking as ast

full = os.environ.get("JAXPAPERS_FULL") == "1"
sigma = ast.hetero_noise(10)
sigma_rms = float(np.sqrt(np.mean(sigma**2)))
key = jax.random.key(0)

# %% [markdown]
# ## 1. SGD's floor is exact
#
# For constant-step SGD the stationary error is
# $\sum_i (\alpha^2\sigma_i^2 + \Delta^2/d)/(\alpha h_i(2-\alpha h_i))$ (spec §2.3-1, [D]).
# Simulation (`simulate`: `lax.scan` over time, `vmap` over step sizes and seeds, optax's own
# `optax.sgd` / `optax.adam` with the step sizes as traced inputs: one compiled program for the
# whole grid) lands on it. Step sizes too large for the problem come back flagged `diverged`
# (their floor is NaN) and are never chosen by the tuning.

# %%
steps = np.logspace(-3, 0.2, 12)
problem = ast.quadratic_tracking(jnp.ones(10), sigma, 1.0)
run = dict(num_steps=6000 if full else 3000, num_seeds=8 if full else 4, discard=1000)
sgd = ast.tuned_floor(key, problem, "sgd", steps, **run)
adam = ast.tuned_floor(key, problem, "adam", steps, **run)
theory = ast.sgd_floor(jnp.asarray(steps), jnp.ones(10), sigma, 1.0)
best = ast.sgd_optimal_step(jnp.ones(10), sigma, 1.0)
print(
    f"exact alpha* = {float(best.step_size):.3g} (floor {float(best.floor):.3g}, "
    f"converged: {bool(best.converged)} after {int(best.num_steps)} golden-section steps); "
    f"tuned on the grid: SGD {sgd.best_step:.3g}, Adam {adam.best_step:.3g}"
)

fig, ax = plt.subplots(figsize=(5.5, 3.6))
ax.plot(steps, sgd.floors, "o", label="SGD, simulated")
ax.plot(steps, theory, "k-", lw=1, label="SGD, exact formula")
ax.plot(steps, adam.floors, "s", label="Adam(0.9, 0.999), simulated")
ax.axvline(float(best.step_size), color="gray", ls=":", label="exact α*")
ax.set(xscale="log", yscale="log", xlabel="step size α", ylabel="mean ‖e‖²", title="Δ = 1")
ax.legend()
plt.show()

# %% [markdown]
# ## 2. The trade-off map
#
# Tuned Adam/SGD floor ratio over the drift-to-noise ratio Δ/σ_rms and Adam's β1 (β2 = 0.999).
# Below 1 (blue) Adam wins. With β1 = 0 (bias-corrected RMSprop) Adam wins everywhere: the loss
# in the drift-dominated regime comes from the first moment.

# %%
deltas = np.array([0.03, 0.1, 0.3, 1.0, 3.0, 10.0] if full else [0.1, 0.3, 1.0, 3.0, 10.0])
betas = np.array([0.0, 0.5, 0.9, 0.99] if full else [0.0, 0.5, 0.9])
grid = np.logspace(-4, 1, 26 if full else 12)
ratio = np.zeros((betas.size, deltas.size))
for j, delta in enumerate(deltas):
    problem = ast.quadratic_tracking(jnp.ones(10), sigma, float(delta))
    sgd_best = ast.tuned_floor(key, problem, "sgd", grid, **run).best
    for i, beta1 in enumerate(betas):
        adam_best = ast.tuned_floor(key, problem, "adam", grid, beta1=float(beta1), **run).best
        ratio[i, j] = adam_best / sgd_best

fig, ax = plt.subplots(figsize=(6, 3.2))
image = ax.pcolormesh(
    np.arange(deltas.size + 1),
    np.arange(betas.size + 1),
    np.log2(ratio),
    cmap="RdBu_r",
    vmin=-2,
    vmax=2,
)
for (i, j), value in np.ndenumerate(ratio):
    ax.text(j + 0.5, i + 0.5, f"{value:.2f}", ha="center", va="center", fontsize=8)
ax.set_xticks(np.arange(deltas.size) + 0.5, [f"{d / sigma_rms:.2g}" for d in deltas])
ax.set_yticks(np.arange(betas.size) + 0.5, [f"{b:g}" for b in betas])
ax.set(xlabel="Δ / σ_rms", ylabel="β1", title="tuned Adam / SGD floor")
fig.colorbar(image, label="log2 ratio")
plt.show()
crossover = float(ast.noise_drift_crossover(deltas / sigma_rms, ratio[list(betas).index(0.9)]))
print(f"crossover Δ/σ_rms for β1 = 0.9: {crossover:.2f} (spec's run: ≈ 0.26)")

# %% [markdown]
# ## 3. Why: the first moment lags a moving target
#
# Freezing Adam's preconditioner turns it into EMA momentum with effective step a. The exact
# floor (a 2×2 discrete Lyapunov equation, `momentum_floor`) shows that momentum slightly
# *reduces* the noise floor but adds about q²β/(2(1−β)) per coordinate under random-walk drift —
# independent of the step size, so tuning α cannot remove it [D].

# %%
a = jnp.linspace(0.02, 0.6, 40)
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for beta in (0.5, 0.9, 0.99):
    excess = ast.momentum_floor(a, beta, 1.0, 0.0, 1.0) - ast.momentum_floor(a, 0.0, 1.0, 0.0, 1.0)
    ax.plot(a, excess / (beta / (1 - beta)), label=f"β = {beta}")
ax.axhline(0.5, color="k", lw=0.8, ls=":")
ax.set(xlabel="effective step a·h", ylabel="drift excess / (q² β/(1−β))", ylim=(0.4, 0.55))
ax.legend()
plt.show()

# %% [markdown]
# ## 4. Burn-in: Adam's steps are bounded
#
# Bias-corrected Adam moves each coordinate by at most C·α per step, with
# C = (1−β1)/√((1−β2)(1−β1²/β2)) = 7.27 for (0.9, 0.999) [D]; from far away its burn-in is
# linear in the distance, whereas SGD's is logarithmic.

# %%
print(f"C(0.9, 0.999) = {float(ast.adam_step_bound(0.9, 0.999)):.4f}")
scalar = ast.quadratic_tracking(jnp.ones(1), 1.0, 1e-3)
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for distance in (3.0, 10.0, 30.0):
    curve = ast.measure_burn_in(
        key,
        scalar,
        "adam",
        ast.Hyperparams(1e-2),
        distance=distance,
        level=0.0,
        num_steps=8000,
        num_seeds=4,
        record_every=100,
    )
    ax.plot(curve.steps, curve.errors, label=f"Adam α = 0.01, R = {distance:g}")
    sgd_curve = ast.measure_burn_in(
        key,
        scalar,
        "sgd",
        ast.Hyperparams(1e-2),
        distance=distance,
        level=0.0,
        num_steps=8000,
        num_seeds=4,
        record_every=100,
    )
    ax.plot(sgd_curve.steps, sgd_curve.errors, "--", label=f"SGD α = 0.01, R = {distance:g}")
ax.set(xscale="log", yscale="log", xlabel="step", ylabel="mean ‖e_t‖²")
ax.legend(fontsize=7)
plt.show()
