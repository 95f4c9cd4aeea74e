"""The optimisers, by name: optax's own transformations with traced hyperparameters.

Nothing is re-implemented: ``"adam"`` is ``optax.adam`` (bias correction, eps outside the
square root, ``eps_root = 0``: spec §1.3), ``"rmsprop"`` is ``optax.rmsprop`` (eps inside the
square root, no bias correction), ``"momentum"`` is ``optax.sgd(alpha, momentum=beta)``
(heavy ball ``trace = g + beta trace``: EMA momentum with step ``alpha / (1 - beta)``, spec §5)
and ``"sgd"`` is ``optax.sgd``. The hyperparameters are passed as (possibly traced) arrays, so
:func:`~jaxpapers.adam_sgd_tracking.simulate` vmaps one compiled program over a whole grid of
step sizes and betas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import optax

from jaxpapers.adam_sgd_tracking._types import Hyperparams

__all__ = ["OPTIMIZERS", "OptimizerLike", "as_optimizer_factory", "optimizer"]

_FACTORIES: dict[str, Callable[[Hyperparams], optax.GradientTransformation]] = {
    "sgd": lambda h: optax.sgd(jnp.asarray(h.learning_rate)),
    "momentum": lambda h: optax.sgd(jnp.asarray(h.learning_rate), momentum=h.beta1),
    "rmsprop": lambda h: optax.rmsprop(jnp.asarray(h.learning_rate), decay=h.beta2, eps=h.eps),
    "adam": lambda h: optax.adam(jnp.asarray(h.learning_rate), b1=h.beta1, b2=h.beta2, eps=h.eps),
}

OPTIMIZERS = tuple(_FACTORIES)
"""The built-in optimiser names: ``sgd`` (uses ``learning_rate``), ``momentum``
(``learning_rate, beta1``), ``rmsprop`` (``learning_rate``, ``beta2`` as its decay, ``eps``),
``adam`` (all four)."""

OptimizerLike = str | optax.GradientTransformation | Callable[[Hyperparams], Any]


def optimizer(name: str, hyper: Hyperparams) -> optax.GradientTransformation:
    """The built-in optimiser ``name`` as an optax transformation with hyperparameters ``hyper``.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> adam = optimizer("adam", Hyperparams(0.1))
        >>> with jax.numpy_dtype_promotion("standard"):  # optax computes beta ** int32 count
        ...     updates, _ = adam.update(jnp.array([1.0, -4.0]), adam.init(jnp.zeros(2)))
        >>> [round(float(u), 4) for u in updates]  # the first step moves each coordinate by alpha
        [-0.1, 0.1]
    """
    if name not in _FACTORIES:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
    return _FACTORIES[name](hyper)


def as_optimizer_factory(optimizer_like: OptimizerLike) -> Callable[[Hyperparams], Any]:
    """Turn a name, an optax transformation or a factory into ``hyper -> GradientTransformation``.

    * a name in :data:`OPTIMIZERS`: :func:`optimizer`, reading its hyperparameters from the grid;
    * an ``optax.GradientTransformation`` (e.g. ``optax.adamw(1e-3)``): used as is, the grid
      is ignored;
    * a callable ``hyper -> GradientTransformation`` (e.g. ``lambda h: optax.lion(
      h.learning_rate, b1=h.beta1)``): built per setting, so the grid vmaps through any optax
      optimiser.
    """
    if isinstance(optimizer_like, str):
        if optimizer_like not in _FACTORIES:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer_like!r}")
        return _FACTORIES[optimizer_like]
    if isinstance(optimizer_like, optax.GradientTransformation):
        return lambda hyper: optimizer_like
    if callable(optimizer_like):
        return optimizer_like
    raise TypeError(
        "optimizer must be a name, an optax.GradientTransformation or a callable "
        f"Hyperparams -> GradientTransformation, got {type(optimizer_like).__name__}"
    )
