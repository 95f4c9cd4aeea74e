# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Transfer regression when the target lacks a covariate
#
# *Zhao & Wang, "Augmented transfer regression learning for completely missing covariates",
# arXiv:2605.04469 (2026), with `jaxpapers.transfer_regression`.*
#
# A large biobank (the **target**, think UK Biobank) records an outcome $Y$ — say systolic
# blood pressure, standardised — and covariates $X$ such as age, but not a covariate $Z$ we
# care about, say an accelerometer-based activity score. A smaller cohort study (the
# **source**) measures all three. Biobank volunteers are not a random draw from the population
# the cohort sampled: they are healthier and older ("healthy-volunteer" selection), so the
# cohort's regression of $Y$ on $(1, X, Z)$ is **not** the biobank's.
#
# The method assumes *sub-population shift*: who enters the biobank may depend on $(Y, X)$,
# but given $(Y, X)$ the law of $Z$ is the same in both samples. Then the biobank's
# coefficient $\beta^* = E_T[\tilde X\tilde X^\top]^{-1}E_T[\tilde XY]$,
# $\tilde X = (1, X, Z)$, is identified, and the augmented estimator combines
#
# * a **density ratio** $w(y, x) = p_T(y, x)/p_S(y, x)$ by exponential tilting, and
# * **imputations** of $E[Z\mid Y, X]$ and $E[ZZ^\top\mid Y, X]$ fitted in the cohort,
#
# and stays consistent when either one is right. All data here are simulated (spec §8.2
# design), so we know the truth.

# %%
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np

import jax

import jaxpapers.transfer_regression as tr

full = os.environ.get("JAXPAPERS_FULL") == "1"
n_cohort, n_biobank = 1500, (100_000 if full else 10_000)
replications = 1000 if full else 60
key_data, key_study, key_boot, key_shift = jax.random.split(jax.random.key(2026), 4)

# %% [markdown]
# ## The data
#
# Scenario S1 of the spec: $X \sim N(0,1)$, $Z = 0.5 + 0.8X + 0.7\varepsilon_z$,
# $Y = 1 + X + Z + \varepsilon_y$, and a unit joins the biobank with probability
# $\operatorname{expit}(-1 + 0.8Y - 0.5X)$. The biobank's $Z$ column is never observed.

# %%
cohort, biobank = tr.simulate(key_data, "S1", n_cohort, n_biobank)
truth = tr.true_beta("S1")
print("cohort  (y, x, z):", [a.shape for a in cohort])
print("biobank (y, x)   :", [a.shape for a in biobank])
print("target coefficient β* (intercept, age, activity):", truth.beta.round(3))
print(f"mean outcome: cohort {float(cohort[0].mean()):.2f}, biobank {float(biobank[0].mean()):.2f}")

# %% [markdown]
# ## Four estimators of the biobank's regression
#
# * `naive`: the cohort's own OLS (ignores the shift);
# * `ipw`: the cohort's OLS weighted by the density ratio;
# * `imp`: impute $Z$'s first two moments in the biobank and solve the normal equations;
# * `dr`: the augmented (doubly robust) estimator of the paper.

# %%
rows = []
for name in tr.ESTIMATORS:
    result = tr.fit(cohort, biobank, estimator=name)
    rows.append((name, np.asarray(result.beta), np.asarray(result.se), bool(result.converged)))
print(f"{'':6s} {'β0':>16s} {'β_age':>16s} {'β_activity':>16s}")
for name, beta, se, converged in rows:
    cells = "  ".join(f"{b:7.3f} ± {s:5.3f}" for b, s in zip(beta, se, strict=True))
    print(f"{name:6s} {cells}   converged={converged}")
print(f"{'truth':6s} " + "  ".join(f"{b:7.3f}        " for b in truth.beta))
print(f"effective sample size of the cohort weights: {float(result.ess):.0f} of {n_cohort}")

# %% [markdown]
# The naive intercept is off by about 0.7: the biobank's outcomes are higher. The weights
# needed to make the cohort look like the biobank are uneven — the effective sample size
# $(\sum w)^2/\sum w^2$ is a quarter of the cohort — which is why IPW is noisier than DR.
#
# The pieces are public functions, for pipelines of your own:

# %%
features_cohort = np.column_stack([cohort[0], cohort[1]])
features_biobank = np.column_stack([biobank[0], biobank[1]])
ratio = tr.fit_density_ratio(features_cohort, features_biobank)
imputation = tr.fit_imputation(features_cohort, cohort[2])
print("tilt  log w = θ0 + θ_y·y + θ_x·x:", float(ratio.intercept), np.asarray(ratio.coef))
print("(the planted selection has log-odds slope 0.8 on y and −0.5 on x)")
print("imputation E[Z | y, x] coefficients:", np.asarray(imputation.coef[:, 0]).round(3))

fig, ax = plt.subplots(figsize=(5, 3))
ax.hist(np.asarray(ratio.weights), bins=60)
ax.set(xlabel="density-ratio weight ŵ (mean 1)", ylabel="cohort rows", yscale="log")
plt.show()

# %% [markdown]
# ## Double robustness
#
# A simulation study repeats the whole analysis on fresh data sets. In S2 the density-ratio
# model is wrong (the true selection is quadratic in $Y$), in S3 the imputation model is
# wrong ($Z$ depends on $\sin 2X$ and $X^2$), in S4 both are. DR stays centred on the truth
# when *either* model is right.

# %%
labels = {"S1": "both right", "S2": "ratio wrong", "S3": "imputation wrong", "S4": "both wrong"}
fig, axes = plt.subplots(1, 4, figsize=(13, 3), sharey=True)
for i, (scenario, label) in enumerate(labels.items()):
    res = tr.study(jax.random.fold_in(key_study, i), scenario, 1000, 1000,
                   num_replications=replications)  # fmt: skip
    worst = np.abs(np.asarray(res.bias)).max(axis=1)
    axes[i].bar(tr.ESTIMATORS, worst, color=["grey", "tab:orange", "tab:green", "tab:blue"])
    axes[i].set_title(f"{scenario}: {label}", fontsize=9)
axes[0].set_ylabel("max |bias| over coefficients")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Bootstrap or sandwich?
#
# `bootstrap` resamples the cohort and the biobank independently and refits everything (the
# replicates run as one vmapped program, sharded over whatever devices exist).

# %%
boot = tr.bootstrap(key_boot, cohort, biobank, num_resamples=200)
dr = tr.fit(cohort, biobank)
print("sandwich SE :", np.asarray(dr.se).round(4))
print("bootstrap SE:", np.asarray(boot.se).round(4))
print(
    "95% percentile interval:", np.asarray(boot.ci_low).round(3), np.asarray(boot.ci_high).round(3)
)

# %% [markdown]
# ## When the weights degenerate
#
# Everything rests on **overlap**: every $(y, x)$ seen in the biobank must also occur in the
# cohort. Suppose the biobank only recruited people whose outcome exceeded a threshold $c$.
# Selection still depends on $Y$ only, so the assumption holds — but as $c$ grows the
# biobank moves into the cohort's tail, a handful of cohort members must stand in for it, and
# the effective sample size collapses. Past the largest outcome in the cohort no weighting can
# reproduce the biobank and the tilt cannot converge: `fit` warns, with the effective sample
# size, and returns `converged=False`.

# %%
y_cohort_max = float(cohort[0].max())
thresholds = [-np.inf, 1.0, 2.0, 3.0, 4.0, y_cohort_max + 0.5]
table = []
for c in thresholds:
    keep = np.asarray(biobank[0]) > c
    target = (biobank[0][keep], biobank[1][keep])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = tr.fit(cohort, target, estimator="dr")
    message = str(caught[0].message) if caught else ""
    table.append((c, int(keep.sum()), float(result.ess), float(result.se[2]),
                  bool(result.converged), message))  # fmt: skip
print(f"{'c':>6s} {'biobank n':>9s} {'ESS':>8s} {'SE(β_activity)':>15s} converged")
for c, n, ess, se, converged, _ in table:
    print(f"{c:6.2f} {n:9d} {ess:8.1f} {se:15.3f} {converged}")
print("\nlast warning:", table[-1][-1][:300], "…")

# %%
fig, ax = plt.subplots(1, 2, figsize=(9, 3))
shown = [row for row in table if np.isfinite(row[0]) and row[4]]
ax[0].plot([r[0] for r in shown], [r[2] for r in shown], marker="o")
ax[0].set(xlabel="recruitment threshold c on y", ylabel="effective sample size", yscale="log")
ax[1].plot([r[0] for r in shown], [r[3] for r in shown], marker="o", color="tab:red")
ax[1].set(xlabel="recruitment threshold c on y", ylabel="SE of β_activity", yscale="log")
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the effective sample size before the estimate: when it is a few dozen rows, the
# interval is wide for a reason, and when the tilt fails there is no estimate to report —
# the cohort simply contains nobody like the biobank's members. `Config(min_ess_fraction=…)`
# sets when `fit` warns (5 % of the cohort by default).
