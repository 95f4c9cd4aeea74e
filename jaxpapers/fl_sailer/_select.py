"""Feature selection from leverage scores (spec §2.3).

* :func:`top_fraction`: the deterministic top-c columns, c = ⌈ρp⌉ (Papailiopoulos,
  Kyrillidis & Boutsidis 2014); the default, ρ = 0.2 being the paper's "80 % reduction".
* :func:`gumbel_top_k`: c columns without replacement from π_j = (1−α) λ_j/Σλ + α/p
  (shrinkage, Ma, Mahoney & Yu 2015) by the Gumbel-top-k trick.
* :func:`mass_budget`: the "adaptive budget" (proposed): the smallest c whose top-c scores hold
  a fraction θ of the total, clipped to [0.05p, 0.5p]; host-side since c fixes the model's shape.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey

__all__ = ["gumbel_top_k", "mass_budget", "top_fraction"]


def _check_count(count: int, num_peaks: int) -> None:
    _validate.check_integer("k", count, minimum=1)
    if count > num_peaks:
        raise ValueError(
            f"the number of selected features must be <= the number of peaks ({num_peaks}), "
            f"got {count}"
        )


def top_fraction(scores: Float[Array, " p"], fraction: float) -> Int[Array, " c"]:
    """Indices of the ⌈fraction · p⌉ highest scores, highest first (ties: lower index first).

    Args:
        scores: λ, one per peak.
        fraction: ρ in (0, 1]; 0.2 keeps 20 % of the peaks.

    Returns:
        the selected peak indices (int32, unique, deterministic).

    Examples:
        >>> import jax.numpy as jnp
        >>> top_fraction(jnp.array([0.1, 0.5, 0.2, 0.9, 0.3]), 0.4)
        Array([3, 1], dtype=int32)
    """
    _validate.check_ndim("scores", scores, 1)
    _validate.check_range("fraction", fraction, low=0.0, high=1.0, low_open=True)
    count = math.ceil(round(fraction * np.shape(scores)[0], 9))
    _check_count(count, np.shape(scores)[0])
    return jax.lax.top_k(jnp.asarray(scores), count)[1].astype(jnp.int32)


def gumbel_top_k(
    key: PRNGKey, scores: Float[Array, " p"], k: int, *, alpha: float = 0.1
) -> Int[Array, " k"]:
    """k peaks drawn without replacement with probabilities ∝ π_j = (1−α)λ_j/Σλ + α/p.

    Gumbel-top-k: the k largest log π_j + G_j with G_j ~ Gumbel(0, 1) are a draw of k items
    without replacement from π (successive sampling).

    Args:
        key: draws the Gumbel noise.
        scores: λ, non-negative.
        k: number of peaks, 1 ≤ k ≤ p.
        alpha: α in [0, 1], the uniform shrinkage (spec: 0.1).

    Returns:
        the k selected indices (int32, unique).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> gumbel_top_k(jax.random.key(0), jnp.array([0.1, 0.5, 0.2, 0.9]), 2).shape
        (2,)
    """
    _validate.check_ndim("scores", scores, 1)
    _validate.check_range("scores", scores, low=0.0)
    _validate.check_range("alpha", alpha, low=0.0, high=1.0)
    _check_count(k, np.shape(scores)[0])
    scores = jnp.asarray(scores)
    p = scores.shape[0]
    probs = (1.0 - alpha) * scores / jnp.sum(scores) + alpha / p
    noisy = jnp.log(probs) + jax.random.gumbel(key, (p,), scores.dtype)
    return jax.lax.top_k(noisy, k)[1].astype(jnp.int32)


def mass_budget(
    scores: ArrayLike,
    theta: float,
    *,
    min_fraction: float = 0.05,
    max_fraction: float = 0.5,
) -> int:
    """The adaptive budget c = min{c : Σ_{top c} λ / Σλ ≥ θ}, clipped to [min, max] · p.

    Spec §2.3.4 divides by k; dividing by Σλ is the same when Σλ = k and stays right when a
    rank-deficient client makes Σλ < k. Report θ together with the rank k (θ = 0.8 gives
    ≈ 0.22–0.26 p at k = 5 and ≈ 0.37 p at k = 10 on the spec's generator).

    Args:
        scores: λ (host values; c fixes the model's input size, spec P16).
        theta: θ in (0, 1].
        min_fraction: lower clip as a fraction of p.
        max_fraction: upper clip as a fraction of p.

    Returns:
        c, a Python int.

    Examples:
        >>> mass_budget([0.5, 0.3, 0.1, 0.05, 0.05], 0.8, max_fraction=1.0)
        2
    """
    array = np.asarray(scores, np.float64)
    _validate.check_ndim("scores", array, 1)
    _validate.check_range("scores", array, low=0.0)
    _validate.check_range("theta", theta, low=0.0, high=1.0, low_open=True)
    _validate.check_range("min_fraction", min_fraction, low=0.0, high=1.0)
    _validate.check_range("max_fraction", max_fraction, low=min_fraction, high=1.0)
    mass = np.cumsum(np.sort(array)[::-1]) / array.sum()
    count = int(np.searchsorted(mass, theta - 1e-12) + 1)
    p = array.size
    low, high = max(1, math.ceil(min_fraction * p)), max(1, math.floor(max_fraction * p))
    return int(min(max(count, low), high))
