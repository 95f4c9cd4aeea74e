# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Perturbation is all you need for extrapolating language models
#
# Cen, Zhu, Shen & Shi (2026), arXiv:2605.04344. A next-token model trained on exact prefixes
# knows nothing about prefixes it never saw. If instead every prefix is first replaced by a
# random *semantic neighbour* x~ ~ Q(. | x), at training and at inference, the observable law at
# a training prefix is the mixture sum Q(x~ | x) p(. | x~), which involves the model on the whole
# neighbourhood: predictions outside the empirical support are pinned down.
#
# This notebook (quick settings; `JAXPAPERS_FULL=1` for more steps) uses the synonym-class
# Markov language (SCM): the next token depends on the prefix only through its *classes*, so the
# true law is known and the KL of any predictor is exact.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import jax
import jax.numpy as jnp

import jaxpapers.perturbation_lm as pl
from jaxpapers.perturbation_lm import _study
from jaxpapers.perturbation_lm._runs import synonym_kernel

full = os.environ.get("JAXPAPERS_FULL") == "1"
steps = 3000 if full else 1500

# %% [markdown]
# ## 1. The language and the support split
# K = 6 classes of m = 4 synonyms, order-3 class dynamics. A test context is *in support* when
# the same 3 tokens occur in the training stream.

# %%
scm = pl.make_scm(jax.random.key(0), num_classes=6, class_size=4, order=3, alpha=0.3)
data = _study.scm_data(jax.random.key(1), scm, 10_000, 5000, 20_000)
print("out-of-support fraction of test contexts:", float(1 - data.in_support.mean()))

# %% [markdown]
# ## 2. The kernel: replace each token by a random synonym with probability rho

# %%
x = data.test[0][:3]
print(x)
print(pl.perturb_synonym(jax.random.key(2), x, class_size=4, rho=0.6))

# %% [markdown]
# ## 3. Train exact-prefix and perturbed models (one jitted program, vmapped over rho)

# %%
params, apply_fn = pl.init_context_mlp(jax.random.key(3), 24, 3)
config = pl.Config(num_steps=steps)
rates = jnp.array([0.0, 0.1, 0.3, 0.6])


def train(rate):
    kernel = synonym_kernel(4, rate)
    return pl.fit(jax.random.key(4), params, apply_fn, kernel, data.train, data.valid, config)


results = jax.jit(jax.vmap(train))(rates)
print("best steps:", results.best_step, "converged:", results.converged)

# %% [markdown]
# ## 4. KL to the true law, in and out of support
# Each model is evaluated with inference perturbation at its training rate (M_inf = 16).

# %%
rows = []
for i, rate in enumerate(rates.tolist()):
    model = jax.tree.map(lambda leaf, i=i: leaf[i], results.params)
    kernel = synonym_kernel(4, rate)
    ev = _study.evaluate(model, apply_fn, jax.random.key(5), data, kernel, 16 if rate else 1)
    rows.append((rate, float(ev.kl_in), float(ev.kl_oos)))
    print(f"rho = {rate:.1f}: KL in support {ev.kl_in:.3f}, out of support {ev.kl_oos:.3f}")

# %%
rows = np.array(rows)
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(rows[:, 0], rows[:, 2], marker="o", label="out of support")
ax.plot(rows[:, 0], rows[:, 1], marker="o", label="in support")
ax.set_xlabel("rho")
ax.set_ylabel("KL(p* || p^)")
ax.legend()
plt.show()

# %% [markdown]
# ## 5. Objectives: O1 (augmentation) and O2 (Monte Carlo marginal likelihood)
# On the same M draws, O2 <= O1 (Jensen); both are the cross-entropy at rho = 0.

# %%
best = jax.tree.map(lambda leaf: leaf[2], results.params)
kernel = synonym_kernel(4, 0.3)
xb, yb = data.train[0][:256], data.train[1][:256]
key = jax.random.key(6)
print("O1:", float(pl.aug_nll(best, apply_fn, key, xb, yb, kernel, 4)))
print("O2:", float(pl.marginal_nll(best, apply_fn, key, xb, yb, kernel, 4)))

# %% [markdown]
# The full study (seeds, ablations, invariance gaps, the stress test) is the reproduction:
# `jaxpapers reproduce perturbation_lm --quick`.
