"""Simulation studies: bias, SD, RMSE and coverage of the four estimators over replications.

One replication simulates a data set of a scenario (:func:`simulate`) and fits the four
estimators from one nuisance fit; optionally it also runs the two-sample bootstrap. The
replications run as one compiled program: the keys are split over the devices
(:func:`jaxpapers._mesh.sharded_vmap`) and each device maps over its share in batches
(``jax.lax.map``), which bounds memory (a data set draws 5(n_S + n_T) population units).
"""

from __future__ import annotations

import functools
import math
from statistics import NormalDist

import jax
import jax.numpy as jnp

from jaxpapers import _mesh, _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.transfer_regression._bootstrap import replicate_all, summarise_replicates
from jaxpapers.transfer_regression._fit import DEFAULT, estimate_all
from jaxpapers.transfer_regression._simulate import SCENARIOS, draw, scenario_spec, target_truth
from jaxpapers.transfer_regression._types import Config, StudyResult

__all__ = ["replication", "study"]

_BOOTSTRAP_BATCH = 50


def replication(key: PRNGKey, flags, n_source: int, n_target: int, config: Config,
                num_resamples: int = 0):  # fmt: skip
    """One replication: (β̂ (4, d), se (4, d), converged (4,), ESS[, bootstrap se (4, d)]).

    ``flags`` = (ratio_right, imputation_right) of the scenario, as (traced) booleans.
    """
    key_data, key_boot = jax.random.split(key)
    source, target = draw(key_data, flags[0], flags[1], n_source, n_target)
    result = estimate_all(source, target, config)
    out = (result.beta, result.se, result.converged, result.ess)
    if num_resamples:
        keys = jax.random.split(key_boot, num_resamples)
        beta, converged = jax.lax.map(
            lambda k: replicate_all(k, source, target, config), keys, batch_size=_BOOTSTRAP_BATCH
        )
        out = out + (summarise_replicates(beta, converged, config.level)[1],)
    return out


@functools.lru_cache(maxsize=32)
def _program(n_source, n_target, config, num_resamples, batch_size, devices):
    """One compiled, sharded program per study shape (every scenario shares it)."""

    def share(keys, flags):
        def one(key):
            return replication(key, flags, n_source, n_target, config, num_resamples)

        return jax.lax.map(one, keys, batch_size=batch_size)

    mesh = _mesh.make_mesh(devices=list(devices))
    return _mesh.sharded_vmap(share, mesh, in_axes=(0, None))


def _run(key, scenario, n_source, n_target, num_replications, num_resamples, config, batch_size):
    devices = tuple(jax.devices())
    groups = len(devices)
    per = math.ceil(num_replications / groups)
    keys = jax.random.split(key, num_replications)
    keys = jnp.concatenate([keys, jnp.repeat(keys[-1:], groups * per - num_replications)])
    program = _program(n_source, n_target, config, num_resamples, min(batch_size, per), devices)
    spec = SCENARIOS[scenario]
    flags = (jnp.asarray(spec.ratio_right), jnp.asarray(spec.imputation_right))
    out = program(keys.reshape(groups, per), flags)
    return [leaf.reshape((groups * per,) + leaf.shape[2:])[:num_replications] for leaf in out]


def _coverage(covered, converged, dtype):
    count = jnp.sum(converged, axis=0)[:, None].astype(dtype)
    rate = jnp.sum(covered & converged[..., None], axis=0).astype(dtype) / count
    return rate, jnp.sqrt(rate * (1.0 - rate) / count)


def study(
    key: PRNGKey,
    scenario: str,
    n_source: int = 2000,
    n_target: int = 2000,
    *,
    num_replications: int = 200,
    num_resamples: int = 0,
    config: Config = DEFAULT,
    batch_size: int = 8,
) -> StudyResult:
    """Bias, SD, RMSE and coverage of naive, IPW, IMP and DR over simulated replications.

    Replication r draws a data set of ``scenario`` (spec §8.2) from its own key and fits all
    four estimators; failed fits (``converged`` False) are left out of the summaries. The
    truth is :func:`true_beta`. With ``num_resamples = B > 0`` each replication also runs a
    B-replicate two-sample bootstrap (spec A5).

    Args:
        key: typed PRNG key.
        scenario: ``"S1"``–``"S4"``.
        n_source: sample sizes.
        n_target: see ``n_source``.
        num_replications: R ≥ 2.
        num_resamples: bootstrap replicates per replication (0: no bootstrap).
        config: as in :func:`fit`.
        batch_size: replications evaluated at once per device (memory ∝ batch_size · 5 ·
            (n_S + n_T)).

    Returns:
        :class:`StudyResult` (estimator rows in the order naive, ipw, imp, dr).

    Examples:
        >>> import jax
        >>> import jaxpapers.transfer_regression as tr
        >>> res = tr.study(jax.random.key(0), "S3", 500, 500, num_replications=16)
        >>> res.estimates.shape, res.bias.shape
        ((16, 4, 3), (4, 3))
    """
    scenario_spec(scenario)
    num_replications = _validate.check_integer("num_replications", num_replications, minimum=2)
    num_resamples = _validate.check_integer("num_resamples", num_resamples, minimum=0)
    if num_resamples == 1:
        raise ValueError("num_resamples must be 0 (no bootstrap) or >= 2, got 1")
    batch_size = _validate.check_integer("batch_size", batch_size, minimum=1)
    out = _run(key, scenario, _validate.check_integer("n_source", n_source, minimum=2),
               _validate.check_integer("n_target", n_target, minimum=2), num_replications,
               num_resamples, config, batch_size)  # fmt: skip
    beta, se, converged, ess = out[:4]
    truth = target_truth(scenario, beta.dtype)
    error = jnp.where(converged[..., None], beta - truth[None, None, :], jnp.nan)
    count = jnp.sum(converged, axis=0)[:, None].astype(beta.dtype)
    sd = jnp.nanstd(error, axis=0, ddof=1)
    z = NormalDist().inv_cdf(0.5 + config.level / 2)
    covered = jnp.abs(beta - truth[None, None, :]) <= z * se
    coverage, coverage_se = _coverage(covered, converged, beta.dtype)
    result = StudyResult(
        truth, beta, se, covered, converged, ess, jnp.nanmean(error, axis=0), sd / jnp.sqrt(count),
        sd, jnp.sqrt(jnp.nanmean(error**2, axis=0)), coverage, coverage_se,
        jnp.nanmean(jnp.where(converged[..., None], se, jnp.nan), axis=0),
    )  # fmt: skip
    if num_resamples:
        boot_se = out[4]
        boot = _coverage(jnp.abs(beta - truth[None, None, :]) <= z * boot_se, converged, beta.dtype)
        result = result._replace(bootstrap_se=boot_se, bootstrap_coverage=boot[0],
                                 bootstrap_coverage_se=boot[1])  # fmt: skip
    return result
