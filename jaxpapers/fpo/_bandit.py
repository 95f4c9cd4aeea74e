"""The 3-action "length-hacking" bandit: the exact-FPO test bed with closed forms (spec §2.5).

Answers k = 1, 2, 3 have length ψ = (1, 2, 3) and true utility U = (1, 2, 0.5): the longest
answer is bad. The policy is ``π_θ = softmax(θ)`` with an entropy bonus τ; the reward model is
misspecified, ``r_φ(k) = φ ψ_k`` (it can only score length), and retrains to

    φ*(θ) = argmin_φ Σ_k π_k (φ ψ_k − U_k)² + λ φ² = Σ π_k ψ_k U_k / (Σ π_k ψ_k² + λ).

Myopic iterative RLHF alternates ``φ ← φ*(θ)`` and the entropy-regularised best response
``θ ← φ ψ / τ`` and settles on mostly the longest answer (E U ≈ 0.667); gradient ascent on the
Stackelberg objective ``F(θ) + τ H(π_θ)``, ``F(θ) = J(θ, φ*(θ))``, reaches the best answer.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from jaxpapers import _validate
from jaxpapers.fpo._penalty import penalty
from jaxpapers.fpo._steering import _direction, total_gradient
from jaxpapers.fpo._types import Config, RoundInfo

__all__ = ["BanditEnv", "bandit_ascent"]


@dataclasses.dataclass(frozen=True)
class BanditEnv:
    """The length-hacking bandit (spec §2.5) and its closed forms.

    Attributes:
        psi: the answers' lengths ψ_k, the reward model's only feature.
        utility: the true utilities U_k.
        tau: entropy bonus τ of the policy.
        lam: ridge λ of the reward model's loss.
        num_rounds: iterations of :func:`~jaxpapers.fpo.simulate`.
        init_scale: θ₀ ~ init_scale · N(0, I) from the key (0: start at θ = 0, as the spec).
    """

    psi: tuple[float, ...] = (1.0, 2.0, 3.0)
    utility: tuple[float, ...] = (1.0, 2.0, 0.5)
    tau: float = 0.1
    lam: float = 0.01
    num_rounds: int = 500
    init_scale: float = 0.0

    def __post_init__(self):
        if len(self.psi) != len(self.utility) or len(self.psi) < 2:
            raise ValueError(
                f"psi and utility must have the same length >= 2, got {len(self.psi)} and "
                f"{len(self.utility)}"
            )
        _validate.check_positive("BanditEnv.tau", self.tau)
        _validate.check_range("BanditEnv.lam", self.lam, low=0.0)
        _validate.check_range("BanditEnv.init_scale", self.init_scale, low=0.0)
        _validate.check_integer("BanditEnv.num_rounds", self.num_rounds, minimum=1)

    def arrays(self, dtype=None) -> tuple[Array, Array]:
        """``(ψ, U)`` as arrays of ``dtype`` (default float)."""
        dtype = jnp.zeros(()).dtype if dtype is None else dtype
        return jnp.asarray(self.psi, dtype), jnp.asarray(self.utility, dtype)

    def policy(self, theta: Float[Array, " k"]) -> Float[Array, " k"]:
        """``π_θ = softmax(θ)``."""
        return jax.nn.softmax(theta)

    def best_response(self, theta: Float[Array, " k"]) -> Float[Array, ""]:
        """The closed-form ``φ*(θ) = Σπψ U / (Σπψ² + λ)``.

        Examples:
            >>> round(float(BanditEnv().best_response(jnp.zeros(3))), 4)   # (1+4+1.5)/(14+0.03)
            0.4633
        """
        psi, utility = self.arrays(theta.dtype)
        pi = self.policy(theta)
        return jnp.sum(pi * psi * utility) / (jnp.sum(pi * psi**2) + self.lam)

    def reward(self, phi: Float[Array, ""], action: Int[Array, ""]) -> Float[Array, ""]:
        """``r_φ(k) = φ ψ_k``."""
        return phi * self.arrays(phi.dtype)[0][action]

    def sample_loss(self, phi: Float[Array, ""], action: Int[Array, ""]) -> Float[Array, ""]:
        """``ℓ(φ; k) = (φ ψ_k − U_k)²``."""
        psi, utility = self.arrays(phi.dtype)
        return (phi * psi[action] - utility[action]) ** 2

    def leader(self, theta: Float[Array, " k"], phi: Float[Array, ""]) -> Float[Array, ""]:
        """``J(θ, φ) = Σ_k π_k φ ψ_k`` (the entropy bonus does not involve φ)."""
        return jnp.sum(self.policy(theta) * phi * self.arrays(theta.dtype)[0])

    def follower(self, theta: Float[Array, " k"], phi: Float[Array, ""]) -> Float[Array, ""]:
        """``L(θ, φ) = Σ_k π_k (φ ψ_k − U_k)² + λ φ²``."""
        psi, utility = self.arrays(theta.dtype)
        return jnp.sum(self.policy(theta) * (phi * psi - utility) ** 2) + self.lam * phi**2

    def stackelberg_objective(self, theta: Float[Array, " k"]) -> Float[Array, ""]:
        """``F(θ) = J(θ, φ*(θ))`` through the closed-form best response."""
        return self.leader(theta, self.best_response(theta))

    def entropy(self, theta: Float[Array, " k"]) -> Float[Array, ""]:
        """``H(π_θ) = −Σ π log π``."""
        return -jnp.sum(self.policy(theta) * jax.nn.log_softmax(theta))

    def record(self, theta: Float[Array, " k"]) -> RoundInfo:
        """E_π U, E_π r_φ*, the hacked answer's probability and the best answer's."""
        psi, utility = self.arrays(theta.dtype)
        pi = self.policy(theta)
        reward = jnp.sum(pi * self.best_response(theta) * psi)
        best, longest = jnp.argmax(jnp.asarray(self.utility)), jnp.argmax(jnp.asarray(self.psi))
        return RoundInfo(jnp.sum(pi * utility), reward, pi[longest], pi[best])


def init(key: jax.Array, env: BanditEnv, dtype=None) -> Float[Array, " k"]:
    """θ₀ = init_scale · N(0, I) (zero by default)."""
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    return env.init_scale * jax.random.normal(key, (len(env.psi),), dtype)


def penalties(config: Config, env: BanditEnv, theta: Float[Array, " k"]) -> Float[Array, " k"]:
    """``pen_k`` of every action at ``φ*(θ)`` (pointwise loss; see :func:`penalty`)."""
    phi = env.best_response(theta)
    actions = jnp.arange(len(env.psi))
    utility = env.arrays(theta.dtype)[1]
    direction = None
    if config.mode == "exact":
        direction, _ = _direction(
            env.leader,
            env.follower,
            theta,
            phi,
            config.damping,
            config.tol,
            config.solver,
            config.maxiter,
        )
    needs_oracle = config.mode in ("exact", "relaxed")

    def one(action, u):
        u = u if needs_oracle else None
        return penalty(config.mode, env.reward, phi, action, u, direction=direction)

    return jax.vmap(one)(actions, utility)


def step(config: Config, env: BanditEnv, theta, t) -> tuple[Array, RoundInfo]:
    """FPO in the damped myopic loop: ``θ ← θ/2 + (φ*(θ) ψ − γ pen(θ)) / (2τ)`` (spec check 11).

    With ``mode="myopic"`` this is the (damped) myopic iteration; its fixed point is the same
    as the undamped alternation's.
    """
    psi = env.arrays(theta.dtype)[0]
    target = (
        env.best_response(theta) * psi - config.gamma * penalties(config, env, theta)
    ) / env.tau
    theta = 0.5 * theta + 0.5 * target
    return theta, env.record(theta)


def bandit_ascent(
    env: BanditEnv,
    theta0: Float[Array, " k"],
    *,
    learning_rate: float = 1.0,
    num_steps: int = 5000,
    gradient: str = "total",
) -> tuple[Array, RoundInfo]:
    """Gradient ascent on ``J(θ, φ*(θ)) + τ H(π_θ)``, with the total or the standard gradient.

    ``gradient="total"`` uses :func:`~jaxpapers.fpo.total_gradient` (standard policy gradient +
    steering term, dense solve: φ is a scalar) and reaches the Stackelberg optimum;
    ``"standard"`` drops the steering term (myopic) and converges to the myopic fixed point.

    Returns:
        the final θ and the per-step :class:`RoundInfo` (stacked).
    """
    _validate.check_choice("gradient", gradient, ("total", "standard"))

    def body(theta, _):
        phi = env.best_response(theta)
        if gradient == "total":
            grad = total_gradient(env.leader, env.follower, theta, phi, solver="dense")
        else:
            grad = jax.grad(env.leader)(theta, phi)
        theta = theta + learning_rate * (grad + env.tau * jax.grad(env.entropy)(theta))
        return theta, env.record(theta)

    return jax.lax.scan(body, theta0, None, length=num_steps)
