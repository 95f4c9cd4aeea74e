"""Cross-fitting: fold assignment and out-of-fold predictions, with static shapes.

Each fold's model is fitted on the other folds by *weighting* the rows (weight 0 for the held-out
fold) instead of slicing them, so every fold has the same shapes and the K fits run as one
``vmap``. The fit function must therefore accept a ``sample_weight`` keyword.

    ŷ_i = predict(fit(X, y, w^{(k(i))}), X)_i,   w^{(k)}_j = 1[fold_j ≠ k],

where k(i) is row i's fold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey

__all__ = ["crossfit_predict", "fold_assignment"]


def fold_assignment(
    key: PRNGKey,
    num_rows: int,
    num_folds: int,
    groups: Int[Array, " n"] | None = None,
    num_groups: int | None = None,
) -> Int[Array, " n"]:
    """Shuffled K-fold labels; fold sizes differ by at most one (rows, or groups of rows).

    With ``groups`` (ids in [0, ``num_groups``)), all rows of a group share a fold: the groups
    are shuffled and dealt round-robin.

    >>> import jax
    >>> folds = fold_assignment(jax.random.key(0), 10, 3)
    >>> sorted(int((folds == k).sum()) for k in range(3))
    [3, 3, 4]
    """
    _validate.check_integer("num_folds", num_folds, minimum=2)
    if groups is None:
        if num_folds > num_rows:
            raise ValueError(f"num_folds must be <= num_rows = {num_rows}, got {num_folds}")
        return (jax.random.permutation(key, num_rows) % num_folds).astype(jnp.int32)
    if num_groups is None:
        raise ValueError("num_groups (the number of distinct group ids) is needed with groups")
    if num_folds > num_groups:
        raise ValueError(f"num_folds must be <= num_groups = {num_groups}, got {num_folds}")
    fold_of_group = (jax.random.permutation(key, num_groups) % num_folds).astype(jnp.int32)
    return fold_of_group[jnp.asarray(groups)]


def crossfit_predict(
    fit: Callable[..., Any],
    predict: Callable[[Any, Array], Array],
    features: Float[Array, "n f"],
    target: Array,
    folds: Int[Array, " n"],
    num_folds: int,
) -> Array:
    """Out-of-fold predictions: row i is predicted by the model fitted without its fold.

    Args:
        fit: ``fit(features, target, sample_weight=w) -> params``.
        predict: ``predict(params, features) -> predictions`` (leading axis n).
        features: the data (rows first).
        target: see ``features``.
        folds: fold label of each row, in [0, num_folds).
        num_folds: K (static).

    Returns:
        Predictions with the shape of ``predict``'s output.
    """

    def one_fold(k):
        weight = (folds != k).astype(features.dtype)
        return predict(fit(features, target, sample_weight=weight), features)

    per_fold = jax.vmap(one_fold)(jnp.arange(num_folds, dtype=folds.dtype))  # (K, n, ...)
    pick = jax.nn.one_hot(folds, num_folds, dtype=per_fold.dtype).T  # (K, n)
    pick = pick.reshape(pick.shape + (1,) * (per_fold.ndim - 2))
    return jnp.sum(per_fold * pick, axis=0)
