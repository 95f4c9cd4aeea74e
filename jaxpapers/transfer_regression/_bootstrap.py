"""Two-sample nonparametric bootstrap (spec §6): resample S and T independently, refit all.

Each replicate draws n_S source rows and n_T target rows with replacement and refits the
nuisance models and β̂, so the spread includes nuisance-estimation error. Written for one
replicate and ``vmap``-ped over keys; the key axis is sharded over the devices with
:func:`jaxpapers._mesh.sharded_vmap`. (:func:`jaxpapers.stats.iid_bootstrap` resamples one
data set; here the two samples are resampled separately, by gathering rows.)
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from jaxpapers import _mesh, _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.transfer_regression import _checks
from jaxpapers.transfer_regression._fit import (
    DEFAULT,
    Source,
    SourceArrays,
    Target,
    TargetArrays,
    _estimate_jit,
    estimate,
)
from jaxpapers.transfer_regression._fit import estimate_all as _estimate_all
from jaxpapers.transfer_regression._types import BootstrapResult, Config

__all__ = ["bootstrap", "resample", "summarise_replicates"]


def resample(
    key: PRNGKey, source: SourceArrays, target: TargetArrays
) -> tuple[SourceArrays, TargetArrays]:
    """One two-sample bootstrap draw: rows of S and of T drawn with replacement, separately."""
    key_s, key_t = jax.random.split(key)
    n_s, n_t = source[0].shape[0], target[0].shape[0]
    rows_s = jax.random.randint(key_s, (n_s,), 0, n_s)
    rows_t = jax.random.randint(key_t, (n_t,), 0, n_t)
    (y_s, x_s, z_s), (y_t, x_t) = source, target
    return (y_s[rows_s], x_s[rows_s], z_s[rows_s]), (y_t[rows_t], x_t[rows_t])


def replicate_all(key, source, target, config) -> tuple[Array, Array]:
    """β̂ of the four estimators on one resample (no standard errors): (4, d) and (4,)."""
    result = _estimate_all(*resample(key, source, target), config, with_se=False)
    return result.beta, result.converged


def summarise_replicates(replicates: Float[Array, "B ..."], converged: Bool[Array, " B"],
                         level: float):  # fmt: skip
    """NaN out failed replicates; SD (ddof 1) and percentile interval of the rest."""
    mask = converged.reshape(converged.shape + (1,) * (replicates.ndim - converged.ndim))
    kept = jnp.where(mask, replicates, jnp.nan)
    tail = (1.0 - level) / 2.0
    se = jnp.nanstd(kept, axis=0, ddof=1)
    low = jnp.nanquantile(kept, tail, axis=0)
    high = jnp.nanquantile(kept, 1.0 - tail, axis=0)
    return kept, se, low, high


def _replicate(key, source, target, estimator, config):
    result = estimate(*resample(key, source, target), estimator, config, with_se=False)
    return result.beta, result.converged


@functools.lru_cache(maxsize=32)
def _batched(estimator: str, config: Config, devices: tuple):
    """One compiled, sharded program per (estimator, config, devices): no recompilation."""
    one = functools.partial(_replicate, estimator=estimator, config=config)
    mesh = _mesh.make_mesh(devices=list(devices))
    return _mesh.sharded_vmap(one, mesh, in_axes=(0, None, None))


def bootstrap(
    key: PRNGKey,
    source: Source,
    target: Target,
    *,
    estimator: str = "dr",
    num_resamples: int = 200,
    config: Config = DEFAULT,
) -> BootstrapResult:
    """Two-sample bootstrap standard errors and percentile intervals (spec §6).

    Replicate b draws n_S source and n_T target rows with replacement (independently) and
    refits everything, nuisance models included; the standard error is the SD of the
    replicates and the interval their (1 ∓ level)/2 quantiles. The replicates run as one
    ``vmap`` over keys, sharded over the available devices (inside a user's ``jit`` or
    ``vmap``, a plain ``vmap`` that the caller's program lays out). Replicates whose fit failed
    (``converged`` False) are left out of the summaries and reported.

    Args:
        key: typed PRNG key.
        source: as in :func:`fit`.
        target: see ``source``.
        estimator: ``"dr"``, ``"ipw"``, ``"imp"`` or ``"naive"``.
        num_resamples: B ≥ 2.
        config: as in :func:`fit`; ``config.level`` sets the interval.

    Returns:
        :class:`BootstrapResult`.

    Examples:
        >>> import jax
        >>> import jaxpapers.transfer_regression as tr
        >>> source, target = tr.simulate(jax.random.key(0), "S1", 500, 500)
        >>> boot = tr.bootstrap(jax.random.key(1), source, target, num_resamples=50)
        >>> boot.replicates.shape, bool(boot.converged.all())
        ((50, 3), True)
    """
    source, target = _checks.check_samples(source, target, config, estimator)
    num_resamples = _validate.check_integer("num_resamples", num_resamples, minimum=2)
    fitted = _estimate_jit(source, target, estimator, config)
    _checks.warn_if_degenerate(fitted, estimator, source[0].shape[0], config)
    keys = jax.random.split(key, num_resamples)
    if _validate.is_concrete((keys, source, target)):  # called eagerly: shard over devices
        beta, converged = _batched(estimator, config, tuple(jax.devices()))(keys, source, target)
    else:  # inside a user's jit or vmap: a plain vmap, laid out by the caller's program
        replicate = functools.partial(_replicate, estimator=estimator, config=config)
        beta, converged = jax.vmap(replicate, in_axes=(0, None, None))(keys, source, target)
    kept, se, low, high = summarise_replicates(beta, converged, config.level)
    return BootstrapResult(fitted.beta, se, low, high, kept, converged)
