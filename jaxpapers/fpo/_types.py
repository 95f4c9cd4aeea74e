"""Settings and results of foresighted policy optimization (FPO).

:class:`Config` holds the method's settings (which penalty, its weight, how the follower's
linear system is solved); the environment dataclasses (``BanditEnv``, ``LinearEnv``,
``NeuralEnv``, ``LLMEnv``) live next to their simulators. Results are NamedTuples.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

from jaxtyping import Array, Bool, Float, Int

from jaxpapers import _validate

__all__ = [
    "MODES",
    "SOLVERS",
    "STATUS",
    "Config",
    "RoundInfo",
    "SteeringInfo",
    "Trajectory",
    "WinRate",
]

MODES = ("myopic", "exact", "relaxed", "practical")
"""FPO penalty modes: none (standard iterative RLHF), exact influence, relaxed, practical."""

SOLVERS = ("cg", "dense")
"""How ``(H + damping I) v = g`` is solved: conjugate gradients on Hessian-vector products, or
a dense Cholesky factorisation of the ``p_phi x p_phi`` Hessian (small problems only)."""

STATUS = ("converged", "max_steps", "not_positive_definite", "nonfinite")
"""Result codes of :class:`SteeringInfo.status` (an index into this tuple)."""


@dataclasses.dataclass(frozen=True)
class Config:
    """How FPO shapes the policy's objective ``r_phi(y) - gamma * pen(y)``.

    Attributes:
        mode: ``"myopic"`` (standard iterative RLHF, no penalty), ``"exact"`` (the influence
            term ``<H^-1 grad_phi J, grad_phi loss(y)>``), ``"relaxed"`` (H^-1 -> I and the
            global reward gradient -> the sample's own, needs the oracle U) or ``"practical"``
            (the relaxed form with the signed error replaced by 1: oracle-free).
        gamma: penalty weight (>= 0). Factors 2 and RM step sizes are absorbed into it, so its
            scale differs between environments (0.1 linear, 0.005 neural network, 10 LLM).
        stop_grad_oracle: stop gradients through the oracle utility U inside the relaxed
            penalty (the NN and LLM setups do; the authors' linear environment differentiates
            through U by finite differences, spec §6.1).
        solver: ``"cg"`` or ``"dense"`` for the exact mode's linear solve (see :data:`SOLVERS`).
        damping: lambda >= 0 added to the follower Hessian, ``H + lambda I``.
        tol: relative residual at which CG stops, ``||H v - g|| <= tol ||g||``.
        maxiter: CG iteration cap; None means 10 x the number of follower parameters.
    """

    mode: str = "relaxed"
    gamma: float = 0.1
    stop_grad_oracle: bool = True
    solver: str = "cg"
    damping: float = 0.0
    tol: float = 1e-10
    maxiter: int | None = None

    def __post_init__(self):
        _validate.check_choice("Config.mode", self.mode, MODES)
        _validate.check_choice("Config.solver", self.solver, SOLVERS)
        _validate.check_range("Config.gamma", self.gamma, low=0.0)
        _validate.check_range("Config.damping", self.damping, low=0.0)
        _validate.check_positive("Config.tol", self.tol)
        if not isinstance(self.stop_grad_oracle, bool):
            raise TypeError(
                f"Config.stop_grad_oracle must be a bool, got {self.stop_grad_oracle!r}"
            )
        if self.maxiter is not None:
            _validate.check_integer("Config.maxiter", self.maxiter, minimum=1)

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


class SteeringInfo(NamedTuple):
    """How the follower's linear system ``(H + damping I) v = grad_phi J`` was solved.

    Attributes:
        converged: True when the relative residual reached ``tol`` (CG) or the dense Cholesky
            factor exists (the Hessian is positive definite).
        num_steps: CG iterations taken (0 for the dense solver).
        residual: final relative residual ``||(H + damping I) v - g|| / ||g||`` (the
            recursive CG residual; the true residual for the dense solver).
        status: index into :data:`STATUS`: 0 converged, 1 ran out of iterations, 2 the
            Hessian is not positive definite (CG met ``p^T H p <= 0`` or Cholesky failed),
            3 a non-finite value appeared.
    """

    converged: Bool[Array, ""]
    num_steps: Int[Array, ""]
    residual: Float[Array, ""]
    status: Int[Array, ""]


class RoundInfo(NamedTuple):
    """What one round of a simulated environment reports (fields as in :class:`Trajectory`)."""

    utility: Float[Array, ""]
    reward: Float[Array, ""]
    noise: Float[Array, ""]
    signal: Float[Array, ""]


class Trajectory(NamedTuple):
    """Per-round record of one simulated run of iterative RLHF (one seed).

    Every field has a leading ``rounds`` axis (a ``seeds`` axis before it after
    :func:`~jaxpapers.fpo.simulate_seeds`), except ``state``: the environment state after the
    last round.

    Attributes:
        utility: the true utility U of the policy (bandit: E_pi U; linear: U(y); neural
            network: U(theta), the policy mean).
        reward: the reward model's score of the same (bandit: E_pi r_phi*; linear: w^T y;
            neural network: r_phi(theta)).
        noise: how far the policy has moved into the reward model's blind spot (bandit: the
            probability of the longest, hacked answer; linear: ||y[3:]||; neural network:
            ||theta[2:]||).
        signal: how much of the policy lies where U rewards it (bandit: the probability of
            the best answer; linear: ||y[:3]||; neural network: ||theta[:2]||).
        state: the final state (environment specific).
    """

    utility: Float[Array, "*seeds rounds"]
    reward: Float[Array, "*seeds rounds"]
    noise: Float[Array, "*seeds rounds"]
    signal: Float[Array, "*seeds rounds"]
    state: Any


class WinRate(NamedTuple):
    """A pairwise comparison A vs B with ties excluded (:func:`~jaxpapers.fpo.win_rate_test`).

    Attributes:
        rate: A's win rate among decided comparisons, ``wins_a / (wins_a + wins_b)``.
        pvalue_greater: exact binomial p-value of "A better", ``P(X >= wins_a)`` with
            ``X ~ Binomial(wins_a + wins_b, 1/2)``.
        pvalue_two_sided: exact two-sided binomial p-value (``scipy.stats.binomtest``'s
            definition; for p = 1/2, ``min(1, 2 min(P(X >= k), P(X <= k)))``).
    """

    rate: Float[Array, "*batch"]
    pvalue_greater: Float[Array, "*batch"]
    pvalue_two_sided: Float[Array, "*batch"]
