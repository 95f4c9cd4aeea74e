"""Feature maps f(v) of the observed variables v = (y, x), for one row (``vmap`` applies them).

The density ratio is w(v) = exp(θ₀ + θᵀ f(v)) and the imputation models are linear in
ψ(v) = (1, f(v)); the intercept is always added by the fitting functions, so a feature map
returns the non-constant part only. The default, :func:`linear_features`, gives the spec's
φ(v) = ψ(v) = (1, y, xᵀ) (spec §4). Write your own as a module-level function (a new
``lambda`` per call would be a new static argument and recompile):

>>> import jax.numpy as jnp
>>> linear_features(jnp.array(2.0), jnp.array([3.0, 4.0])).tolist()
[2.0, 3.0, 4.0]
>>> quadratic_features(jnp.array(2.0), jnp.array([3.0])).tolist()
[2.0, 3.0, 4.0, 6.0, 9.0]
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

__all__ = ["FeatureMap", "feature_matrix", "linear_features", "quadratic_features"]

FeatureMap = Callable[[Float[Array, ""], Float[Array, " p"]], Float[Array, " k"]]


def linear_features(y: Float[Array, ""], x: Float[Array, " p"]) -> Float[Array, " k"]:
    """f(v) = (y, xᵀ): the tilt and the imputations are linear in (1, y, x) (spec §4)."""
    return jnp.concatenate([y[None], x])


def quadratic_features(y: Float[Array, ""], x: Float[Array, " p"]) -> Float[Array, " k"]:
    """f(v) = (y, x, y², y·x, upper triangle of x xᵀ): a richer tilt or imputation basis.

    With it the log density ratio of scenario S2 (quadratic in y and x·y) lies in the span of
    the features, so the tilt is correctly specified there.
    """
    v = jnp.concatenate([y[None], x])
    rows, cols = jnp.triu_indices(v.shape[0])
    return jnp.concatenate([v, (v[:, None] * v[None, :])[rows, cols]])


def feature_matrix(
    features: FeatureMap, y: Float[Array, " n"], x: Float[Array, "n p"]
) -> Float[Array, "n k"]:
    """The features of every row, ``vmap(features)(y, x)``."""
    return jax.vmap(features)(y, x)
