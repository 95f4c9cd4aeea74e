"""The FPO penalties: how much retraining the reward model on a sample would move it.

FPO's policy maximises ``E_π[r_φ(y) − γ·pen(y)]`` with ``pen = −R`` (spec §1.5; the sign
convention of the authors' code: a positive pen lowers the sample's score). For the reward
model's loss ℓ on one sample:

=========  =====================================  =======================================
mode       pointwise ``ℓ = (r_φ(y) − U(y))²``     pairwise Bradley–Terry against ``y′``
=========  =====================================  =======================================
myopic     0                                      0
exact      ``2 (r − U) ⟨v, ∇r(y)⟩``               ``(p_φ − p*) ⟨v, ∇r(y) − ∇r(y′)⟩``
relaxed    ``(r − U) ‖∇r(y)‖²``                   ``(p_φ − p*) ⟨∇r(y), ∇r(y) − ∇r(y′)⟩``
practical  ``‖∇r(y)‖²``                           ``⟨∇r(y), ∇r(y) − ∇r(y′)⟩``
=========  =====================================  =======================================

with ``v = H⁻¹ ∇_φ J`` (:func:`~jaxpapers.fpo.steering_direction`), ``p* = σ(U(y) − U(y′))``,
``p_φ = σ(r(y) − r(y′))`` and all gradients in φ at the current φ. *Exact* is the effective
reward's influence term ``−⟨ḡ_r, I^θ(y)⟩``; *relaxed* replaces ``H⁻¹`` by I and ``ḡ_r`` by the
sample's own ``∇_φ r(y)`` (TracIn-style; constants such as the pointwise factor 2 are absorbed
into γ); *practical* further replaces the signed error by 1 and needs no oracle.

Reference: Gauthier, Bach & Jordan, arXiv:2605.04266 (2026), the FPO penalties; Pruthi et al.,
"Estimating Training Data Influence by Tracing Gradient Descent" (TracIn), NeurIPS 2020.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Float

from jaxpapers import _validate
from jaxpapers.fpo._checks import check_objective, check_same_structure
from jaxpapers.fpo._types import MODES

__all__ = ["bradley_terry_loss", "penalty"]

Reward = Callable[[Any, Any], Array]


def _dot(a: Any, b: Any) -> Array:
    return jnp.vdot(ravel_pytree(a)[0], ravel_pytree(b)[0])


def _check(mode, reward, phi, y, u, y_ref, u_ref, direction) -> None:
    _validate.check_choice("mode", mode, MODES)
    check_objective("reward", reward, phi, y, arg_names="phi, y")
    if y_ref is not None:
        check_objective("reward", reward, phi, y_ref, arg_names="phi, y_ref")
    if mode in ("exact", "relaxed"):
        if u is None:
            raise ValueError(f"mode {mode!r} needs the oracle utility u = U(y), got None")
        if y_ref is not None and u_ref is None:
            raise ValueError(f"pairwise mode {mode!r} needs u_ref = U(y_ref), got None")
    if mode == "exact":
        if direction is None:
            raise ValueError(
                "mode 'exact' needs direction = H⁻¹ ∇_φ J (from steering_direction), got None"
            )
        check_same_structure("direction", direction, "phi", phi)
    elif direction is not None:
        raise ValueError(f"direction is used by mode 'exact' only, got mode {mode!r}")


def penalty(
    mode: str,
    reward: Reward,
    phi: Any,
    y: Any,
    u: Float[Array, ""] | float | None = None,
    *,
    y_ref: Any = None,
    u_ref: Float[Array, ""] | float | None = None,
    direction: Any = None,
    stop_grad_oracle: bool = True,
) -> Float[Array, ""]:
    """The FPO penalty ``pen(y)`` of one sample (module table); FPO scores ``r − γ·pen``.

    Differentiable in ``y`` (the environments differentiate it through the policy's action);
    ``vmap`` over samples.

    Args:
        mode: one of ``"myopic"``, ``"exact"``, ``"relaxed"``, ``"practical"``.
        reward: ``r(phi, y) -> scalar``, the reward model.
        phi: the reward model's parameters (a pytree).
        y: one sample (any pytree ``reward`` accepts).
        u: the oracle utility ``U(y)`` (``"relaxed"`` and ``"exact"``).
        y_ref: a reference sample; given, the loss is pairwise Bradley–Terry against it.
        u_ref: ``U(y_ref)`` (pairwise ``"relaxed"`` and ``"exact"``).
        direction: ``H⁻¹ ∇_φ J``, a pytree like ``phi`` (``"exact"`` only), from
            :func:`~jaxpapers.fpo.steering_direction`.
        stop_grad_oracle: block gradients through ``u`` and ``u_ref`` (default). False
            reproduces the authors' linear environment, whose finite differences reach ∇U
            through the relaxed penalty (spec §6.1, the oracle leak).

    Returns:
        The scalar penalty.

    Examples:
        >>> reward = lambda w, y: w @ y                     # linear RM: grad_w r = y
        >>> w, y = jnp.array([1.0, 0.0]), jnp.array([2.0, 1.0])
        >>> float(penalty("practical", reward, w, y)), float(penalty("relaxed", reward, w, y, 1.0))
        (5.0, 5.0)
    """
    _check(mode, reward, phi, y, u, y_ref, u_ref, direction)
    if mode == "myopic":
        return jnp.zeros((), jnp.result_type(reward(phi, y)))
    if stop_grad_oracle:
        u, u_ref = jax.tree.map(jax.lax.stop_gradient, (u, u_ref))
    r, grad_r = jax.value_and_grad(reward)(phi, y)
    if y_ref is None:
        if mode == "practical":
            return _dot(grad_r, grad_r)
        if mode == "relaxed":
            return (r - u) * _dot(grad_r, grad_r)
        return 2.0 * (r - u) * _dot(direction, grad_r)
    r_ref, grad_ref = jax.value_and_grad(reward)(phi, y_ref)
    difference = jax.tree.map(jnp.subtract, grad_r, grad_ref)
    if mode == "practical":
        return _dot(grad_r, difference)
    u, u_ref = cast(Array, u), cast(Array, u_ref)  # given: _check requires them here
    overconfidence = jax.nn.sigmoid(r - r_ref) - jax.nn.sigmoid(u - u_ref)
    if mode == "relaxed":
        return overconfidence * _dot(grad_r, difference)
    return overconfidence * _dot(direction, difference)


def bradley_terry_loss(
    reward: Reward, phi: Any, y: Any, y_ref: Any, u: Any, u_ref: Any
) -> Float[Array, ""]:
    """Soft-label Bradley–Terry loss ``−p* log p_φ − (1 − p*) log(1 − p_φ)``.

    ``p_φ = σ(r_φ(y) − r_φ(y′))`` and ``p* = σ(U(y) − U(y′))``; its gradient in φ is
    ``(p_φ − p*)(∇r(y) − ∇r(y′))``. Computed with ``optax.sigmoid_binary_cross_entropy``.

    Examples:
        >>> reward = lambda w, y: w @ y
        >>> round(float(bradley_terry_loss(reward, jnp.zeros(2), jnp.ones(2), jnp.zeros(2),
        ...                                 0.0, 0.0)), 4)   # log 2
        0.6931
    """
    logit = reward(phi, y) - reward(phi, y_ref)
    label = jax.nn.sigmoid(jnp.asarray(u, logit.dtype) - jnp.asarray(u_ref, logit.dtype))
    return optax.sigmoid_binary_cross_entropy(logit, label)
