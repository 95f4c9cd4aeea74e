"""Step-wise choice of the number of groups (spec §3.5, reconstructed).

K = 2 first: if P(2) > α the data show no groups (K̂ = 1). Otherwise K = 3, 4, …: the first K
with P(K) > α stops the search at K̂ = K − 1; if every K up to k_max is significant, K̂ = k_max.
P is the calibrated p-value (:func:`calibrated_pvalue`), so the uncorrected integrated p-value,
tiny for every K, cannot decide.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, ArrayLike, Float, Int

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.grb_clustering._calibrate import calibrated_unchecked
from jaxpapers.grb_clustering._cluster import check_data, check_k
from jaxpapers.grb_clustering._types import ALGOS, Config, Selection

__all__ = ["select_k", "stepwise_k", "step_key"]


def step_key(key: PRNGKey, K: int) -> PRNGKey:
    """The key of step K inside :func:`select_k` (``fold_in(key, K)``)."""
    return jax.random.fold_in(key, K)


def stepwise_k(
    pvalues: Float[ArrayLike, " m"], alpha: float | Float[ArrayLike, ""]
) -> Int[Array, ""]:
    """K̂ from P(2), P(3), … (NaN after the step that stopped): the rule of the module docstring.

    >>> int(stepwise_k(jnp.array([0.01, 0.40, jnp.nan]), 0.05))
    2
    >>> int(stepwise_k(jnp.array([0.30, jnp.nan]), 0.05))
    1
    """
    pvalues = jnp.asarray(pvalues)
    stop = pvalues > alpha  # NaN compares False: a step never reached does not stop
    first = jnp.argmax(stop)  # index j ↔ K = j + 2; K̂ = K − 1 = j + 1
    return jnp.where(jnp.any(stop), first + 1, pvalues.shape[0] + 1).astype(jnp.int32)


def select_k(
    key: PRNGKey,
    X: Float[ArrayLike, "n d"],
    algo: str = "kmeans",
    k_max: int = 5,
    alpha: float | Float[ArrayLike, ""] = 0.05,
    *,
    num_null: int = 99,
    config: Config | None = None,
) -> Selection:
    """The number of groups by the step-wise rule on calibrated p-values (module docstring).

    Steps K = 2, 3, … run inside one ``lax.while_loop`` (``lax.switch`` over the K's, whose
    shapes differ), so the search stops at the first non-significant K and works under
    ``jit``. Step K uses the key ``fold_in(key, K)``: ``calibrated_pvalue(step_key(key, K), X,
    K, ...)`` reproduces its p-value.

    Args:
        key: a typed PRNG key.
        X: ``(n, d)`` standardised features.
        algo: ``"kmeans"`` or ``"gmm"``.
        k_max: the largest K tried, 2 ≤ k_max < n.
        alpha: the level of every step, in (0, 1).
        num_null: B, null replicates per step.
        config: clustering, test and integration settings.

    Returns:
        :class:`Selection`: ``k`` (1 = no groups) and P_cal(K) for K = 2..k_max (NaN for the
        steps not reached).

    >>> from jaxpapers.grb_clustering import simulate
    >>> X, _ = simulate(jax.random.key(0), 60, "unimodal")  # one Gaussian: no groups
    >>> result = select_k(jax.random.key(1), X, k_max=2, num_null=9)
    >>> int(result.k), result.pvalues.shape
    (1, (1,))
    """
    config = Config() if config is None else config
    _validate.check_choice("algo", algo, ALGOS)
    X = check_data(X)
    k_max = check_k("k_max", k_max, X.shape[0])
    _validate.check_range("alpha", alpha, low=0.0, high=1.0, low_open=True, high_open=True)
    num_null = _validate.check_integer("num_null", num_null, minimum=1)

    return _select_jit(key, X, jnp.asarray(alpha, X.dtype), algo, k_max, num_null, config)


@functools.partial(jax.jit, static_argnums=(3, 4, 5, 6))
def _select_jit(key, X, alpha, algo, k_max, num_null, config):
    def branch(K):
        def run(data):
            return calibrated_unchecked(step_key(key, K), data, K, algo, num_null, config).pvalue

        return run

    branches = [branch(K) for K in range(2, k_max + 1)]

    def keep_going(state):
        index, _, stopped = state
        return (index < len(branches)) & ~stopped

    def step(state):
        index, pvalues, _ = state
        pvalue = lax.switch(index, branches, X)
        return index + 1, pvalues.at[index].set(pvalue), pvalue > alpha

    start = (
        jnp.zeros((), jnp.int32),
        jnp.full(len(branches), jnp.nan, X.dtype),
        jnp.zeros((), bool),
    )
    _, pvalues, _ = lax.while_loop(keep_going, step, start)
    return Selection(stepwise_k(pvalues, alpha), pvalues)
