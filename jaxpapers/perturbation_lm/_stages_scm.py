"""Stages of the reproduction on the synonym-class Markov language (spec §2.1, §3 checks 4-11)."""

from __future__ import annotations

import numpy as np

import jax
import jax.numpy as jnp

from jaxpapers._stages import StageResult
from jaxpapers.perturbation_lm._runs import Language, evaluate_pairs, gap_pairs, train_at_rates
from jaxpapers.perturbation_lm._types import Config
from jaxpapers.report import Claim

__all__ = ["small_data_stage", "stress_stage", "synthetic_stage"]

RHO = 0.3
"""The perturbation rate of the main comparison (spec §3 check 4)."""


def _config(scale, **changes) -> Config:
    return Config(
        num_steps=scale.num_steps, eval_every=50, patience=4, batch_size=256,
        num_samples_inference=scale.num_samples_inference, **changes,
    )  # fmt: skip


def _language(scale, n_train: int) -> Language:
    return Language(n_train=n_train, n_test=scale.n_test)


def _seed_keys(key, count: int):
    return jax.random.split(key, count)


def _mean_se(values) -> tuple[float, float]:
    values = np.asarray(values, np.float64)
    se = float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else float("nan")
    return float(values.mean()), se


def _main_runs(key, scale):
    """Per seed: O1 models at rates (0, rhos...), an O2 model at RHO, their KLs and gaps."""
    language = _language(scale, scale.n_train)
    rates = jnp.asarray((0.0, *scale.rhos), jnp.float32)
    at_rho, o2 = 1 + scale.rhos.index(RHO), 1 + len(scale.rhos)
    # rows of the evaluation: base, inference-only, train-only, O2, then both stages per rho
    pairs = ((0, 0.0), (0, RHO), (at_rho, 0.0), (o2, RHO))
    pairs += tuple((1 + i, r) for i, r in enumerate(scale.rhos))
    gap_rows = ((0, 0.0), (0, RHO), (at_rho, RHO))
    marginal = _config(scale, objective="marginal", num_samples=scale.num_samples_marginal)

    def seed(key):
        key_run, key_eval = jax.random.split(key)
        run = train_at_rates(key_run, language, rates, _config(scale))
        # the O2 run reuses the seed's language, data, initial parameters and training key
        run_o2 = train_at_rates(key_run, language, jnp.asarray([RHO]), marginal)
        params = jax.tree.map(lambda a, b: jnp.concatenate([a, b]), run.params, run_o2.params)
        m_inf = scale.num_samples_inference
        kl = evaluate_pairs(key_eval, language, run.data, params, pairs, m_inf)
        gaps = gap_pairs(key_eval, language, run.data, params, gap_rows, m_inf)
        oos = 1.0 - jnp.mean(run.data.in_support.astype(jnp.float32))
        return kl, gaps, oos, run.converged, run.best_step

    kl, gaps, oos, converged, best_step = jax.jit(jax.vmap(seed))(_seed_keys(key, scale.num_seeds))
    kl = np.asarray(kl)  # (seeds, rows, 4)
    named = {"base": kl[:, 0], "inference_only": kl[:, 1], "train_only": kl[:, 2], "o2": kl[:, 3]}
    named["both"] = kl[:, 4:]  # (seeds, rhos, 4)
    return named, np.asarray(gaps), np.asarray(oos), np.asarray(converged), np.asarray(best_step)


def synthetic_stage(key, scale, done) -> StageResult:
    """Spec checks 4, 6, 7, 8, 9 on 10k-token SCMs, one language per seed."""
    kl, gaps, oos, converged, best_step = _main_runs(key, scale)
    at_rho = scale.rhos.index(RHO)
    # index 0 = in-support KL, 1 = OOS KL (Evaluation fields kl_in, kl_oos, nll_in, nll_oos)
    base, both = kl["base"], kl["both"][:, at_rho]
    ratio_oos, ratio_in = both[:, 1] / base[:, 1], both[:, 0] / base[:, 0]
    claims = _main_claims(scale, kl, gaps, ratio_oos, ratio_in)
    arrays = {f"kl_{name}": v for name, v in kl.items()} | {
        "invariance_gaps": gaps, "oos_fraction": oos, "converged": converged,
        "best_step": best_step, "rhos": np.asarray(scale.rhos),
    }  # fmt: skip
    meta = {
        "seeds": scale.num_seeds, "n_train": scale.n_train, "n_test": scale.n_test,
        "oos_fraction_mean": float(oos.mean()), "runs_converged": int(converged.sum()),
        "runs": int(converged.size),
    }  # fmt: skip
    return StageResult(claims, arrays, {"kl_vs_rho": _kl_figure(kl, scale.rhos)}, meta=meta)


def _main_claims(scale, kl, gaps, ratio_oos, ratio_in) -> list[Claim]:
    n = scale.num_seeds
    mean_oos = {name: float(v[:, 1].mean()) for name, v in kl.items() if name != "both"}
    both_oos = kl["both"][:, :, 1].mean(0)
    at_rho = scale.rhos.index(RHO)
    r_oos, se_oos = _mean_se(ratio_oos)
    r_in, se_in = _mean_se(ratio_in)
    order = [both_oos[at_rho], mean_oos["train_only"], mean_oos["inference_only"], mean_oos["base"]]
    gap = gaps.mean(0)
    return [
        Claim.holds(
            "oos_improves", f"perturbation at rho = {RHO} (training and inference) lowers the "
            f"out-of-support KL below exact-prefix training on every one of {n} seeds",
            expected="out-of-support prediction improves (abstract)", provenance="paper",
            measured=float(ratio_oos.max()), rule="max over seeds of KL ratio < 1",
            passed=bool(np.all(ratio_oos < 1.0)),
        ),
        Claim.at_most(
            "oos_kl_ratio", "mean OOS KL(perturbed) / mean OOS KL(exact), 10k tokens",
            expected="≤ 0.75 (prototype 0.55-0.57)", provenance="derived",
            measured=float(both_oos[at_rho] / mean_oos["base"]),
            bound=0.75, uncertainty=se_oos,
        ),
        Claim.at_most(
            "in_support_competitive", "in-support KL of the perturbed model stays within 5 % "
            "of exact-prefix training (mean over seeds)",
            expected="in-support prediction stays competitive (abstract)", provenance="paper",
            measured=float(kl["both"][:, at_rho, 0].mean() / kl["base"][:, 0].mean()),
            bound=1.05, uncertainty=se_in,
        ),
        Claim.holds(
            "ablation_order", "OOS KL: both stages ≤ train-only < inference-only < exact",
            expected="0.360 ≤ 0.393 < 0.544 < 0.636 (prototype)", provenance="derived",
            measured=float(order[0]), rule="both ≤ train < inference < base (means)",
            passed=bool(order[0] <= order[1] < order[2] < order[3]),
            note="means " + ", ".join(f"{v:.3f}" for v in order),
        ),
        Claim.holds(
            "rho_monotone", "OOS KL (both stages) does not increase over rho = "
            + ", ".join(f"{r:g}" for r in scale.rhos), expected="0.516, 0.360, 0.293 (prototype)",
            provenance="derived", measured=float(both_oos[-1]), rule="non-increasing in rho",
            passed=bool(np.all(np.diff(both_oos) <= 0)),
            note="means " + ", ".join(f"{v:.3f}" for v in both_oos),
        ),
        Claim.holds(
            "objectives_beat_baseline", f"O1 (M = 1) and O2 (M = {scale.num_samples_marginal}) "
            "both lower the OOS KL below exact-prefix training",
            expected="O1 0.360, O2 0.472 vs 0.636 (prototype)", provenance="derived",
            measured=mean_oos["o2"], rule="O1 < base and O2 < base (means)",
            passed=bool(both_oos[at_rho] < mean_oos["base"] and mean_oos["o2"] < mean_oos["base"]),
            note=f"O1 {both_oos[at_rho]:.3f}, O2 {mean_oos['o2']:.3f}, base {mean_oos['base']:.3f}"
            " (the order of O1 and O2 is reported, not asserted)",
        ),
        Claim.at_most(
            "invariance_gap_ratio", "JS gap between synonym-swapped OOS contexts: perturbed / "
            "exact-prefix model", expected="≤ 0.5 (prototype 0.0049 / 0.0257)",
            provenance="derived", measured=float(gap[2] / gap[0]), bound=0.5,
            uncertainty=_mean_se(gaps[:, 2] / gaps[:, 0])[1],
        ),
        Claim.holds(
            "invariance_gap_training_matters", "the gap with both stages is below the gap "
            "with inference-only perturbation", expected="0.007 < 0.018 (prototype)",
            provenance="derived", measured=float(gap[2]), rule="gap(both) < gap(inference only)",
            passed=bool(gap[2] < gap[1]), note=f"gaps exact {gap[0]:.4f}, inference only "
            f"{gap[1]:.4f}, both {gap[2]:.4f} nats",
        ),
    ]  # fmt: skip


def _kl_figure(kl, rhos):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    grid = np.asarray((0.0, *rhos))
    for index, label in ((1, "out of support"), (0, "in support")):
        curve = np.concatenate([kl["base"][:, index].mean(0, keepdims=True),
                                kl["both"][:, :, index].mean(0)])  # fmt: skip
        ax.plot(grid, curve, marker="o", label=label)
    ax.set_xlabel("perturbation rate rho (training and inference)")
    ax.set_ylabel("mean KL(p* || p^) [nats]")
    ax.legend()
    fig.tight_layout()
    return fig


def small_data_stage(key, scale, done) -> StageResult:
    """Spec check 5 (corrected): 3k training tokens, seeds 0-4; reduction of the OOS KL."""
    language = _language(scale, scale.n_train_small)
    rates = jnp.asarray([0.0, RHO], jnp.float32)

    def seed(key):
        key_run, key_eval = jax.random.split(key)
        run = train_at_rates(key_run, language, rates, _config(scale))
        pairs = ((0, 0.0), (1, RHO))
        return evaluate_pairs(key_eval, language, run.data, run.params, pairs,
                              scale.num_samples_inference)  # fmt: skip

    kl = np.asarray(jax.jit(jax.vmap(seed))(_seed_keys(key, scale.small_seeds)))
    base, pert = kl[:, 0], kl[:, 1]
    reduction = 1.0 - pert[:, 1] / base[:, 1]
    mean, se = _mean_se(reduction)
    claims = [
        Claim.at_least(
            "small_data_reduction", f"{scale.n_train_small} training tokens: mean relative "
            f"reduction of the OOS KL over {scale.small_seeds} seeds", expected="≥ 5 % "
            "(prototype 4.6-17.6 %)", provenance="derived", measured=mean, bound=0.05,
            uncertainty=se,
        ),
        Claim.holds(
            "small_data_no_seed_worse", "no seed's perturbed model is worse out of support",
            expected="all seeds improve (prototype)", provenance="derived",
            measured=float(reduction.min()), rule="min reduction > 0",
            passed=bool(reduction.min() > 0),
        ),
    ]  # fmt: skip
    return StageResult(claims, {"small_kl_base": base, "small_kl_pert": pert})


def stress_stage(key, scale, done) -> StageResult:
    """Spec check 11 (a documented study): synonym-dependent dynamics break exchangeability."""
    language = _language(scale, scale.n_train)
    grid = (0.0, *scale.rhos)
    rates = jnp.asarray(grid, jnp.float32)
    betas = np.repeat(np.asarray(scale.stress_weights, np.float32), scale.stress_seeds)
    keys = _seed_keys(key, betas.size)

    def seed(key, beta):
        key_run, key_eval = jax.random.split(key)
        run = train_at_rates(key_run, language, rates, _config(scale), synonym_weight=beta)
        pairs = tuple(enumerate(grid))
        return evaluate_pairs(key_eval, language, run.data, run.params, pairs,
                              scale.num_samples_inference)  # fmt: skip

    kl = np.asarray(jax.jit(jax.vmap(seed))(keys, jnp.asarray(betas)))
    kl = kl.reshape(len(scale.stress_weights), scale.stress_seeds, len(grid), 4)
    return _stress_result(scale, dict(zip(scale.stress_weights, kl, strict=True)))


def _stress_result(scale, curves) -> StageResult:
    at_rho = 1 + scale.rhos.index(RHO)
    ratios = {b: c[:, :, 0].mean(0) / c[:, 0, 0].mean() for b, c in curves.items()}
    grid = (0.0, *scale.rhos)
    largest = {
        b: max([g for g, r in zip(grid, ratio, strict=True) if r <= 1.1 and g > 0], default=0.0)
        for b, ratio in ratios.items()
    }
    claims = [
        Claim.at_least(
            "stress_in_support_cost", f"synonym-driven dynamics (beta = 1): rho = {RHO} raises "
            "the in-support KL", expected="≥ 1.1x (prototype 0.055 -> 0.116)",
            provenance="derived", measured=float(ratios[1.0][at_rho]), bound=1.1,
            note="largest rho within +10 % of the baseline: "
            + ", ".join(f"beta = {b:g}: {largest[b]:g}" for b in ratios),
        ),
    ]  # fmt: skip
    arrays = {f"stress_kl_beta_{b:g}": c for b, c in curves.items()}
    meta = {f"stress_largest_rho_beta_{b:g}": largest[b] for b in ratios}
    meta |= {f"stress_in_ratio_beta_{b:g}": [float(v) for v in r] for b, r in ratios.items()}
    return StageResult(claims, arrays, meta=meta)
