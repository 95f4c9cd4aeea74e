"""Reproduction stages A–B: exact identities and the length-hacking bandit.

Each stage runs in float64 (``jax.enable_x64``): the spec's tolerances reach 1e-12.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import jax
import jax.numpy as jnp

from jaxpapers import linalg
from jaxpapers._stages import StageResult
from jaxpapers.fpo import _figures
from jaxpapers.fpo._bandit import BanditEnv, bandit_ascent
from jaxpapers.fpo._influence import effective_reward, influence
from jaxpapers.fpo._steering import steering_gradient, total_gradient
from jaxpapers.report import Claim

# Spec §4 check 1: standard PG and steering at θ = (0.3, −0.2, 0.5) [R, finite differences].
REFERENCE_THETA = (0.3, -0.2, 0.5)
REFERENCE_STANDARD = (-0.13878, -0.00611, 0.14489)
REFERENCE_STEERING = (0.09097, 0.22166, -0.31264)


class Problem(NamedTuple):
    """A leader/follower pair with a closed-form follower optimum (for identity checks)."""

    leader: Callable[[Any, Any], jax.Array]
    follower: Callable[[Any, Any], jax.Array]
    best_response: Callable[..., jax.Array]
    reward: Callable[[Any, Any], jax.Array]
    sample_loss: Callable[[Any, Any], jax.Array]
    num_actions: int


def ridge_problem(key: jax.Array, num_actions: int = 20, dim: int = 8, lam: float = 0.1) -> Problem:
    """Softmax policy over ``num_actions`` actions with random features ``x_k ~ N(0, I)`` and
    utilities ``u_k ~ N(0, 1)``; ridge reward model ``r_φ(k) = φᵀx_k`` (spec §4 check 3)."""
    key_x, key_u = jax.random.split(key)
    x = jax.random.normal(key_x, (num_actions, dim))
    u = jax.random.normal(key_u, (num_actions,))

    def leader(theta, phi):
        return jnp.sum(jax.nn.softmax(theta) * (x @ phi))

    def follower(theta, phi):
        return jnp.sum(jax.nn.softmax(theta) * (x @ phi - u) ** 2) + lam * jnp.sum(phi**2)

    def best_response(theta, extra_weight=None):
        weights = (
            jax.nn.softmax(theta) if extra_weight is None else jax.nn.softmax(theta) + extra_weight
        )
        gram = (x * weights[:, None]).T @ x + lam * jnp.eye(dim, dtype=x.dtype)
        return linalg.spd_solve(gram, x.T @ (weights * u))

    def reward(phi, k):
        return x[k] @ phi

    def sample_loss(phi, k):
        return (x[k] @ phi - u[k]) ** 2

    return Problem(leader, follower, best_response, reward, sample_loss, num_actions)


def _relative(a, b):
    """``||a − b|| / ||b||`` for flat arrays (traceable)."""
    return jnp.linalg.norm(jnp.ravel(a) - jnp.ravel(b)) / jnp.linalg.norm(jnp.ravel(b))


def _bandit_errors(theta):
    """Relative errors of the IFT total gradient and of the effective-reward form at θ."""
    env = BanditEnv()
    autodiff = jax.grad(env.stackelberg_objective)(theta)
    phi = env.best_response(theta)
    total = total_gradient(env.leader, env.follower, theta, phi, solver="cg", tol=1e-14)
    tilde = effective_reward(
        env.leader, env.follower, env.reward, env.sample_loss, theta, phi, jnp.arange(3)
    )
    policy_jacobian = jax.jacobian(env.policy)(theta)  # [k, θ]
    return _relative(total, autodiff), _relative(policy_jacobian.T @ tilde, autodiff)


def _bandit_reference():
    """Standard PG and steering at the spec's reference θ."""
    env = BanditEnv()
    theta = jnp.asarray(REFERENCE_THETA)
    phi = env.best_response(theta)
    standard = jax.grad(env.leader)(theta, phi)
    return standard, steering_gradient(env.leader, env.follower, theta, phi, tol=1e-14)


def _ridge_errors(key):
    """Relative errors for one random ridge problem: CG and dense IFT vs autodiff, influence
    vs central differences of φ* in one sample's weight (t = 1e-5)."""
    key_problem, key_theta, key_k = jax.random.split(key, 3)
    problem = ridge_problem(key_problem)
    theta = jax.random.normal(key_theta, (problem.num_actions,))
    phi = problem.best_response(theta)
    autodiff = jax.grad(lambda th: problem.leader(th, problem.best_response(th)))(theta)
    errors = [
        _relative(
            total_gradient(problem.leader, problem.follower, theta, phi, solver=s, tol=1e-12),
            autodiff,
        )
        for s in ("cg", "dense")
    ]
    k = jax.random.randint(key_k, (1,), 0, problem.num_actions)
    inf = influence(problem.follower, problem.sample_loss, theta, phi, k, tol=1e-12)[0]
    bump = 1e-5 * jax.nn.one_hot(k[0], problem.num_actions, dtype=theta.dtype)
    fd = (problem.best_response(theta, bump) - problem.best_response(theta, -bump)) / 2e-5
    return (*errors, _relative(inf, fd))


def identities_stage(key, scale, done) -> StageResult:
    """Spec §4 group A (checks 1–4): the decomposition against autodiff through closed forms."""
    key_bandit, key_ridge = jax.random.split(key)
    with jax.enable_x64(True):
        thetas = jax.random.normal(key_bandit, (scale.identity_draws, 3))
        ift, eff = (float(e.max()) for e in jax.jit(jax.vmap(_bandit_errors))(thetas))
        standard, steering = (np.asarray(a) for a in jax.jit(_bandit_reference)())
        keys = jax.random.split(key_ridge, scale.identity_draws)
        cg_err, dense_err, fd_err = (float(e.max()) for e in jax.jit(jax.vmap(_ridge_errors))(keys))
    n = scale.identity_draws
    ref = Claim.at_most
    claims = [
        ref(
            "A1_ift_bandit",
            f"bandit: PG + steering (IFT, CG) = grad of J(θ, φ*(θ)) by autodiff "
            f"through the closed form; max relative error over {n} random θ",
            expected="≤ 1e-10",
            provenance="reference",
            measured=ift,
            bound=1e-10,
        ),
        ref(
            "A1_reference_standard",
            "bandit at θ = (0.3, −0.2, 0.5): standard PG vs the spec's "
            "finite-difference values (−0.13878, −0.00611, 0.14489); max abs error",
            expected="≤ 1e-5 (5 digits given)",
            provenance="reference",
            measured=float(np.max(np.abs(standard - REFERENCE_STANDARD))),
            bound=1e-5,
        ),
        ref(
            "A1_reference_steering",
            "bandit at θ = (0.3, −0.2, 0.5): steering term vs the spec's "
            "(0.09097, 0.22166, −0.31264); max abs error",
            expected="≤ 1e-5 (5 digits given)",
            provenance="reference",
            measured=float(np.max(np.abs(steering - REFERENCE_STEERING))),
            bound=1e-5,
        ),
        ref(
            "A2_effective_reward",
            f"bandit: Σ_k (∂π_k/∂θ) r̃_k = total gradient; max relative error over {n} random θ",
            expected="≤ 1e-10",
            provenance="reference",
            measured=eff,
            bound=1e-10,
        ),
        ref(
            "A3_ridge_cg",
            f"random ridge RM (p = 8, K = 20): IFT by CG (tol 1e-12) vs autodiff; "
            f"max relative error over {n} draws",
            expected="≤ 1e-8",
            provenance="reference",
            measured=cg_err,
            bound=1e-8,
        ),
        ref(
            "A3_ridge_dense",
            "the same with the dense Cholesky solve",
            expected="≤ 1e-11",
            provenance="reference",
            measured=dense_err,
            bound=1e-11,
        ),
        ref(
            "A4_influence",
            "influence I_k = −H⁻¹∇ℓ_k vs central differences of φ* in the weight "
            f"of sample k (t = 1e-5); max relative error over {n} draws",
            expected="≤ 1e-6",
            provenance="reference",
            measured=fd_err,
            bound=1e-6,
        ),
    ]
    arrays = {"reference_standard_pg": standard, "reference_steering": steering}
    return StageResult(claims=claims, arrays=arrays, meta={"draws": n, "dtype": "float64"})


# Spec §4 checks 9 and 11 (re-computed by the spec's numpy port [R]).
MYOPIC_PI, MYOPIC_PHI, MYOPIC_U = (0.013, 0.107, 0.880), 0.2105, 0.667
PRACTICAL_U = {0.05: 0.9945, 0.1: 1.3109, 0.2: 1.7318, 0.5: 1.0061}


def _bandit_runs():
    """Every bandit run of the stage (one compiled program): the damped myopic loop per mode
    and γ (500 iterations from θ = 0), and gradient ascent with the total and the standard
    gradient (learning rate 1, 5000 steps)."""
    from jaxpapers.fpo._simulate import _run
    from jaxpapers.fpo._types import Config

    env = BanditEnv()
    theta0 = jnp.zeros(3)
    runs = {("myopic", 0.0): _run(Config("myopic", 0.0), env, theta0)}
    for gamma in (0.1, 0.2, 0.5):
        runs[("relaxed", gamma)] = _run(Config("relaxed", gamma), env, theta0)
    for gamma in PRACTICAL_U:
        runs[("practical", gamma)] = _run(Config("practical", gamma), env, theta0)
    runs[("exact", 1.0)] = _run(Config("exact", 1.0, solver="dense"), env, theta0)
    ascent = {
        g: bandit_ascent(env, theta0, learning_rate=1.0, num_steps=5000, gradient=g)[1]
        for g in ("total", "standard")
    }
    return (
        runs,
        ascent,
        env.policy(runs[("myopic", 0.0)].state),
        env.best_response(runs[("myopic", 0.0)].state),
    )


def bandit_stage(key, scale, done) -> StageResult:
    """Spec §4 group B (checks 9–11) and exact FPO in the myopic loop (ours)."""
    with jax.enable_x64(True):
        runs, ascent, pi, phi = jax.tree.map(np.asarray, jax.jit(_bandit_runs)())
    final = {k: float(run.utility[-1]) for k, run in runs.items()}
    claims = [
        Claim.at_most(
            "B9_myopic_policy",
            "myopic RLHF's fixed point π vs (0.013, 0.107, 0.880): max abs difference",
            expected="≤ 5e-4 (3 digits given)",
            provenance="reference",
            measured=float(np.max(np.abs(pi - MYOPIC_PI))),
            bound=5e-4,
        ),
        Claim.within(
            "B9_myopic_phi",
            "myopic RLHF's fixed point φ",
            expected=MYOPIC_PHI,
            provenance="reference",
            measured=float(phi),
            tol=5e-5,
        ),
        Claim.within(
            "B9_myopic_utility",
            "myopic RLHF's E_π U (collapse onto the long answer)",
            expected=MYOPIC_U,
            provenance="reference",
            measured=final[("myopic", 0.0)],
            tol=0.002,
        ),
        Claim.at_least(
            "B10_stackelberg_best_answer",
            "gradient ascent on J(θ, φ*(θ)) + τH with "
            "total_gradient (lr 1, 5000 steps): probability of the best answer",
            expected="> 0.999 (spec: 0.99984)",
            provenance="reference",
            measured=float(ascent["total"].signal[-1]),
            bound=0.999,
            note="autodiff through the closed form gives the same 0.99973 to 1e-9; "
            "the spec's 0.99984 is slightly further along",
        ),
        Claim.at_least(
            "B10_stackelberg_utility",
            "the same: E_π U",
            expected="> 1.99 (spec: 1.9998)",
            provenance="reference",
            measured=float(ascent["total"].utility[-1]),
            bound=1.99,
        ),
        Claim.within(
            "B10_standard_gradient_is_myopic",
            "the same with the standard gradient only "
            "(steering dropped): E_π U ends at the myopic fixed point",
            expected=MYOPIC_U,
            provenance="derived",
            measured=float(ascent["standard"].utility[-1]),
            tol=0.002,
        ),
        Claim.at_least(
            "B11_relaxed",
            "relaxed FPO in the myopic loop, γ ∈ {0.1, 0.2, 0.5}: smallest final E_π U",
            expected="> 1.99",
            provenance="reference",
            measured=min(final[("relaxed", g)] for g in (0.1, 0.2, 0.5)),
            bound=1.99,
        ),
    ]
    for gamma, expected in PRACTICAL_U.items():
        claims.append(
            Claim.within(
                f"B11_practical_{gamma:g}",
                f"practical FPO (oracle-free) in the myopic loop, γ = "
                f"{gamma:g}: final E_π U"
                + (" (over-regularised onto the shortest answer)" if gamma == 0.5 else ""),
                expected=expected,
                provenance="reference",
                measured=final[("practical", gamma)],
                tol=0.002,
            )
        )
    claims.append(
        Claim.at_least(
            "B_exact",
            "exact FPO (γ = 1: the effective reward r̃, whose fixed point is a stationary "
            "point of the Stackelberg objective) in the myopic loop: final E_π U",
            expected="> 1.99 (ours)",
            provenance="derived",
            measured=final[("exact", 1.0)],
            bound=1.99,
        )
    )
    curves = {
        m: {"utility": runs[(m, g)].utility, "noise": runs[(m, g)].noise}
        for m, g in (("myopic", 0.0), ("relaxed", 0.1), ("practical", 0.2), ("exact", 1.0))
    }
    figure = _figures.trajectories(
        "length-hacking bandit (myopic loop, γ: relaxed 0.1, practical 0.2, exact 1)",
        curves,
        [("utility", "E_π U"), ("noise", "P(longest answer)")],
        xlabel="iteration",
    )
    arrays = {f"bandit_{m}_{g:g}_utility": run.utility for (m, g), run in runs.items()}
    return StageResult(claims=claims, arrays=arrays, figures={"bandit": figure})
