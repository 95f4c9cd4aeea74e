"""Simulation studies shared by the reproduction, the tests and the notebook.

* :func:`calibration_pvalues`: p-values of PAIR-CI and impute-then-Fisher-z on ``reps``
  independent confounder data sets (``lax.map`` over replications bounds memory).
* :func:`pc_comparison`: PC with oracle Fisher-z (or G), impute-then-test and PAIR-CI on one
  data set; :func:`random_graph_study` repeats it over random DAGs (spec §6.2 C-graph-lin and
  C-graph-nonlin).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers._loop import progress
from jaxpapers._typing import PRNGKey
from jaxpapers.pair_ci._api import fisher_z_tester, g_tester, impute_then_tester, pair_ci_tester
from jaxpapers.pair_ci._baselines import fisher_z_test
from jaxpapers.pair_ci._bif import BayesNet, mnar_first_state, sample_bayes_net
from jaxpapers.pair_ci._data import mnar_self_masking, random_dag, simulate_confounder, simulate_sem
from jaxpapers.pair_ci._graph import dag_to_cpdag, shd
from jaxpapers.pair_ci._impute import impute_chained, impute_folds
from jaxpapers.pair_ci._pc import pc
from jaxpapers.pair_ci._statistic import pair_ci_directed
from jaxpapers.pair_ci._types import Config

__all__ = [
    "METHODS",
    "METRICS",
    "bayes_net_study",
    "calibration_pvalues",
    "pc_comparison",
    "random_graph_study",
    "rejection_interval",
]

METHODS = ("oracle", "naive", "pair_ci", "pair_ci_complete")
"""Rows of a study array: oracle test on complete data, impute-then-test, PAIR-CI, and PAIR-CI
on the complete data (NaN unless ``diagnose``)."""
METRICS = (
    "shd",
    "skeleton_shd",
    "extra",
    "missing",
    "unconverged_tests",
    "unconverged_imputations",
)
"""Columns of a study array: :class:`StructureDistance`, :attr:`PCResult.unconverged_tests` and
the fraction of imputation chains (of K × m) that did not converge (PAIR-CI rows only)."""


def _one_replication(key, numeric, n, config, static, exclude_target):
    key_data, key_naive, key_test = jax.random.split(key, 3)
    data = simulate_confounder(key_data, n, **static, **numeric)
    p = data.shape[1]
    cond = jnp.arange(2, p, dtype=jnp.int32)
    mask = jnp.ones(p - 2, bool)
    everything = jnp.ones(n, bool)
    completed, _ = impute_chained(key_naive, data, everything, config)
    naive = fisher_z_test(completed, 1, 0, cond, mask)
    exclude = jnp.zeros(p, bool).at[0].set(True) if exclude_target else None
    cache = impute_folds(key_test, data, config, None, exclude)
    result = pair_ci_directed(cache, 1, 0, cond, mask, config)
    return naive.pvalue, result.pvalue


@functools.partial(jax.jit, static_argnames=("reps", "n", "config", "static", "exclude_target"))
def _calibration(key, numeric, reps, n, config, static, exclude_target):
    keys = jax.random.split(key, reps)
    run = functools.partial(
        _one_replication, numeric=numeric, n=n, config=config, static=dict(static),
        exclude_target=exclude_target,
    )  # fmt: skip
    # A sequential map: vmapping the whole replication over reps multiplies compile time ~10x
    # (the imputer's per-column branches become selects), for little speed on a CPU.
    return jax.lax.map(run, keys)


def calibration_pvalues(
    key: PRNGKey,
    reps: int,
    n: int,
    config: Config = Config(),  # noqa: B008  (frozen, hashable)
    *,
    exclude_target: bool = False,
    **dgp: Any,
) -> tuple[Float[Array, " reps"], Float[Array, " reps"]]:
    """p-values (naive impute-then-Fisher-z, PAIR-CI X → Y) of ``reps`` confounder data sets.

    ``dgp`` goes to :func:`simulate_confounder` (``beta``, ``mechanism``, ``n_aux``...);
    ``exclude_target`` leaves Y out of the PAIR-CI imputation model (spec check C6).
    """
    static = {k: dgp.pop(k) for k in ("mechanism", "n_aux") if k in dgp}
    static.setdefault("mechanism", "mnar")
    numeric = {
        "beta": 0.0, "missing_rate": 0.4, "z_on_w": 0.8, "x_on_z": 1.0, "y_on_z": 1.0,
        "strength": 2.0 if static["mechanism"] == "mar" else 2.5, **dgp,
    }  # fmt: skip
    numeric = {k: jnp.asarray(v, jnp.float32) for k, v in numeric.items()}
    return _calibration(
        key, numeric, reps, n, config, tuple(sorted(static.items())), exclude_target
    )


def rejection_interval(pvalues: Any, alpha: float = 0.05, z: float = 1.96) -> tuple[float, float]:
    """Rejection rate at ``alpha`` and its binomial (Wilson) half-width at ``z``."""
    rejected = np.asarray(pvalues) < alpha
    count, rate = rejected.size, float(np.mean(rejected))
    centre = (rate + z * z / (2 * count)) / (1 + z * z / count)
    half = (
        z * np.sqrt(rate * (1 - rate) / count + z * z / (4 * count * count)) / (1 + z * z / count)
    )
    return rate, float(max(abs(centre - rate) + half, 0.0))


def pc_comparison(
    key: PRNGKey,
    complete: Float[Array, "n p"],
    incomplete: Float[Array, "n p"],
    truth: np.ndarray,
    config: Config,
    *,
    alpha: float = 0.05,
    max_cond_set_size: int = 2,
    cardinalities: tuple[int, ...] | None = None,
    diagnose: bool = False,
    batch_size: int = 32,
) -> dict[str, tuple[int, ...]]:
    """:data:`METRICS` of PC with the oracle, the naive test and PAIR-CI on one data set.

    ``diagnose`` adds ``"pair_ci_complete"``: PAIR-CI on the complete data, which separates the
    test's own power from the effect of missingness. ``batch_size`` 32 gives PC one compiled
    batch shape per tester (its small-level bucket is 32 as well).
    """
    key_naive, key_pair = jax.random.split(key)
    if cardinalities is None:
        oracle = fisher_z_tester(complete)
    else:
        oracle = g_tester(complete, cardinalities)
    testers = {
        "oracle": oracle,
        "naive": impute_then_tester(key_naive, incomplete, config, cardinalities),
        "pair_ci": pair_ci_tester(key_pair, incomplete, config, cardinalities),
    }
    if diagnose:
        testers["pair_ci_complete"] = pair_ci_tester(key_pair, complete, config, cardinalities)
    out = {}
    for name, tester in testers.items():
        result = pc(
            complete, tester, alpha=alpha, max_cond_set_size=max_cond_set_size,
            batch_size=batch_size,
        )  # fmt: skip
        chains = getattr(tester.state, "converged", None)
        failed = float(np.mean(~np.asarray(chains))) if chains is not None else 0.0
        out[name] = (*shd(result.cpdag, truth), result.unconverged_tests, failed)
    return out


def random_graph_study(
    key: PRNGKey,
    p: int,
    n: int,
    count: int,
    config: Config,
    *,
    nonlinear: bool = False,
    max_cond_set_size: int = 2,
    diagnose: bool = False,
) -> np.ndarray:
    """:func:`pc_comparison` on ``count`` random DAGs with MNAR self-masking (spec §6.2).

    Graph g uses ``fold_in(key, g)``: a DAG with expected degree 2, ``n`` rows of its linear or
    non-linear SEM, self-masking MNAR on half of the variables.

    Returns:
        ``(count, len(METHODS), len(METRICS))`` floats (NaN where a method did not run).
    """
    results = np.full((count, len(METHODS), len(METRICS)), np.nan)
    kind = "non-linear" if nonlinear else "linear"
    # One PC run per graph, each driven from the host (PC's control flow depends on the data),
    # so this is a plain loop with a progress bar rather than a chunked scan.
    for g in progress(range(count), desc=f"PC {p}-var {kind}", leave=False):
        key_g, key_s, key_m, key_t = jax.random.split(jax.random.fold_in(key, g), 4)
        weights = random_dag(key_g, p)
        complete = simulate_sem(key_s, weights, n, nonlinear=nonlinear)
        incomplete = mnar_self_masking(key_m, complete)
        truth = dag_to_cpdag(np.asarray(weights))
        out = pc_comparison(
            key_t, complete, incomplete, truth, config, max_cond_set_size=max_cond_set_size,
            diagnose=diagnose,
        )  # fmt: skip
        for m, name in enumerate(METHODS):
            if name in out:
                results[g, m] = out[name]
    return results


def bayes_net_study(
    key: PRNGKey,
    network: BayesNet,
    keep: np.ndarray,
    n: int,
    count: int,
    config: Config,
    *,
    masked_nodes: int,
    max_cond_set_size: int = 2,
) -> np.ndarray:
    """:func:`pc_comparison` on ``count`` data sets of a discrete Bayesian network (C-hailfinder).

    Data set d uses ``fold_in(key, d)``: ``n`` ancestral samples of the variables ``keep`` (an
    ancestral set, so their true DAG is the induced subgraph), and first-state MNAR on
    ``masked_nodes`` random variables (:func:`mnar_first_state`). The oracle is the G-test on
    the complete data.

    Returns:
        ``(count, len(METHODS), len(METRICS))`` floats; the ``pair_ci_complete`` row is NaN.
    """
    adjacency = network.adjacency()
    cards = tuple(network.cardinalities[i] for i in keep)
    truth = dag_to_cpdag(adjacency[np.ix_(keep, keep)])
    results = np.full((count, len(METHODS), len(METRICS)), np.nan)
    for d in progress(range(count), desc=f"PC {len(keep)}-var network", leave=False):
        key_s, key_m, key_t = jax.random.split(jax.random.fold_in(key, d), 3)
        complete = sample_bayes_net(key_s, network, n)[:, np.asarray(keep)]
        incomplete = mnar_first_state(key_m, complete, n_nodes=masked_nodes)
        out = pc_comparison(
            key_t, complete, incomplete, truth, config, max_cond_set_size=max_cond_set_size,
            cardinalities=cards,
        )  # fmt: skip
        for m, name in enumerate(METHODS[:3]):
            results[d, m] = out[name]
    return results
