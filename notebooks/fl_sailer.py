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
# # Federated scATAC-seq embedding with leverage-selected peaks
#
# *Zhang, Dai, He & Liu, "FL-Sailer: Efficient and Privacy-Preserving Federated Learning for
# Scalable Single-Cell Epigenetic Data Analysis via Adaptive Sampling", arXiv:2605.04519
# (2026), with `jaxpapers.fl_sailer`.*
#
# Three hospitals each hold single-cell ATAC-seq of their own patients: a binary matrix of
# cells × peaks (is this stretch of DNA open in this cell?). They may not pool the cells.
# FL-Sailer (i) keeps the 20 % of peaks with the highest **leverage scores** — computed by each
# hospital on its own data and averaged by a secure sum — and (ii) trains SAILER's **invariant
# VAE** by federated averaging: the decoder sees sequencing depth and hospital, the encoder sees
# only the peaks, and a KL bound pushes the latent to forget the hospital.
#
# The data are the spec's synthetic generator (regime B, a strong batch effect), so the cell
# types and hospitals are planted and we can score the embedding.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import jax
import jax.numpy as jnp
from flax import nnx

import jaxpapers.fl_sailer as fs
from jaxpapers.stats import kmeans

full = os.environ.get("JAXPAPERS_FULL") == "1"
n_cells, n_peaks, epochs = (900, 2000, 60) if full else (600, 1200, 30)
key_data, key_lev, key_train, key_fed = jax.random.split(jax.random.key(2026), 4)

data = jax.jit(fs.make_scatac, static_argnums=(1, 2))(key_data, n_cells, n_peaks)
x, batch, cell_type = np.asarray(data.x), np.asarray(data.batch), np.asarray(data.cell_type)
clients = [x[batch == m] for m in range(3)]
print("cells per hospital:", [len(c) for c in clients], " sparsity:", round(1 - x.mean(), 3))

# %% [markdown]
# ## Leverage scores, client by client
#
# Each hospital scores peaks by the rank-10 leverage of its own TF-IDF matrix,
# $\lambda_j = \lVert V_k[j,:]\rVert^2$ (randomised SVD with implicit centring); the server
# only sees the weighted average $\bar\lambda = \sum_m w_m\lambda^{(m)}$. Centring inside each
# hospital keeps hospital-specific peaks out of the top directions.

# %%
local = jnp.stack([
    fs.randomized_leverage(jax.random.fold_in(key_lev, m),
                           fs.tfidf(c, fs.global_peak_stats([c]), allow_empty=True), 10)
    for m, c in enumerate(clients)
])  # fmt: skip
scores = fs.client_average(local, jnp.array([len(c) for c in clients], jnp.float32))
keep = np.asarray(fs.top_fraction(scores, 0.2))
classes = np.asarray(data.peak_class)
for name, code in (("marker", 1), ("batch-specific", 3)):
    print(f"{name} peaks: {np.mean(classes == code):.1%} of all, "
          f"{np.mean(classes[keep] == code):.1%} of the selected 20 %")  # fmt: skip

# %% [markdown]
# ## Federated training with and without the cross-client moment term
#
# FedAvg: 3 clients, 5 local epochs per round, mini-batches of 32, a fresh Adam each round.
# Mini-batches never mix hospitals, so the pairwise-KL bound alone cannot align them; the
# moment term (γ = 10) lets each client match its latent moments to the others' (2d numbers
# shared per round).

# %%
stats = fs.global_peak_stats(clients)
cov = np.asarray(fs.covariates(fs.depth_covariate(x, stats), jnp.asarray(batch), 3))
xs = x[:, keep].astype(np.float32)
stacked = fs.stack_clients([xs[batch == m] for m in range(3)], [cov[batch == m] for m in range(3)])
fed = jax.jit(fs.federated_train, static_argnames="config")
embeddings = {}
for gamma in (0.0, 10.0):
    config = fs.Config.prototype(rounds=epochs // 5, gamma=gamma)
    model = fs.InvariantVAE(keep.size, cov.shape[1], hidden=(128,), layer_norm=False,
                            rngs=nnx.Rngs(0))  # fmt: skip
    result = fed(key_fed, model, stacked, config)
    embeddings[gamma] = np.asarray(result.model(jnp.asarray(xs)))
    labels = kmeans(jax.random.key(0), jnp.asarray(embeddings[gamma]), 6).labels
    print(f"γ = {gamma:4}: ARI {fs.adjusted_rand_index(cell_type, np.asarray(labels)):.3f}, "
          f"iLISI {float(fs.ilisi(jnp.asarray(embeddings[gamma]), jnp.asarray(batch), 3)):.2f}"
          f" (1 = hospitals apart, 3 = fully mixed)")  # fmt: skip

# %%
fig, axes = plt.subplots(2, 2, figsize=(8, 7))
for row, gamma in enumerate((0.0, 10.0)):
    e = embeddings[gamma] - embeddings[gamma].mean(0)
    pcs = e @ np.linalg.svd(e, full_matrices=False)[2][:2].T
    for col, (labels, name) in enumerate(((cell_type, "cell type"), (batch, "hospital"))):
        axes[row, col].scatter(pcs[:, 0], pcs[:, 1], c=labels, cmap="tab10", s=4)
        axes[row, col].set_title(f"γ = {gamma:g}: coloured by {name}", fontsize=9)
fig.tight_layout()

# %% [markdown]
# Communication: each round every client downloads and uploads the model. With 20 % of the
# peaks the input and output layers shrink five-fold:

# %%
full_model = fs.InvariantVAE(x.shape[1], cov.shape[1], hidden=(128,), rngs=nnx.Rngs(0))
small_model = fs.InvariantVAE(keep.size, cov.shape[1], hidden=(128,), rngs=nnx.Rngs(0))
print(f"bytes per round, all peaks: {fs.communication_bytes(full_model, 3):,}; "
      f"top 20 %: {fs.communication_bytes(small_model, 3):,}")  # fmt: skip
