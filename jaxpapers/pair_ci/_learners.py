"""The paired models of PAIR-CI: fitted on training rows (weights), per-row loss on every row.

Every learner has the signature ``learner(key, features, target, train, config, n_states)`` and
returns a :class:`LearnerFit`: the per-row loss ℓ_i of the model fitted on the rows with
``train_i = 1``, whether the fit converged, and its iterations. The key fixes any randomness of
the learner (random features); PAIR-CI reuses it for the full and the null model and for every
imputation of a fold (common random numbers, spec §3 step 3).

* ``linear``: ridge regression on training-standardised features, squared error.
* ``rff``: ridge regression on random Fourier features of the standardised inputs plus the inputs
  themselves (a closed-form non-linear learner; spec §3 "RFF-ridge", proposed), squared error.
* ``categorical``: multinomial logistic regression on one-hot inputs
  (:func:`jaxpapers.stats.logistic_regression`, ``solver="mm"``: Böhning's bound
  B ← B − (½AᵀWA + λI)⁻¹∇, monotone, one Cholesky factor for every step), over the classes the
  training rows take (:mod:`._multinomial`); log-loss with probabilities clipped at 1e-15
  (citest).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from jaxpapers._typing import PRNGKey
from jaxpapers.linalg import spd_solve
from jaxpapers.pair_ci._multinomial import fit_multinomial
from jaxpapers.pair_ci._types import Config

__all__ = ["LearnerFit", "categorical_loss", "linear_loss", "rff_loss"]

_LOG_CLIP = 1e-15


class LearnerFit(NamedTuple):
    """Per-row loss of a fitted learner, and how its fit went."""

    loss: Float[Array, " n"]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]


def _closed_form(loss: Array) -> LearnerFit:
    return LearnerFit(loss, jnp.all(jnp.isfinite(loss)), jnp.asarray(1, jnp.int32))


def _standardise(features, weights):
    count = jnp.sum(weights)
    mean = jnp.sum(features * weights[:, None], axis=0) / count
    var = jnp.sum(weights[:, None] * (features - mean[None, :]) ** 2, axis=0) / count
    scale = jnp.where(var > 1e-12, jnp.sqrt(jnp.where(var > 1e-12, var, 1.0)), 1.0)
    return (features - mean[None, :]) / scale[None, :]


def _ridge_predict(design, target, weights, ridge):
    """Weighted ridge with an unpenalised intercept; predictions for every row."""
    count = jnp.sum(weights)
    y_mean = jnp.sum(target * weights) / count
    x_mean = jnp.sum(design * weights[:, None], axis=0) / count
    centred = design - x_mean[None, :]
    gram = centred.T @ (centred * weights[:, None])
    gram = gram + ridge * jnp.eye(design.shape[1], dtype=design.dtype)
    coef = spd_solve(gram, centred.T @ ((target - y_mean) * weights))
    return centred @ coef + y_mean


def linear_loss(
    key: PRNGKey,
    features: Float[Array, "n d"],
    target: Float[Array, " n"],
    train: Float[Array, " n"],
    config: Config,
    n_states: int = 0,
) -> LearnerFit:
    """Squared error of ridge regression of ``target`` on ``features`` (fitted on ``train``)."""
    del key, n_states
    prediction = _ridge_predict(_standardise(features, train), target, train, config.ridge)
    return _closed_form((target - prediction) ** 2)


def rff_loss(
    key: PRNGKey,
    features: Float[Array, "n d"],
    target: Float[Array, " n"],
    train: Float[Array, " n"],
    config: Config,
    n_states: int = 0,
) -> LearnerFit:
    """Squared error of ridge on [√(2/D) cos(XW + b), X], W ~ N(0, 1/ℓ²), b ~ U(0, 2π).

    Zeroed (masked or dropped) input columns contribute nothing to XW, so one static width
    serves every conditioning-set size.
    """
    del n_states
    key_w, key_b = jax.random.split(key)
    d, width = features.shape[1], config.rff_features
    weights = jax.random.normal(key_w, (d, width), features.dtype) / config.rff_scale
    phase = jax.random.uniform(key_b, (width,), features.dtype, 0.0, 2.0 * jnp.pi)
    standard = _standardise(features, train)
    fourier = jnp.sqrt(2.0 / width) * jnp.cos(standard @ weights + phase[None, :])
    design = jnp.concatenate([fourier, standard], axis=1)
    prediction = _ridge_predict(design, target, train, config.ridge)
    return _closed_form((target - prediction) ** 2)


def categorical_loss(
    key: PRNGKey,
    features: Float[Array, "n d"],
    target: Float[Array, " n"],
    train: Float[Array, " n"],
    config: Config,
    n_states: int = 2,
) -> LearnerFit:
    """Log-loss of multinomial logistic regression on one-hot encoded discrete ``features``.

    ``features`` and ``target`` hold state codes (0..n_states−1; an all-zero column, e.g. a
    masked conditioning variable, encodes to a constant and has no effect). ``n_states`` is a
    static bound shared by all variables; classes no training row takes are masked out
    (:func:`jaxpapers.pair_ci._multinomial.fit_multinomial`), so a test row of such a class
    gets the clipped loss −log 1e-15 under both paired models alike.
    """
    del key
    n, d = features.shape
    onehot = jax.nn.one_hot(features.astype(jnp.int32), n_states, dtype=features.dtype)
    labels = target.astype(jnp.int32)
    fit = fit_multinomial(onehot.reshape(n, d * n_states), labels, train, n_states, config)
    picked = jnp.take_along_axis(fit.log_prob, labels[:, None], axis=1)[:, 0]
    loss = -jnp.maximum(picked, jnp.log(_LOG_CLIP))
    return LearnerFit(loss, fit.converged, fit.num_steps)


LEARNERS = {"linear": linear_loss, "rff": rff_loss, "categorical": categorical_loss}
