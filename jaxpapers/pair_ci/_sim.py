"""Simulation studies shared by the reproduction, the tests and the notebook.

* :func:`calibration_pvalues`: p-values of PAIR-CI and impute-then-Fisher-z on ``reps``
  independent confounder data sets (vmapped over replications, ``lax.map`` bounds memory).
* :func:`pc_comparison`: PC with oracle Fisher-z, impute-then-test and PAIR-CI on one data set.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers._typing import PRNGKey
from jaxpapers.pair_ci._api import fisher_z_tester, g_tester, impute_then_test, pair_ci_tester
from jaxpapers.pair_ci._baselines import fisher_z_test
from jaxpapers.pair_ci._data import simulate_confounder
from jaxpapers.pair_ci._graph import shd
from jaxpapers.pair_ci._impute import chained_imputation, impute_folds
from jaxpapers.pair_ci._pc import pc
from jaxpapers.pair_ci._test import pair_ci_from_cache
from jaxpapers.pair_ci._types import Config

__all__ = ["calibration_pvalues", "pc_comparison", "rejection_interval"]


def _one_replication(key, numeric, n, config, static, exclude_target):
    key_data, key_naive, key_test = jax.random.split(key, 3)
    data = simulate_confounder(key_data, n, **static, **numeric)
    p = data.shape[1]
    cond = jnp.arange(2, p, dtype=jnp.int32)
    mask = jnp.ones(p - 2, bool)
    everything = jnp.ones(n, bool)
    naive = fisher_z_test(chained_imputation(key_naive, data, everything, config), 1, 0, cond, mask)
    exclude = jnp.zeros(p, bool).at[0].set(True) if exclude_target else None
    cache = impute_folds(key_test, data, config, None, exclude)
    result = pair_ci_from_cache(cache, 1, 0, cond, mask, config)
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
) -> dict[str, tuple[int, int, int, int]]:
    """SHD (shd, skeleton, extra, missing) of PC with the oracle, the naive test and PAIR-CI.

    ``diagnose`` adds ``"pair_ci_complete"``: PAIR-CI on the complete data, which separates the
    test's own power from the effect of missingness.
    """
    key_naive, key_pair = jax.random.split(key)
    if cardinalities is None:
        oracle = fisher_z_tester(complete)
    else:
        oracle = g_tester(complete, cardinalities)
    testers = {
        "oracle": oracle,
        "naive": impute_then_test(key_naive, incomplete, config, cardinalities),
        "pair_ci": pair_ci_tester(key_pair, incomplete, config, cardinalities),
    }
    if diagnose:
        testers["pair_ci_complete"] = pair_ci_tester(key_pair, complete, config, cardinalities)
    out = {}
    for name, tester in testers.items():
        result = pc(complete, tester, alpha=alpha, max_cond_set_size=max_cond_set_size)
        out[name] = tuple(shd(result.cpdag, truth))
    return out
