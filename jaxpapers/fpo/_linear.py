"""The linear environment of the authors' notebook (spec §2.2): collapse in closed form.

The policy plays a deterministic action ``y ∈ R^50`` (start 0); the true utility rewards the
first three coordinates, ``U(y) = 10 exp(−0.3 ||y − y*||²)`` with ``y* = (2, 2, 2, 0, …)``; the
reward model is linear, ``r_w(y) = wᵀy``. Each round the policy takes one gradient-ascent step
(0.02) on ``wᵀy − c||y||² − γ pen(y)``, then the reward model one SGD step on the new action,
``w ← (1 − λ) w + 2η (U(y) − wᵀy) y``. The noise coordinates 3..49 are the reward model's blind
spot: under standard RLHF the policy drifts into them and U collapses (5.97 → 3.93).

The authors differentiate by forward finite differences (``eps = 0.05``), which also reaches
``∇U`` through the relaxed penalty (the oracle leak, spec §6.1); ``gradient="exact"`` uses
``jax.grad`` and honours ``Config.stop_grad_oracle``.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import scipy.optimize

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers import _validate
from jaxpapers.fpo._penalty import penalty
from jaxpapers.fpo._types import Config, RoundInfo

__all__ = [
    "LinearEnv",
    "LinearState",
    "linear_authors_init",
    "linear_fixed_point_gap",
    "linear_myopic_ceiling",
]


class LinearState(NamedTuple):
    """The policy's action ``y`` and the reward model's weights ``w``."""

    y: Float[Array, " d"]
    w: Float[Array, " d"]


@dataclasses.dataclass(frozen=True)
class LinearEnv:
    """Constants of the linear environment (defaults: the authors' notebook, spec §2.2).

    Attributes:
        dim: action dimension d.
        signal_dim: coordinates where ``y* = target`` (the rest are noise).
        target: value of ``y*`` on the signal coordinates.
        peak: ``U(y) = peak · exp(−width ||y − y*||²)``.
        width: see ``peak``.
        action_cost: c in the policy's ``− c ||y||²``.
        policy_lr: the policy's gradient-ascent step.
        rm_lr: η, the reward model's SGD step (on the squared error, factor 2 included).
        rm_decay: λ, the reward model's weight decay per round.
        init_weight: ``w₀ = init_weight`` on the signal coordinates
            ``+ init_noise · N(0, I)`` (drawn from the key by :func:`~jaxpapers.fpo.simulate`).
        init_noise: see ``init_weight``.
        gradient: ``"finite_difference"`` (the authors' forward differences) or ``"exact"``.
        fd_step: the finite-difference step.
        num_rounds: rounds per run.
    """

    dim: int = 50
    signal_dim: int = 3
    target: float = 2.0
    peak: float = 10.0
    width: float = 0.3
    action_cost: float = 0.1
    policy_lr: float = 0.02
    rm_lr: float = 0.005
    rm_decay: float = 1e-4
    init_weight: float = 1.0
    init_noise: float = 0.1
    gradient: str = "finite_difference"
    fd_step: float = 0.05
    num_rounds: int = 300

    def __post_init__(self):
        _validate.check_integer("LinearEnv.dim", self.dim, minimum=1)
        _validate.check_integer("LinearEnv.signal_dim", self.signal_dim, minimum=1)
        if self.signal_dim > self.dim:
            raise ValueError(
                f"LinearEnv.signal_dim must be <= dim = {self.dim}, got {self.signal_dim}"
            )
        _validate.check_choice("LinearEnv.gradient", self.gradient, ("finite_difference", "exact"))
        for name in ("peak", "width", "policy_lr", "rm_lr", "fd_step"):
            _validate.check_positive(f"LinearEnv.{name}", getattr(self, name))
        for name in ("action_cost", "rm_decay", "init_noise"):
            _validate.check_range(f"LinearEnv.{name}", getattr(self, name), low=0.0)
        _validate.check_integer("LinearEnv.num_rounds", self.num_rounds, minimum=1)

    def ideal(self, dtype=None) -> Float[Array, " d"]:
        """``y*``."""
        mask = jnp.arange(self.dim) < self.signal_dim
        return jnp.where(mask, self.target, 0.0).astype(dtype or jnp.zeros(()).dtype)

    def utility(self, y: Float[Array, " d"]) -> Float[Array, ""]:
        """``U(y) = peak · exp(−width ||y − y*||²)``."""
        return self.peak * jnp.exp(-self.width * jnp.sum((y - self.ideal(y.dtype)) ** 2))

    @staticmethod
    def reward(w: Float[Array, " d"], y: Float[Array, " d"]) -> Float[Array, ""]:
        """``r_w(y) = wᵀy``."""
        return jnp.dot(w, y)

    def record(self, state: LinearState) -> RoundInfo:
        y = state.y
        return RoundInfo(
            self.utility(y),
            self.reward(state.w, y),
            jnp.linalg.norm(y[self.signal_dim :]),
            jnp.linalg.norm(y[: self.signal_dim]),
        )


def init(key: jax.Array, env: LinearEnv, dtype=None) -> LinearState:
    """``y₀ = 0``; ``w₀ = init_weight`` on the signal coordinates ``+ init_noise · N(0, I)``."""
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    base = jnp.where(jnp.arange(env.dim) < env.signal_dim, env.init_weight, 0.0).astype(dtype)
    w = base + env.init_noise * jax.random.normal(key, (env.dim,), dtype)
    return LinearState(jnp.zeros(env.dim, dtype), w)


def linear_authors_init(env: LinearEnv = LinearEnv(), dtype=None) -> LinearState:
    """The initial state of the authors' notebook: ``w₀`` drawn by ``numpy`` after ``seed(0)``.

    Starting :func:`~jaxpapers.fpo.simulate` from it reproduces their figures to the digit
    (final U 3.932 / 9.806 / 5.533 for RLHF / relaxed / practical).
    """
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    noise = np.random.RandomState(0).normal(0.0, env.init_noise, env.dim)  # the authors' draw
    base = np.where(np.arange(env.dim) < env.signal_dim, env.init_weight, 0.0)
    return LinearState(jnp.zeros(env.dim, dtype), jnp.asarray(base + noise, dtype))


def _objective(config: Config, env: LinearEnv, w, y, u):
    """``wᵀy − c||y||² − γ pen(y)``; ``u`` is U at the evaluated action or a frozen value."""
    pen = penalty(config.mode, env.reward, w, y, u, stop_grad_oracle=config.stop_grad_oracle)
    return env.reward(w, y) - env.action_cost * jnp.sum(y * y) - config.gamma * pen


def policy_gradient(config: Config, env: LinearEnv, state: LinearState) -> Float[Array, " d"]:
    """The policy's ascent direction: exact (``jax.grad``) or the authors' forward differences.

    With finite differences and ``stop_grad_oracle`` the oracle value is frozen at ``U(y)``
    for the shifted evaluations too (U is then not differentiated, as with ``stop_gradient``).
    """
    y, w = state.y, state.w
    frozen = config.stop_grad_oracle

    def objective(point):
        u = env.utility(y) if frozen else env.utility(point)
        return _objective(config, env, w, point, u)

    if env.gradient == "exact":
        return jax.grad(objective)(y)
    steps = env.fd_step * jnp.eye(env.dim, dtype=y.dtype)
    return (jax.vmap(objective)(y[None, :] + steps) - objective(y)) / env.fd_step


def step(config: Config, env: LinearEnv, state: LinearState, t) -> tuple[LinearState, RoundInfo]:
    """One round: a policy ascent step, then the reward model's SGD step on the new action."""
    y = state.y + env.policy_lr * policy_gradient(config, env, state)
    error = env.utility(y) - env.reward(state.w, y)
    info = env.record(LinearState(y, state.w))
    w = (1.0 - env.rm_decay) * state.w + 2.0 * env.rm_lr * error * y
    return LinearState(y, w), info


def linear_fixed_point_gap(env: LinearEnv, y: Float[Array, " d"]) -> Float[Array, ""]:
    """``U(y) − (2c||y||² + λc/η)``: zero at every fixed point of myopic RLHF (spec §1.6).

    With best response ``y = w/(2c)`` and the update ``w ← (1−λ)w + 2η(U − wᵀy)y``, a fixed
    point needs ``λ w = 2η (U(y) − wᵀy) y``, i.e. ``U(y) = 2c||y||² + λc/η``.
    """
    c = env.action_cost
    return env.utility(y) - (2.0 * c * jnp.sum(y * y) + env.rm_decay * c / env.rm_lr)


def linear_myopic_ceiling(env: LinearEnv = LinearEnv()) -> float:
    """The largest U on the myopic fixed-point set along the ray towards ``y*`` (≈ 4.979).

    Solves ``U(s ŷ*) = 2c s² + λc/η`` for the step length ``s > ||y*||`` with Brent's method
    (``scipy.optimize.brentq``); below ``||y*||`` the left side exceeds the right one.
    """
    norm = env.target * np.sqrt(env.signal_dim)
    c, offset = env.action_cost, env.rm_decay * env.action_cost / env.rm_lr

    def gap(s):
        return env.peak * np.exp(-env.width * (s - norm) ** 2) - 2.0 * c * s**2 - offset

    upper = norm + 1.0
    while gap(upper) > 0:
        upper *= 2.0
    s = scipy.optimize.brentq(gap, norm, upper, xtol=1e-14)
    return float(env.peak * np.exp(-env.width * (s - norm) ** 2))
