"""Reproduction of PAIR-CI (Robinson & Lall 2026, arXiv:2605.04838), headline claims.

    jaxpapers reproduce pair_ci --quick     # ~1.5 min on a 2-core CPU
    jaxpapers reproduce pair_ci --full      # paper-like scale (hours on CPU; use a GPU)

Stages:

1. Calibration under MNAR confounder missingness (spec C-null): false-positive rate of
   impute-then-Fisher-z vs PAIR-CI at several n, with Wilson binomial intervals (figure: FPR vs n).
   Paper: existing imputation-based tests 28–45 % FPR under MNAR, PAIR-CI below 5 %.
2. Power under the alternative (β = 0.25, MNAR).
3. PC's structural Hamming distance (CPDAG) with oracle Fisher-z (complete data), naive
   impute-then-test and PAIR-CI on random linear / non-linear graphs and on HAILFINDER
   (figure: SHD bars). Paper: SHD −8 % (10-var non-linear), −15 % (30-var), up to −44 %
   (HAILFINDER). Claims compare the measured relative SHD reduction with the paper's number.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

import jax

from jaxpapers._loop import progress
from jaxpapers._registry import Reproduction
from jaxpapers._typing import PRNGKey
from jaxpapers.pair_ci._bif import hailfinder_path, load_bif, mnar_first_state, sample_bayes_net
from jaxpapers.pair_ci._data import mnar_self_masking, random_dag, simulate_sem
from jaxpapers.pair_ci._graph import ancestral_subset, dag_to_cpdag
from jaxpapers.pair_ci._sim import calibration_pvalues, pc_comparison, rejection_interval
from jaxpapers.pair_ci._types import Config as TestConfig
from jaxpapers.report import Claim, Report

__all__ = ["Config", "REPRODUCTION", "run"]


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes of the reproduction.

    Attributes:
        calibration_ns: sample sizes of the MNAR calibration study.
        calibration_reps: replications per sample size.
        power_n, power_reps: the alternative (β = 0.25, MNAR).
        folds, imputations: K and m of PAIR-CI in the calibration study.
        graph_sizes: (p, n, number of graphs, non-linear) of each PC study.
        graph_folds, graph_imputations: K and m of PAIR-CI inside PC.
        max_cond_set_size: PC's largest conditioning set on random graphs.
        hailfinder_n, hailfinder_datasets, hailfinder_folds, hailfinder_imputations,
        hailfinder_max_cond: the HAILFINDER study.
        hailfinder_nodes: keep at most this many variables of HAILFINDER, closed under taking
            parents (an ancestral set, so the kept variables' true DAG is the induced
            subgraph: no latent confounders); None keeps all 56. Quick runs use a subnetwork
            because PAIR-CI with the categorical learner on all 1540 pairs takes many minutes
            on a CPU.
    """

    calibration_ns: tuple[int, ...] = (1000, 2000)
    calibration_reps: int = 80
    power_n: int = 1000
    power_reps: int = 40
    folds: int = 5
    imputations: int = 5
    graph_sizes: tuple[tuple[int, int, int, bool], ...] = (
        (10, 1000, 2, False),
        (10, 500, 1, True),
    )
    graph_folds: int = 5
    graph_imputations: int = 5
    max_cond_set_size: int = 2
    hailfinder_n: int = 500
    hailfinder_datasets: int = 1
    hailfinder_folds: int = 3
    hailfinder_imputations: int = 2
    hailfinder_max_cond: int = 1
    hailfinder_nodes: int | None = 12

    @classmethod
    def quick(cls) -> Config:
        return cls()

    @classmethod
    def full(cls) -> Config:
        return cls(
            calibration_ns=(500, 1000, 2000, 5000),
            calibration_reps=300,
            power_n=2000,
            power_reps=200,
            graph_sizes=((10, 2000, 10, False), (10, 1000, 10, True), (30, 1000, 5, True)),
            graph_folds=10,
            graph_imputations=10,
            max_cond_set_size=3,
            hailfinder_n=2000,
            hailfinder_datasets=5,
            hailfinder_folds=5,
            hailfinder_imputations=5,
            hailfinder_max_cond=2,
            hailfinder_nodes=None,
        )


PAPER_SHD_GAIN = {(10, True): 0.08, (30, True): 0.15, "hailfinder": 0.44}


def _calibration(key, cfg, report):
    test_cfg = TestConfig(cfg.folds, cfg.imputations, imputation_sweeps=1)  # only Z is missing
    rows = []
    for i, n in enumerate(progress(cfg.calibration_ns, desc="calibration (MNAR)")):
        naive, pair = calibration_pvalues(
            jax.random.fold_in(key, i), cfg.calibration_reps, n, test_cfg
        )
        rows.append((n, *rejection_interval(naive), *rejection_interval(pair)))
    rows = np.asarray(rows)
    report.add_arrays(calibration=rows)
    n_max = rows[-1]
    reps = cfg.calibration_reps
    n_top = int(n_max[0])
    # The paper's 28–45 % is for its own DGPs and n; the spec's C3 gate on C-null is ≥ 0.25 at
    # n = 2000 (prototype 0.34; 0.18 at n = 1000, 0.475 at n = 5000: it grows with n).
    naive_bound = 0.25 if n_top >= 2000 else 0.12
    report.add(
        Claim.at_least(
            "naive_fpr_mnar",
            f"impute-then-Fisher-z FPR under MNAR, n={n_top} (far above the nominal 0.05)",
            paper="0.28–0.45",
            provenance="P; gate: spec C3",
            measured=n_max[1],
            uncertainty=n_max[2],
            bound=naive_bound,
            note=f"{reps} reps; Wilson 95% half-width; spec prototype "
            "0.18 at n=1000, 0.34 at n=2000, 0.475 at n=5000",
        ),  # fmt: skip
        Claim.at_most(
            "pair_ci_fpr_mnar",
            "PAIR-CI FPR under MNAR (worst n)",
            paper="< 0.05",
            provenance="P",
            measured=float(rows[:, 3].max()),
            bound=0.05,
            uncertainty=float(rows[np.argmax(rows[:, 3]), 4]),
            note=f"{reps} reps per n, n in {list(cfg.calibration_ns)}",
        ),  # fmt: skip
    )
    return rows


def _power(key, cfg, report):
    test_cfg = TestConfig(cfg.folds, cfg.imputations, imputation_sweeps=1)
    _, pair = calibration_pvalues(key, cfg.power_reps, cfg.power_n, test_cfg, beta=0.25)
    rate, half = rejection_interval(pair)
    report.add(
        Claim.at_least(
            "pair_ci_power",
            f"PAIR-CI power, beta=0.25, MNAR, n={cfg.power_n}",
            paper="0.63 (n=1000) / 0.96 (n=2000)",
            provenance="spec prototype",
            measured=rate,
            uncertainty=half,
            bound=0.5 if cfg.power_n < 2000 else 0.85,
            note=f"{cfg.power_reps} reps; the paper reports no power number",
        )  # fmt: skip
    )


def _graph_study(key, p, n, count, nonlinear, cfg):
    learner = "rff" if nonlinear else "linear"
    test_cfg = TestConfig(cfg.graph_folds, cfg.graph_imputations, learner=learner)
    results = []
    for g in progress(range(count), desc=f"PC {p}-var {'non' if nonlinear else ''}linear"):
        key_g, key_s, key_m, key_t = jax.random.split(jax.random.fold_in(key, g), 4)
        weights = random_dag(key_g, p)
        complete = simulate_sem(key_s, weights, n, nonlinear=nonlinear)
        incomplete = mnar_self_masking(key_m, complete)
        truth = dag_to_cpdag(np.asarray(weights))
        out = pc_comparison(
            key_t, complete, incomplete, truth, test_cfg,
            max_cond_set_size=cfg.max_cond_set_size, diagnose=nonlinear,
        )  # fmt: skip
        out.setdefault("pair_ci_complete", (np.nan,) * 4)
        results.append([out[k] for k in ("oracle", "naive", "pair_ci", "pair_ci_complete")])
    return np.asarray(results, float)  # (graphs, method, [shd, skel, extra, missing])


def _hailfinder(key, cfg):
    network = load_bif(hailfinder_path())
    adjacency = network.adjacency()
    keep = ancestral_subset(adjacency, cfg.hailfinder_nodes)
    cards = tuple(network.cardinalities[i] for i in keep)
    test_cfg = TestConfig(
        cfg.hailfinder_folds, cfg.hailfinder_imputations, learner="categorical",
        imputation_sweeps=2, logistic_steps=10,
    )  # fmt: skip
    truth = dag_to_cpdag(adjacency[np.ix_(keep, keep)])
    masked_nodes = max(1, round(20 * len(keep) / adjacency.shape[0]))  # spec: 20 of 56 nodes
    results = []
    for d in progress(range(cfg.hailfinder_datasets), desc="PC HAILFINDER"):
        key_s, key_m, key_t = jax.random.split(jax.random.fold_in(key, d), 3)
        complete = sample_bayes_net(key_s, network, cfg.hailfinder_n)[:, keep]
        incomplete = mnar_first_state(key_m, complete, n_nodes=masked_nodes)
        out = pc_comparison(
            key_t, complete, incomplete, truth, test_cfg,
            max_cond_set_size=cfg.hailfinder_max_cond, cardinalities=cards,
        )  # fmt: skip
        results.append([out[k] for k in ("oracle", "naive", "pair_ci")] + [(np.nan,) * 4])
    return np.asarray(results, float)


def _shd_summary(results):
    """Mean (method × [shd, skeleton, extra, missing]), SHD reduction of PAIR-CI, and a note."""
    mean = results.mean(axis=0)
    naive, pair = mean[1, 0], mean[2, 0]
    gain = (naive - pair) / naive if naive > 0 else 0.0
    detail = (
        f"{len(results)} graphs; mean SHD oracle/naive/PAIR-CI = {mean[0, 0]:.1f}/{naive:.1f}/"
        f"{pair:.1f}; extra {mean[1, 2]:.1f} vs {mean[2, 2]:.1f}, missing {mean[1, 3]:.1f} vs "
        f"{mean[2, 3]:.1f} (naive vs PAIR-CI)"
    )
    if np.isfinite(mean[3, 0]):
        detail += (
            f"; PAIR-CI on the complete data: SHD {mean[3, 0]:.1f} (extra {mean[3, 2]:.1f}, "
            f"missing {mean[3, 3]:.1f})"
        )
    return mean, gain, detail


def _shd_claim(claim_id, label, results, paper_gain):
    _, gain, detail = _shd_summary(results)
    return Claim.at_least(
        claim_id, f"PC SHD reduction of PAIR-CI vs naive, {label}", paper=paper_gain,
        provenance="P", measured=gain, bound=paper_gain, note=detail,
    )  # fmt: skip


def _extra_edges_claim(claim_id, label, results):
    """Linear graphs, where the paper gives no number: spec C7's false-adjacency check."""
    mean, gain, detail = _shd_summary(results)
    extra_naive, extra_pair = mean[1, 2], mean[2, 2]
    return Claim.holds(
        claim_id,
        f"PC false adjacencies, PAIR-CI vs naive, {label}: PAIR-CI ≤ 0.5 and ≤ naive − 2",
        paper="(no number)", provenance="gate: spec C7", measured=extra_pair,
        rule=f"measured ≤ min(0.5, {extra_naive:.1f} − 2)",
        passed=bool(extra_pair <= min(0.5, extra_naive - 2.0)),
        note=f"{detail}; SHD reduction {gain:+.0%} (spec prototype, skeleton SHD naive → "
        "PAIR-CI: 4.3 → 3.9 at K=m=10, 4.0 → 6.1 at K=m=5; the gain depends on power)",
    )  # fmt: skip


def _figures(report, calibration, studies):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for col, label in ((1, "impute-then-Fisher-z"), (3, "PAIR-CI")):
        ax.errorbar(calibration[:, 0], calibration[:, col], yerr=calibration[:, col + 1],
                    marker="o", capsize=3, label=label)  # fmt: skip
    ax.axhline(0.05, color="grey", ls="--", lw=1)
    ax.set(xscale="log", xlabel="n", ylabel="false-positive rate (α = 0.05)", title="MNAR")
    ax.legend()
    report.add_figure("fpr_vs_n", fig)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    width = 0.25
    for m, label in enumerate(("oracle Fisher-z/G", "impute-then-test", "PAIR-CI")):
        means = [res.mean(axis=0)[m, 0] for res in studies.values()]
        ax.bar(np.arange(len(studies)) + (m - 1) * width, means, width, label=label)
    ax.set_xticks(np.arange(len(studies)), list(studies))
    ax.set(ylabel="mean SHD (CPDAG)")
    ax.legend()
    report.add_figure("shd_bars", fig)


def run(config: Config, key: PRNGKey, workdir: Path) -> Report:
    """Run every stage (module docstring) and return the report."""
    report = Report("pair_ci", "PAIR-CI calibration under MNAR and PC structure recovery", workdir)
    report.meta.update(config=config)
    key_cal, key_pow, key_graph, key_hail = jax.random.split(key, 4)
    calibration = _calibration(key_cal, config, report)
    _power(key_pow, config, report)
    studies = {}
    for i, (p, n, count, nonlinear) in enumerate(config.graph_sizes):
        label = f"{p}-var {'non-linear' if nonlinear else 'linear'}, n={n}"
        results = _graph_study(jax.random.fold_in(key_graph, i), p, n, count, nonlinear, config)
        studies[f"{p}{'nl' if nonlinear else 'lin'}"] = results
        report.add_arrays(**{f"shd_{p}_{'nonlin' if nonlinear else 'lin'}": results})
        kind = "nonlin" if nonlinear else "lin"
        if (p, nonlinear) in PAPER_SHD_GAIN:
            claim = _shd_claim(
                f"shd_gain_{p}var_{kind}", label, results, PAPER_SHD_GAIN[(p, nonlinear)]
            )
        else:
            claim = _extra_edges_claim(f"extra_edges_{p}var_{kind}", label, results)
        report.add(claim)
    try:
        hail = _hailfinder(key_hail, config)
    except FileNotFoundError as error:
        report.add(Claim.not_run("shd_gain_hailfinder", "PC SHD reduction on HAILFINDER",
                                 paper=0.44, provenance="P", reason=str(error)))  # fmt: skip
    else:
        studies["hailfinder"] = hail
        report.add_arrays(shd_hailfinder=hail)
        nodes = config.hailfinder_nodes or 56
        label = (
            f"HAILFINDER ({nodes} ancestral variables of 56), n={config.hailfinder_n}, "
            f"max|S|={config.hailfinder_max_cond}"
        )
        report.add(_shd_claim("shd_gain_hailfinder", label, hail, PAPER_SHD_GAIN["hailfinder"]))
    _figures(report, calibration, studies)
    return report


REPRODUCTION = Reproduction(
    name="pair_ci",
    title="PAIR-CI: calibrated CI testing with missing data, and PC structure recovery",
    paper="Robinson & Lall (2026), PAIR-CI, arXiv:2605.04838",
    quick=Config.quick,
    full=Config.full,
    run=run,
)
