"""PAIR-CI and PC against causal-learn 0.1.4.8: time per CI test and per PC run, with accuracy.

    python -m benchmarks.pair_ci

Cases (same data for both sides, in one process, after compilation):

* ``fisherz_test``: one Fisher-z test, ours (jitted) vs causal-learn ``CIT(data, "fisherz")``.
* ``fisherz_batched_vs_loop``, ``pair_ci_batched_vs_loop``: 1000 Fisher-z tests and 56 PAIR-CI
  tests as one batched (vmapped) call vs the same jitted single test called in a Python loop
  (issue target: ≥ 10× faster; batching removes per-call dispatch, so it pays for light tests).
* ``pair_ci_vs_kci_test``: one PAIR-CI test (RFF learner, incomplete data, per-test cost inside
  a batch) vs one KCI test (causal-learn, on the complete data it needs).
* ``pc_*``: whole PC-stable runs: ours with Fisher-z vs causal-learn ``fisherz``; ours with
  PAIR-CI (incomplete data) vs causal-learn ``mv_fisherz`` (test-wise deletion, same incomplete
  data) and vs causal-learn ``kci`` (complete data; target: ours no slower). SHD to the true CPDAG
  is recorded for each.
* ``pc_pair_ci_categorical`` (needs the optional ``pgmpy<1.3`` wheel for HAILFINDER): whole PC
  with PAIR-CI's multinomial-logistic imputer and learner on a 12-variable ancestral HAILFINDER
  subnetwork with first-state MNAR vs causal-learn's ``gsq`` PC on the complete data.

Every case records the 1-minute load average: numbers taken while it is above ~1.5 on 2 cores
are not results.
"""

from __future__ import annotations

import os
import time

import numpy as np

import jax
import jax.numpy as jnp

import jaxpapers.pair_ci as pc
from benchmarks.runner import compare, write_results
from jaxpapers import _mesh

P, N_NONLIN, N_LIN, DEPTH = 8, 400, 1000, 2


def _graph(seed, n, nonlinear):
    key_g, key_s, key_m = jax.random.split(jax.random.key(seed), 3)
    weights = pc.random_dag(key_g, P)
    complete = pc.simulate_sem(key_s, weights, n, nonlinear=nonlinear)
    return np.asarray(weights), complete, pc.mnar_self_masking(key_m, complete)


def _cl_shd(graph, truth):
    # causal-learn: G.graph[j, i] = 1 and G.graph[i, j] = -1 means i → j; -1/-1 undirected.
    g = graph.G.graph
    est = ((g == -1) & (g.T == 1)).astype(int).T + ((g == -1) & (g.T == -1)).astype(int)
    return pc.shd(est, truth).shd


def main():
    from causallearn.search.ConstraintBased.PC import pc as cl_pc
    from causallearn.utils.cit import CIT

    cases = []
    w_lin, lin, lin_missing = _graph(0, N_LIN, False)
    w_nl, nonlin, nonlin_missing = _graph(1, N_NONLIN, True)
    cond = jnp.array([2, 3], jnp.int32)
    mask = jnp.ones(2, bool)

    fz = jax.jit(lambda d: pc.fisher_z_test(d, 0, 1, cond, mask).pvalue)
    lin64 = np.asarray(lin, np.float64)
    cases.append(compare(
        "fisherz_test", f"n={N_LIN}, |S|=2", lambda: fz(lin),
        {"causal-learn fisherz": lambda: CIT(lin64, "fisherz")(0, 1, [2, 3])}, repeats=20,
    ))  # fmt: skip

    # Light tests: per-call dispatch dominates, which is what batching removes.
    fz_state = pc.fisher_z_tester(lin)
    rng = np.random.default_rng(0)
    fz_rows = np.array([rng.choice(P, 4, replace=False) for _ in range(1000)], np.int32)
    fz_x, fz_y = jnp.asarray(fz_rows[:, 0]), jnp.asarray(fz_rows[:, 1])
    fz_s, fz_m = jnp.asarray(fz_rows[:, 2:]), jnp.ones((1000, 2), bool)
    fz_batched = jax.jit(jax.vmap(fz_state.fn, in_axes=(None, 0, 0, 0, 0)))
    fz_single = jax.jit(fz_state.fn)

    def fz_loop():
        return [fz_single(fz_state.state, fz_x[t], fz_y[t], fz_s[t], fz_m[t]) for t in range(1000)]

    cases.append(compare(
        "fisherz_batched_vs_loop", "1000 Fisher-z tests, |S|=2",
        lambda: fz_batched(fz_state.state, fz_x, fz_y, fz_s, fz_m),
        {"same tests, Python loop": fz_loop}, repeats=5, peer_repeats=3,
    ))  # fmt: skip

    cfg = pc.Config(n_folds=5, n_imputations=5, learner="rff")
    tester = pc.pair_ci_tester(jax.random.key(2), nonlin_missing, cfg)
    mesh = _mesh.make_mesh()
    batched = _mesh.sharded_vmap(tester.fn, mesh, in_axes=(None, 0, 0, 0, 0))
    single = jax.jit(tester.fn)
    pairs = [(i, j) for i in range(P) for j in range(P) if i != j]  # 56 tests
    xs = jnp.array([i for i, _ in pairs], jnp.int32)
    ys = jnp.array([j for _, j in pairs], jnp.int32)
    conds = jnp.array([[k for k in range(P) if k not in (i, j)][:2] for i, j in pairs], jnp.int32)
    masks = jnp.ones((len(pairs), 2), bool)

    def loop():
        return [single(tester.state, xs[t], ys[t], conds[t], masks[t]) for t in range(len(pairs))]

    cases.append(compare(
        "pair_ci_batched_vs_loop", f"{len(pairs)} symmetrised tests, n={N_NONLIN}, K=m=5, RFF",
        lambda: batched(tester.state, xs, ys, conds, masks),
        {"same tests, Python loop": loop}, repeats=3,
    ))  # fmt: skip
    batch_s = cases[-1].ours_s
    nl64 = np.asarray(nonlin, np.float64)
    kci_case = compare(
        "pair_ci_vs_kci_test", f"one test, n={N_NONLIN}, |S|=2",
        lambda: batched(tester.state, xs, ys, conds, masks),
        {"causal-learn kci": lambda: CIT(nl64, "kci")(0, 1, [2, 3])}, repeats=3, peer_repeats=3,
        note=f"ours = batch time / {len(pairs)} tests",
    )  # fmt: skip
    kci_case.ours_s = batch_s / len(pairs)
    cases.append(kci_case)

    truth_lin, truth_nl = pc.dag_to_cpdag(w_lin), pc.dag_to_cpdag(w_nl)
    fz_tester = pc.fisher_z_tester(lin)
    ours_fz = pc.pc(lin, fz_tester, max_cond_set_size=DEPTH)
    cl_fz = cl_pc(lin64, 0.05, "fisherz", stable=True, depth=DEPTH, show_progress=False)
    cases.append(compare(
        "pc_fisherz", f"p={P}, n={N_LIN}, linear, complete",
        lambda: pc.pc(lin, fz_tester, max_cond_set_size=DEPTH),
        {"causal-learn pc fisherz": lambda: cl_pc(lin64, 0.05, "fisherz", stable=True,
                                                  depth=DEPTH, show_progress=False)},
        repeats=3, shd_ours=pc.shd(ours_fz.cpdag, truth_lin).shd,
        shd_peer=_cl_shd(cl_fz, truth_lin),
    ))  # fmt: skip

    def ours_pair_ci_pc():  # the whole run: imputation (cached per data set) + every test
        t = pc.pair_ci_tester(jax.random.key(3), nonlin_missing, cfg)
        return pc.pc(nonlin_missing, t, max_cond_set_size=DEPTH)

    start = time.perf_counter()
    ours_nl = ours_pair_ci_pc()  # includes compiling the batched test (2 shapes)
    first_run_s = time.perf_counter() - start
    nlm64 = np.asarray(nonlin_missing, np.float64)
    start = time.perf_counter()
    cl_kci = cl_pc(nl64, 0.05, "kci", stable=True, depth=DEPTH, show_progress=False)
    kci_s = time.perf_counter() - start
    cl_mv = cl_pc(nlm64, 0.05, "mv_fisherz", stable=True, depth=DEPTH, show_progress=False)
    case = compare(
        "pc_pair_ci", f"p={P}, n={N_NONLIN}, non-linear, MNAR (KCI: complete data)",
        ours_pair_ci_pc,
        {"causal-learn pc mv_fisherz": lambda: cl_pc(nlm64, 0.05, "mv_fisherz", stable=True,
                                                     depth=DEPTH, show_progress=False)},
        repeats=2, peer_repeats=2, shd_ours=pc.shd(ours_nl.cpdag, truth_nl).shd,
        shd_mv_fisherz=_cl_shd(cl_mv, truth_nl), shd_kci=_cl_shd(cl_kci, truth_nl),
        n_tests_ours=ours_nl.n_tests, first_run_with_compile_s=first_run_s,
    )  # fmt: skip
    case.peers_s["causal-learn pc kci (1 run)"] = kci_s
    cases.append(case)
    categorical = _categorical_case(cl_pc)
    if categorical is not None:
        cases.append(categorical)
    for case in cases:
        case.extra.setdefault("load_1min", round(os.getloadavg()[0], 2))
    path = write_results("pair_ci", cases)
    print(f"wrote {path}")


def _categorical_case(cl_pc):
    """PC with the multinomial PAIR-CI on HAILFINDER (12 ancestral variables) vs gsq."""
    try:
        path = pc.hailfinder_path()
    except FileNotFoundError as error:
        print(f"skipping pc_pair_ci_categorical: {error}")
        return None
    network = pc.load_bif(path)
    keep = pc.ancestral_subset(network.adjacency(), 12)
    cards = tuple(network.cardinalities[i] for i in keep)
    truth = pc.dag_to_cpdag(network.adjacency()[np.ix_(keep, keep)])
    key_s, key_m, key_t = jax.random.split(jax.random.key(4), 3)
    complete = pc.sample_bayes_net(key_s, network, 1000)[:, keep]
    incomplete = pc.mnar_first_state(key_m, complete, n_nodes=4)
    cfg = pc.Config(5, 3, learner="categorical", imputation_sweeps=2, logistic_steps=30)

    def ours():
        tester = pc.pair_ci_tester(key_t, incomplete, cfg, cards)
        return pc.pc(incomplete, tester, max_cond_set_size=1, batch_size=32)

    codes = np.asarray(complete, np.float64)

    def gsq():
        return cl_pc(codes, 0.05, "gsq", stable=True, depth=1, show_progress=False)

    return compare(
        "pc_pair_ci_categorical", f"HAILFINDER {len(keep)} variables, n=1000, MNAR, K=5, m=3",
        ours, {"causal-learn pc gsq (complete data)": gsq}, repeats=2, peer_repeats=2,
        shd_ours=pc.shd(ours().cpdag, truth).shd, shd_gsq=_cl_shd(gsq(), truth),
    )  # fmt: skip


if __name__ == "__main__":
    main()
