"""The class-balanced L2 logistic probe and its grouped cross-fitting (spec §1.5).

The objective is scikit-learn's ``LogisticRegression(class_weight="balanced", C=C)``,

    min_{β, b}  Σ_i w_i · log(1 + exp(−s_i (zᵢᵀβ + b))) + (1/(2C)) ‖β‖²,   s_i = ±1,
    w_i = m / (2 · #{j: y_j = y_i})                     (the intercept b is not penalised),

on standardised features z = (x − mean)/scale (training moments), fitted by Newton's method in
:func:`jaxpapers.stats.logistic_regression` (``l2 = 1/C``, ``sample_weight = w``), which
reports ``converged`` and ``num_steps``. Cross-fitting (:func:`jaxpapers.stats.crossfit_predict`)
scores every row by the probe fitted without its fold; folds are dealt by item
(:func:`jaxpapers.stats.fold_assignment` with groups), so a HaluEval item's right and
hallucinated answers are never split.
"""

from __future__ import annotations

import numpy as np

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.attention_transport._types import Probe, ProbeScores
from jaxpapers.stats import crossfit_predict, fold_assignment, logistic_regression

__all__ = ["fit_probe", "probe_logit", "probe_scores"]


def _balanced_weight(label: Array, sample_weight: Array) -> Array:
    """scikit-learn's ``class_weight="balanced"`` on the rows with positive ``sample_weight``."""
    total = jnp.sum(sample_weight)
    positives = jnp.sum(jnp.where(label, sample_weight, 0.0))
    count = jnp.where(label, positives, total - positives)
    return sample_weight * total / (2.0 * jnp.maximum(count, jnp.finfo(sample_weight.dtype).tiny))


def fit_probe(
    features: Float[ArrayLike, "m f"],
    label: Bool[ArrayLike, " m"],
    *,
    C: float = 1.0,
    max_steps: int = 50,
    tol: float | None = None,
    sample_weight: Float[ArrayLike, " m"] | None = None,
) -> Probe:
    """Fit the class-balanced L2 logistic probe (module docstring).

    Args:
        features: x, ``[m, f]``.
        label: True for the positive (hallucinated) class, ``[m]``.
        C: inverse penalty strength (scikit-learn's ``C``).
        max_steps: Newton-step cap; ``Probe.converged`` says whether the tolerance was met.
        tol: tolerance on the relative coefficient change; by default 1e-5 in float32 (its
            rounding floor is ~1e-7) and 1e-10 in float64.
        sample_weight: 0/1 row mask (cross-fitting drops a fold by weight 0); the moments and
            the class balance are computed on the rows it keeps.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from jaxpapers.attention_transport import fit_probe, probe_logit
        >>> x = jax.random.normal(jax.random.key(0), (100, 3))
        >>> y = x[:, 0] > 0.5
        >>> probe = fit_probe(x, y)
        >>> bool(probe.converged), bool(probe.weights[0] > 0)
        (True, True)
    """
    x = jnp.asarray(features)
    _validate.check_ndim("features", x, 2, what="an array [m, f]")
    label = jnp.asarray(label).astype(bool)
    _validate.check_same_length(features=x, label=label)
    _validate.check_positive("C", C)
    w = (
        jnp.ones(x.shape[0], x.dtype)
        if sample_weight is None
        else jnp.asarray(sample_weight, x.dtype)
    )
    mean = jnp.sum(w[:, None] * x, axis=0) / jnp.sum(w)
    scale = jnp.sqrt(jnp.sum(w[:, None] * (x - mean[None]) ** 2, axis=0) / jnp.sum(w))
    scale = jnp.where(scale > 0, scale, 1.0)
    z = (x - mean[None]) / scale[None]
    if tol is None:
        tol = 1e-5 if jnp.finfo(x.dtype).bits <= 32 else 1e-10
    weight = _balanced_weight(label, w)
    fit = logistic_regression(
        z, label, sample_weight=weight, l2=1.0 / C, max_steps=max_steps, tol=tol
    )
    return Probe(mean, scale, fit.coef, fit.intercept, fit.converged, fit.num_steps)


def probe_logit(probe: Probe, features: Float[ArrayLike, "m f"]) -> Float[Array, " m"]:
    """The probe's logit (higher = class 1) for each row of ``features``."""
    z = (jnp.asarray(features) - probe.mean[None]) / probe.scale[None]
    return z @ probe.weights + probe.bias


def probe_scores(
    key: PRNGKey,
    features: Float[ArrayLike, "m f"],
    label: Bool[ArrayLike, " m"],
    group: Int[ArrayLike, " m"],
    *,
    n_folds: int = 5,
    C: float = 1.0,
    max_steps: int = 50,
) -> ProbeScores:
    """Cross-fitted probe logits, folds dealt by ``group`` (an item id) with ``key``.

    ``group`` holds arbitrary integer ids (a concrete array: they are renumbered 0..G−1 here).
    The ``n_folds`` fits run as one ``vmap`` (rows of a held-out fold get weight 0).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from jaxpapers.attention_transport import probe_scores
        >>> x = jax.random.normal(jax.random.key(1), (40, 2))
        >>> label = jnp.arange(40) % 2 == 1
        >>> x = x.at[:, 0].add(3.0 * label.astype(x.dtype))  # a planted signal in column 0
        >>> out = probe_scores(jax.random.key(0), x, label, jnp.arange(40) // 2, n_folds=4)
        >>> out.score.shape, bool(out.converged)
        ((40,), True)
    """
    x = jnp.asarray(features)
    label = jnp.asarray(label).astype(bool)
    _validate.check_same_length(features=x, label=label, group=group)
    group_values = _validate.as_concrete("group", group)
    if group_values is None:
        raise TypeError("group must be a concrete integer array (item ids), not a tracer")
    _, dense = np.unique(group_values, return_inverse=True)
    n_groups = int(dense.max()) + 1
    _validate.check_integer("n_folds", n_folds, minimum=2)
    if n_folds > n_groups:
        raise ValueError(f"n_folds must be <= the number of groups {n_groups}, got {n_folds}")
    fold = fold_assignment(key, x.shape[0], n_folds, jnp.asarray(dense), n_groups)

    def fit(features, target, sample_weight):
        return fit_probe(features, target, C=C, max_steps=max_steps, sample_weight=sample_weight)

    def predict(probe, features):
        # The fold's convergence report rides along as extra columns, so that crossfit_predict
        # hands each row the report of the probe that scored it.
        report = jnp.stack([x.astype(features.dtype) for x in (probe.converged, probe.num_steps)])
        columns = jnp.broadcast_to(report, (features.shape[0], 2))
        return jnp.concatenate([probe_logit(probe, features)[:, None], columns], axis=1)

    out = crossfit_predict(fit, predict, x, label, fold, n_folds)
    converged = jnp.all(out[:, 1] > 0.5)
    return ProbeScores(out[:, 0], fold, converged, jnp.max(out[:, 2]).astype(jnp.int32))
