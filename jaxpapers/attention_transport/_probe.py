"""Class-balanced L2 logistic probe, fitted by Newton's method, and grouped cross-fitting.

The objective is scikit-learn's ``LogisticRegression(class_weight="balanced", C=C)``:

    min_{β, b}  C · Σ_i w_i · log(1 + exp(−s_i (xᵢᵀβ + b))) + ½‖β‖²,   s_i = ±1,
    w_i = m / (2 · #{j: y_j = y_i})                      (the intercept b is not penalised),

on standardised features (train mean and scale). The problem is strongly convex in β, so a fixed
number of Newton steps (``lax.scan``) converges to machine precision on probe-sized problems.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxpapers._typing import PRNGKey

__all__ = ["Probe", "fit_probe", "group_folds", "out_of_fold_scores", "probe_logit"]


class Probe(NamedTuple):
    """A fitted probe: logit(x) = ((x − mean)/scale)ᵀ weights + bias."""

    mean: Float[Array, " f"]
    scale: Float[Array, " f"]
    weights: Float[Array, " f"]
    bias: Float[Array, ""]


def _balanced_weights(label: Array, dtype) -> Array:
    positives = jnp.sum(label)
    m = label.shape[0]
    count = jnp.where(label, positives, m - positives).astype(dtype)
    return m / (2.0 * jnp.maximum(count, 1.0))


def fit_probe(
    features: Float[ArrayLike, "m f"],
    label: Bool[ArrayLike, " m"],
    *,
    C: float = 1.0,
    n_steps: int = 25,
) -> Probe:
    """Fit the class-balanced L2 logistic probe (module docstring) by ``n_steps`` Newton steps."""
    x = jnp.asarray(features)
    label = jnp.asarray(label).astype(bool)
    if x.ndim != 2 or label.shape != x.shape[:1]:
        raise ValueError(f"features must be [m, f] and label [m], got {x.shape} and {label.shape}")
    mean = jnp.mean(x, axis=0)
    scale = jnp.std(x, axis=0)
    scale = jnp.where(scale > 0, scale, 1.0)
    z = jnp.concatenate(
        [(x - mean[None]) / scale[None], jnp.ones((x.shape[0], 1), x.dtype)], axis=1
    )
    sign = jnp.where(label, 1.0, -1.0).astype(x.dtype)
    weight = C * _balanced_weights(label, x.dtype)
    penalty = jnp.ones(z.shape[1], x.dtype).at[-1].set(0.0)

    def newton(theta, _):
        margin = sign * (z @ theta)
        p = jax.nn.sigmoid(-margin)  # = 1 − σ(margin)
        gradient = -z.T @ (weight * sign * p) + penalty * theta
        curvature = weight * p * (1.0 - p)
        hessian = (z.T * curvature[None, :]) @ z + jnp.diag(penalty + 1e-10)
        return theta - jnp.linalg.solve(hessian, gradient), None

    theta, _ = jax.lax.scan(newton, jnp.zeros(z.shape[1], x.dtype), None, length=n_steps)
    return Probe(mean, scale, theta[:-1], theta[-1])


def probe_logit(probe: Probe, features: Float[ArrayLike, "m f"]) -> Float[Array, " m"]:
    """The probe's logit (higher = class 1) for each row of ``features``."""
    z = (jnp.asarray(features) - probe.mean[None]) / probe.scale[None]
    return z @ probe.weights + probe.bias


def group_folds(key: PRNGKey, group: Int[ArrayLike, " m"], n_folds: int = 5) -> np.ndarray:
    """Fold index of each sample; all samples of a group (a HaluEval item) share a fold.

    Groups are shuffled with ``key`` and dealt round-robin, so folds differ in size by at most
    one group. Each HaluEval item holds one right and one hallucinated answer, so grouping also
    stratifies the classes exactly.
    """
    group = np.asarray(group)
    unique = np.unique(group)
    if n_folds < 2 or n_folds > len(unique):
        raise ValueError(f"n_folds must lie in [2, {len(unique)}] groups, got {n_folds}")
    order = np.asarray(jax.random.permutation(key, len(unique)))
    fold_of_group = np.empty(len(unique), int)
    fold_of_group[order] = np.arange(len(unique)) % n_folds
    return fold_of_group[np.searchsorted(unique, group)]


def out_of_fold_scores(
    features: Float[ArrayLike, "m f"],
    label: Bool[ArrayLike, " m"],
    fold: Int[ArrayLike, " m"],
    *,
    C: float = 1.0,
) -> Float[Array, " m"]:
    """Cross-fitted probe logits: each sample is scored by the probe fitted on the other folds."""
    features = jnp.asarray(features)
    label = np.asarray(label).astype(bool)
    fold = np.asarray(fold)
    scores = np.zeros(len(label))
    for k in np.unique(fold):
        train = fold != k
        probe = fit_probe(features[train], label[train], C=C)
        scores[~train] = np.asarray(probe_logit(probe, features[~train]))
    return jnp.asarray(scores, features.dtype)
