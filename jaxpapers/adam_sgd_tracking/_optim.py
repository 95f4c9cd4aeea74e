"""Optimiser steps for tracking, written to equal optax exactly, and their optax wrappers.

Each optimiser comes as a pure ``*_update(grads, state, ...) -> (updates, state)`` with every
hyperparameter an explicit (traceable, vmappable) argument, a ``*_step(params, grads, state, ...)
-> (params, state)`` that adds the update, and a constructor returning an
``optax.GradientTransformation`` so that :func:`~jaxpapers.adam_sgd_tracking.simulate` treats
ours and any optax optimiser alike.

The arithmetic follows optax 0.2.8 operation for operation (``optax.sgd``, ``optax.sgd(...,
momentum=beta)``, ``optax.rmsprop``, ``optax.adam``): eps outside the square root in Adam
(``eps_root = 0``), inside it in RMSprop (optax's default ``eps_in_sqrt=True``), bias correction
``1 - beta**t`` with ``t`` counted from 1, heavy-ball momentum ``trace = g + beta * trace`` (the
EMA form with step ``alpha / (1 - beta)``; see the spec §5).
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, ArrayLike, Float, Int

from jaxpapers.adam_sgd_tracking._types import Hyperparams
from jaxpapers.adam_sgd_tracking._validate import check_hyperparams

__all__ = [
    "OPTIMIZERS",
    "AdamState",
    "MomentumState",
    "RMSPropState",
    "adam",
    "adam_step",
    "adam_update",
    "momentum",
    "momentum_step",
    "momentum_update",
    "optimizer_from_name",
    "project_box",
    "rmsprop",
    "rmsprop_step",
    "rmsprop_update",
    "sgd",
    "sgd_step",
    "sgd_update",
]

Params = Float[Array, "*shape"]
Scalar = Float[ArrayLike, ""]


class AdamState(NamedTuple):
    """Adam's moments: ``count`` steps taken, first moment ``mu``, second moment ``nu``."""

    count: Int[Array, ""]
    mu: Float[Array, "*shape"]
    nu: Float[Array, "*shape"]


class MomentumState(NamedTuple):
    """Heavy-ball momentum buffer ``trace`` (optax's ``TraceState``)."""

    trace: Float[Array, "*shape"]


class RMSPropState(NamedTuple):
    """RMSprop's second moment ``nu`` (optax's ``ScaleByRmsState``)."""

    nu: Float[Array, "*shape"]


def _apply(params: Params, updates: Params) -> Params:
    # optax.apply_updates: p + u computed in the parameter dtype.
    return jnp.asarray(params + updates).astype(params.dtype)


def _like(value: Scalar, dtype) -> Scalar:
    # Python numbers stay Python numbers, as in optax: then 1 - beta is computed in double
    # precision before it meets the (float32) gradients, and the results agree bit for bit.
    return value if isinstance(value, int | float) else jnp.asarray(value, dtype)


def _scale_by_lr(updates: Params, alpha: Scalar) -> Params:
    # optax.scale_by_learning_rate(alpha) == scale(-alpha): the update times (-alpha).
    return updates * (-_like(alpha, updates.dtype))


def sgd_update(grads: Params, alpha: Scalar) -> Params:
    """SGD update ``u = -alpha g`` (``optax.sgd(alpha)``); SGD has no state."""
    return _scale_by_lr(grads, alpha)


def sgd_step(params: Params, grads: Params, alpha: Scalar) -> Params:
    """One SGD step ``theta - alpha g``."""
    return _apply(params, sgd_update(grads, alpha))


def momentum_update(
    grads: Params, state: MomentumState, alpha: Scalar, beta: Scalar
) -> tuple[Params, MomentumState]:
    """Heavy-ball update (``optax.sgd(alpha, momentum=beta)``).

    ``trace_t = g_t + beta trace_{t-1}``, ``u_t = -alpha trace_t``. With ``m_t = (1 - beta)
    trace_t`` this is the EMA momentum of spec §2.3-4 with step ``a = alpha / (1 - beta)``.
    """
    beta = _like(beta, grads.dtype)
    trace = grads + beta * state.trace
    return _scale_by_lr(trace, alpha), MomentumState(trace)


def momentum_step(
    params: Params, grads: Params, state: MomentumState, alpha: Scalar, beta: Scalar
) -> tuple[Params, MomentumState]:
    """One heavy-ball step; see :func:`momentum_update`."""
    updates, state = momentum_update(grads, state, alpha, beta)
    return _apply(params, updates), state


def rmsprop_update(
    grads: Params, state: RMSPropState, alpha: Scalar, decay: Scalar, eps: Scalar
) -> tuple[Params, RMSPropState]:
    """RMSprop update as ``optax.rmsprop(alpha, decay, eps)``: eps inside the square root.

    ``nu_t = (1 - decay) g_t^2 + decay nu_{t-1}``, ``u_t = -alpha g_t / sqrt(nu_t + eps)``; no
    bias correction (optax's default). Adam with ``beta1 = 0`` is the bias-corrected variant.
    """
    decay = _like(decay, grads.dtype)
    nu = (1 - decay) * grads**2 + decay * state.nu
    scaled = jax.lax.rsqrt(nu + _like(eps, grads.dtype)) * grads
    return _scale_by_lr(scaled, alpha), RMSPropState(nu)


def rmsprop_step(
    params: Params, grads: Params, state: RMSPropState, alpha: Scalar, decay: Scalar, eps: Scalar
) -> tuple[Params, RMSPropState]:
    """One RMSprop step; see :func:`rmsprop_update`."""
    updates, state = rmsprop_update(grads, state, alpha, decay, eps)
    return _apply(params, updates), state


def adam_update(
    grads: Params, state: AdamState, alpha: Scalar, beta1: Scalar, beta2: Scalar, eps: Scalar
) -> tuple[Params, AdamState]:
    r"""Adam update with bias correction, eps outside the square root (``optax.adam``).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,
        \quad u_t = -\alpha\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}.

    Spec §1.3 (Kingma & Ba form); whether the paper uses bias correction is not known.
    """
    dtype = grads.dtype
    beta1, beta2 = _like(beta1, dtype), _like(beta2, dtype)
    mu = (1 - beta1) * grads + beta1 * state.mu
    nu = (1 - beta2) * grads**2 + beta2 * state.nu
    count = optax.safe_increment(state.count)
    power = count.astype(dtype)
    mu_hat = mu / (1 - beta1**power)
    nu_hat = nu / (1 - beta2**power)
    scaled = mu_hat / (jnp.sqrt(nu_hat) + _like(eps, dtype))
    return _scale_by_lr(scaled, alpha), AdamState(count, mu, nu)


def adam_step(
    params: Params,
    grads: Params,
    state: AdamState,
    alpha: Scalar,
    beta1: Scalar,
    beta2: Scalar,
    eps: Scalar,
) -> tuple[Params, AdamState]:
    """One Adam step ``theta + u_t``; see :func:`adam_update` (spec §4 check 1).

    Example:
        >>> import jax.numpy as jnp
        >>> params = jnp.zeros(2)
        >>> state = AdamState(jnp.zeros([], jnp.int32), params, params)
        >>> params, state = adam_step(params, jnp.array([1.0, -4.0]), state, 0.1, 0.9, 0.999, 1e-8)
        >>> [round(float(x), 4) for x in params]  # the first step moves each coordinate by alpha
        [-0.1, 0.1]
    """
    updates, state = adam_update(grads, state, alpha, beta1, beta2, eps)
    return _apply(params, updates), state


def project_box(params: Params, lower: ArrayLike, upper: ArrayLike) -> Params:
    """Euclidean projection onto the box ``[lower, upper]`` (``optax.projections.projection_box``).

    For a box the Euclidean and any diagonal-metric projection coincide (spec §1.3).
    """
    return jnp.clip(params, lower, upper)


# ----- optax GradientTransformations built from the pure updates ---------------------------------


def sgd(learning_rate: Scalar) -> optax.GradientTransformation:
    """SGD as an optax ``GradientTransformation`` (equals ``optax.sgd``)."""
    return optax.GradientTransformation(
        lambda params: optax.EmptyState(),
        lambda grads, state, params=None: (sgd_update(grads, learning_rate), state),
    )


def momentum(learning_rate: Scalar, beta: Scalar) -> optax.GradientTransformation:
    """Heavy-ball momentum (equals ``optax.sgd(learning_rate, momentum=beta)``)."""
    return optax.GradientTransformation(
        lambda params: MomentumState(jnp.zeros_like(params)),
        lambda grads, state, params=None: momentum_update(grads, state, learning_rate, beta),
    )


def rmsprop(learning_rate: Scalar, decay: Scalar, eps: Scalar) -> optax.GradientTransformation:
    """RMSprop (equals ``optax.rmsprop(learning_rate, decay, eps)``)."""
    return optax.GradientTransformation(
        lambda params: RMSPropState(jnp.zeros_like(params)),
        lambda grads, state, params=None: rmsprop_update(grads, state, learning_rate, decay, eps),
    )


def adam(
    learning_rate: Scalar, beta1: Scalar, beta2: Scalar, eps: Scalar
) -> optax.GradientTransformation:
    """Adam (equals ``optax.adam(learning_rate, beta1, beta2, eps)``)."""

    def init(params):
        zeros = jnp.zeros_like(params)
        return AdamState(jnp.zeros([], jnp.int32), zeros, zeros)

    return optax.GradientTransformation(
        init,
        lambda grads, state, params=None: adam_update(
            grads, state, learning_rate, beta1, beta2, eps
        ),
    )


OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")


def optimizer_from_name(name: str, hyper: Hyperparams) -> optax.GradientTransformation:
    """The built-in optimiser ``name`` with hyperparameters ``hyper`` (scalars, maybe traced).

    ``sgd`` uses ``learning_rate``; ``momentum`` uses ``learning_rate, beta1``; ``rmsprop`` uses
    ``learning_rate, beta2`` (as its decay), ``eps``; ``adam`` uses all four.
    """
    check_hyperparams(hyper)
    if name == "sgd":
        return sgd(hyper.learning_rate)
    if name == "momentum":
        return momentum(hyper.learning_rate, hyper.beta1)
    if name == "rmsprop":
        return rmsprop(hyper.learning_rate, hyper.beta2, hyper.eps)
    if name == "adam":
        return adam(hyper.learning_rate, hyper.beta1, hyper.beta2, hyper.eps)
    raise ValueError(
        f"optimizer must be one of {OPTIMIZERS} or an optax transformation, got {name!r}"
    )
