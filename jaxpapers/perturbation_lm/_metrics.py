"""Divergences between next-token laws (numpyro's categorical KL)."""

from __future__ import annotations

import jax.numpy as jnp
import numpyro.distributions as dist
from jaxtyping import Array, ArrayLike, Float
from numpyro.distributions.kl import kl_divergence as _kl

__all__ = ["js_divergence", "kl_divergence"]


def kl_divergence(
    p: Float[ArrayLike, "*batch V"], q: Float[ArrayLike, "*batch V"]
) -> Float[Array, "*batch"]:
    """``KL(p || q) = sum_v p_v log(p_v / q_v)`` in nats, row by row (0 log 0 = 0).

    Examples:
        >>> float(kl_divergence(jnp.array([0.5, 0.5]), jnp.array([0.5, 0.5])))
        0.0
    """
    p, q = jnp.asarray(p, jnp.float32), jnp.asarray(q, jnp.float32)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    return _kl(dist.CategoricalProbs(p), dist.CategoricalProbs(q))


def js_divergence(
    p: Float[ArrayLike, "*batch V"], q: Float[ArrayLike, "*batch V"]
) -> Float[Array, "*batch"]:
    """Jensen-Shannon divergence ``(KL(p || r) + KL(q || r)) / 2`` with ``r = (p + q) / 2``, nats.

    Examples:
        >>> round(float(js_divergence(jnp.array([1.0, 0.0]), jnp.array([0.0, 1.0]))), 4)
        0.6931
    """
    p, q = jnp.asarray(p, jnp.float32), jnp.asarray(q, jnp.float32)
    mixture = 0.5 * (p + q)
    return 0.5 * (kl_divergence(p, mixture) + kl_divergence(q, mixture))
