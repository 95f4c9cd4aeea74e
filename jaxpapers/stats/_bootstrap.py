"""Chronological block bootstrap (and the i.i.d. bootstrap it is compared with), on device.

A replicate is written as a vector of *multiplicities*: how often each time index (or row) is
drawn. A statistic ``statistic(data, weights)`` that accepts row weights (a weighted mean, a
weighted least-squares fit...) then sees every replicate with static shapes, so the replicates
are one ``vmap`` over keys. Rows may carry a ``time_index`` (several rows per time, e.g. weak-form
test functions centred at the same frame): a row inherits the multiplicity of its time. For
statistics that depend on the order of a series (autocorrelations), use
:func:`block_bootstrap_indices` and gather.

References: Künsch, "The jackknife and the bootstrap for general stationary observations",
Ann. Statist. 1989 (moving blocks); Politis & Romano, "A circular block-resampling procedure
for stationary data", 1992 (circular blocks); Efron & Tibshirani, "An Introduction to the
Bootstrap", 1993 (percentile intervals).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from jaxpapers._typing import PRNGKey

__all__ = [
    "BootstrapResult",
    "block_bootstrap",
    "block_bootstrap_indices",
    "block_bootstrap_weights",
    "iid_bootstrap",
    "iid_bootstrap_weights",
]


class BootstrapResult(NamedTuple):
    """Replicates of a statistic and their summaries (leaves shaped like the statistic).

    Attributes:
        estimate: the statistic on the original data (all weights 1).
        replicates: the statistic on each replicate (leading axis = replicate).
        standard_error: standard deviation of the replicates.
        low: percentile interval at the requested level.
        high: see ``low``.
    """

    estimate: Any
    replicates: Any
    standard_error: Any
    low: Any
    high: Any


def _check(num_times: int, block_length: int) -> None:
    if not 1 <= block_length <= num_times:
        raise ValueError(
            f"block_length must be between 1 and the number of times ({num_times}), "
            f"got {block_length}"
        )


def block_bootstrap_indices(
    key: PRNGKey, num_times: int, block_length: int, *, circular: bool = False
) -> Int[Array, " T"]:
    """Resampled time indices: ⌈T/ℓ⌉ blocks of ℓ consecutive times, concatenated, cut to T.

    Moving blocks (Künsch) start anywhere in ``[0, T − ℓ]``; circular blocks (Politis–Romano)
    start anywhere in ``[0, T)`` and wrap around, so every time is equally likely to be drawn.
    """
    _check(num_times, block_length)
    num_blocks = math.ceil(num_times / block_length)
    high = num_times if circular else num_times - block_length + 1
    starts = jax.random.randint(key, (num_blocks,), 0, high)
    position = jnp.arange(num_times)
    indices = starts[position // block_length] + position % block_length
    return indices % num_times if circular else indices


def block_bootstrap_weights(
    key: PRNGKey, num_times: int, block_length: int, *, circular: bool = False
) -> Float[Array, " T"]:
    """How often each time index appears in one block-bootstrap replicate (sums to T)."""
    indices = block_bootstrap_indices(key, num_times, block_length, circular=circular)
    return jnp.zeros(num_times).at[indices].add(1.0)


def iid_bootstrap_weights(key: PRNGKey, num_rows: int) -> Float[Array, " n"]:
    """Multiplicities of n draws with replacement from n rows (sums to n)."""
    indices = jax.random.randint(key, (num_rows,), 0, num_rows)
    return jnp.zeros(num_rows).at[indices].add(1.0)


def _summarise(statistic, data, replicates, level) -> BootstrapResult:
    leaves = jax.tree.leaves(data)
    estimate = statistic(data, jnp.ones(leaves[0].shape[0], leaves[0].dtype))
    tail = (1.0 - level) / 2.0
    low = jax.tree.map(lambda r: jnp.quantile(r, tail, axis=0), replicates)
    high = jax.tree.map(lambda r: jnp.quantile(r, 1.0 - tail, axis=0), replicates)
    se = jax.tree.map(lambda r: jnp.std(r, axis=0, ddof=1), replicates)
    return BootstrapResult(estimate, replicates, se, low, high)


def _check_level(level: float, num_replicates: int) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if num_replicates < 2:
        raise ValueError(f"num_replicates must be >= 2, got {num_replicates}")


def block_bootstrap(
    key: PRNGKey,
    statistic: Callable[[Any, Float[Array, " n"]], Any],
    data: Any,
    *,
    block_length: int,
    num_replicates: int = 1000,
    time_index: Int[Array, " n"] | None = None,
    num_times: int | None = None,
    circular: bool = False,
    level: float = 0.95,
) -> BootstrapResult:
    """Chronological block bootstrap of ``statistic(data, weights)``.

    Each replicate draws ⌈T/ℓ⌉ blocks of ℓ consecutive times with replacement; the rows of a
    drawn time get weight = how often that time was drawn. Blocks keep the dependence between
    nearby times that an i.i.d. resampling of rows destroys, so the intervals stay honest for
    serially correlated errors.

    Args:
        key: typed PRNG key.
        statistic: ``statistic(data, weights) -> pytree``; ``weights`` has one entry per row.
        data: pytree of arrays with a leading row axis of length n.
        block_length: ℓ, in time steps.
        num_replicates: B (static).
        time_index: the time (0..T−1) of each row; default: row r is time r (a time series).
        num_times: T; default ``n`` when ``time_index`` is None, else ``max(time_index) + 1``
            (pass it explicitly under ``jit``).
        circular: circular instead of moving blocks.
        level: coverage of the percentile interval.

    Returns:
        :class:`BootstrapResult`.
    """
    _check_level(level, num_replicates)
    num_rows = jax.tree.leaves(data)[0].shape[0]
    if num_times is not None:
        times = int(num_times)
    else:
        times = num_rows if time_index is None else int(jnp.max(time_index)) + 1
    if time_index is None:
        time_index = jnp.arange(num_rows)

    def one(k):
        weights = block_bootstrap_weights(k, times, block_length, circular=circular)
        return statistic(data, weights[time_index].astype(jax.tree.leaves(data)[0].dtype))

    replicates = jax.vmap(one)(jax.random.split(key, num_replicates))
    return _summarise(statistic, data, replicates, level)


def iid_bootstrap(
    key: PRNGKey,
    statistic: Callable[[Any, Float[Array, " n"]], Any],
    data: Any,
    *,
    num_replicates: int = 1000,
    level: float = 0.95,
) -> BootstrapResult:
    """The ordinary (Efron) bootstrap of ``statistic(data, weights)``: rows drawn i.i.d."""
    _check_level(level, num_replicates)
    num_rows = jax.tree.leaves(data)[0].shape[0]
    dtype = jax.tree.leaves(data)[0].dtype

    def one(k):
        return statistic(data, iid_bootstrap_weights(k, num_rows).astype(dtype))

    replicates = jax.vmap(one)(jax.random.split(key, num_replicates))
    return _summarise(statistic, data, replicates, level)
