"""Multinomial logistic fits of the categorical learner and imputer, over the classes seen.

The model, with sample weights w_i ≥ 0, one-hot labels Y, design A = [features, 1], classes c in
the set 𝒞 of classes some weighted training row takes, and λ on the coefficients only:

    min_Θ  Σ_i w_i · (−log softmax_{c ∈ 𝒞}(a_iᵀΘ)_{y_i})  +  (λ/2) ‖B‖²_F ,   Θ = [B; b],

fitted by the minorise–maximise step of :func:`jaxpapers.stats.logistic_regression`
(``solver="mm"``; Böhning 1992): Θ ← Θ − (½AᵀWA + diag(λ))⁻¹ ∇, one Cholesky factor for every
step, each step decreasing the objective; it stops when no coefficient moves by more than
``logistic_tol`` (relative to 1 + its size) or after ``logistic_steps`` steps.

[deviation, local] The number of classes C is static, the widest variable's, and shared by
every variable of a data set (the tests of a PC batch have different targets). A class in no
training row — a state beyond the target's own C_y, or a rare state absent from the training
rows — has no finite maximiser in ``stats.logistic_regression``'s unmasked model: its
unpenalised intercept drifts to −∞ by about 2 p_c per step, p_c falls only like 1/(C + 2t), and
the fit neither converges nor fits the seen classes (after 30 steps on a 3-state target with
C = 11, the gradient on the seen classes is still 1.4 % of Σw; 1e-5 % when C = 3). Here those
classes are masked out (logit −∞), which is the limit that fit heads to; everything else — the
design, the bound, the step, the stopping rule — is ``stats.logistic_regression``'s. A
``class_mask`` argument there would let this module call it directly.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from jaxpapers import linalg
from jaxpapers.pair_ci._types import Config

__all__ = ["MultinomialFit", "fit_multinomial"]


class MultinomialFit(NamedTuple):
    """Log-probabilities of every row (−∞ for unseen classes) and how the fit went."""

    log_prob: Float[Array, "n C"]
    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]


def fit_multinomial(
    features: Float[Array, "n f"],
    labels: Int[Array, " n"],
    weights: Float[Array, " n"],
    num_classes: int,
    config: Config,
) -> MultinomialFit:
    """Fit on the rows with weight > 0; log-probabilities for every row (module docstring).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from jaxpapers.pair_ci import Config
        >>> key_x, key_u, key_y = jax.random.split(jax.random.key(0), 3)
        >>> x = jax.random.randint(key_x, (400,), 0, 3)
        >>> noise = jax.random.randint(key_y, (400,), 0, 3)
        >>> y = jnp.where(jax.random.uniform(key_u, (400,)) < 0.6, x, noise)  # states 0, 1, 2
        >>> fit = fit_multinomial(jax.nn.one_hot(x, 3), y, jnp.ones(400), 5, Config())
        >>> bool(fit.converged), bool(jnp.all(jnp.isinf(fit.log_prob[:, 3:])))  # 3, 4 unseen
        (True, True)
    """
    dtype = features.dtype
    design = jnp.concatenate([features, jnp.ones((features.shape[0], 1), dtype)], axis=1)
    onehot = jax.nn.one_hot(labels, num_classes, dtype=dtype)
    seen = (weights @ onehot) > 0
    penalty = jnp.full(design.shape[1], config.logistic_ridge, dtype).at[-1].set(0.0)
    bound = 0.5 * (design * weights[:, None]).T @ design + jnp.diag(penalty + 1e-12)
    factor = linalg.cholesky(bound)

    def log_prob(theta):
        return jax.nn.log_softmax(jnp.where(seen[None, :], design @ theta, -jnp.inf), axis=1)

    def body(carry):
        theta, _, count = carry
        residual = (jnp.exp(log_prob(theta)) - onehot) * weights[:, None]
        gradient = design.T @ residual + penalty[:, None] * theta
        new = theta - linalg.cho_solve(factor, jnp.where(seen[None, :], gradient, 0.0))
        change = jnp.max(jnp.abs(new - theta) / (1.0 + jnp.abs(new)))
        return new, change, count + 1

    def cond(carry):
        _, change, count = carry
        return (change > config.logistic_tol) & (count < config.logistic_steps)

    theta0 = jnp.zeros((design.shape[1], num_classes), dtype)
    start = (theta0, jnp.asarray(jnp.inf, dtype), jnp.asarray(0, jnp.int32))
    theta, change, count = jax.lax.while_loop(cond, body, start)
    converged = (change <= config.logistic_tol) & jnp.all(jnp.isfinite(theta))
    return MultinomialFit(log_prob(theta), converged, count)
