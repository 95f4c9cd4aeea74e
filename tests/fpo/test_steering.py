"""The decomposition (spec §4 checks 1–4) against closed forms, autodiff and dense solves."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp
import jax.scipy.sparse.linalg

from jaxpapers import fpo
from jaxpapers.fpo._exp_toy import REFERENCE_STANDARD, REFERENCE_STEERING, ridge_problem
from jaxpapers.fpo._solve import cg
from tests.conformance import check_conformance
from tests.fpo import reference
from tests.helpers import lapack_calls

BANDIT = fpo.BanditEnv()


def _relative(a, b):
    a, b = np.ravel(np.asarray(a)), np.ravel(np.asarray(b))
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def test_check1_bandit_total_gradient_is_autodiff_through_the_closed_form(enable_x64, key):
    for theta in jax.random.normal(key, (20, 3)):
        phi = BANDIT.best_response(theta)
        total = fpo.total_gradient(BANDIT.leader, BANDIT.follower, theta, phi, tol=1e-14)
        autodiff = jax.grad(BANDIT.stackelberg_objective)(theta)
        assert _relative(total, autodiff) <= 1e-10


def test_check1_reference_values_and_numpy_closed_forms(enable_x64):
    theta = jnp.asarray([0.3, -0.2, 0.5])
    phi = BANDIT.best_response(theta)
    standard = jax.grad(BANDIT.leader)(theta, phi)
    steering = fpo.steering_gradient(BANDIT.leader, BANDIT.follower, theta, phi, tol=1e-14)
    closed_standard, closed_steering = reference.bandit_gradients(np.asarray(theta))
    np.testing.assert_allclose(standard, closed_standard, rtol=1e-12)
    np.testing.assert_allclose(steering, closed_steering, rtol=1e-10)
    # the spec's values carry 5 decimals (finite differences)
    np.testing.assert_allclose(standard, REFERENCE_STANDARD, atol=1e-5)
    np.testing.assert_allclose(steering, REFERENCE_STEERING, atol=1e-5)
    assert float(phi) == pytest.approx(reference.bandit_phi_star(np.asarray(theta)), rel=1e-14)


def test_check2_effective_reward_form_equals_the_total_gradient(enable_x64, key):
    for theta in jax.random.normal(key, (20, 3)):
        phi = BANDIT.best_response(theta)
        tilde = fpo.effective_reward(
            BANDIT.leader,
            BANDIT.follower,
            BANDIT.reward,
            BANDIT.sample_loss,
            theta,
            phi,
            jnp.arange(3),
            tol=1e-14,
        )
        policy_gradient = jax.jacobian(BANDIT.policy)(theta).T @ tilde
        total = fpo.total_gradient(BANDIT.leader, BANDIT.follower, theta, phi, tol=1e-14)
        assert _relative(policy_gradient, total) <= 1e-10
        # a baseline subtracted from r̃ leaves the policy gradient unchanged
        shifted = jax.jacobian(BANDIT.policy)(theta).T @ (tilde - 3.0)
        assert _relative(shifted, total) <= 1e-10


def _ridge_gradients(draw):
    """IFT total gradients (CG and dense) and autodiff through φ*, for one random problem."""
    key_problem, key_theta = jax.random.split(draw)
    problem = ridge_problem(key_problem)
    theta = jax.random.normal(key_theta, (problem.num_actions,))
    phi = problem.best_response(theta)
    totals = [
        fpo.total_gradient(problem.leader, problem.follower, theta, phi, solver=s, tol=1e-12)
        for s in ("cg", "dense")
    ]
    autodiff = jax.grad(lambda th: problem.leader(th, problem.best_response(th)))(theta)
    return *totals, autodiff


def test_check3_ridge_reward_model(enable_x64, key):
    cg_total, dense_total, autodiff = jax.jit(jax.vmap(_ridge_gradients))(jax.random.split(key, 10))
    for i in range(10):
        assert _relative(cg_total[i], autodiff[i]) <= 1e-8  # CG, tol 1e-12
        assert _relative(dense_total[i], autodiff[i]) <= 1e-11  # Cholesky


def test_check4_influence_is_the_derivative_of_phi_star_in_a_sample_weight(enable_x64, key):
    key_problem, key_theta = jax.random.split(key)
    problem = ridge_problem(key_problem)
    theta = jax.random.normal(key_theta, (problem.num_actions,))
    samples = jnp.arange(problem.num_actions)

    def both(theta):
        phi = problem.best_response(theta)
        influences = [
            fpo.influence(
                problem.follower, problem.sample_loss, theta, phi, samples, solver=s, tol=1e-12
            )
            for s in ("cg", "dense")
        ]
        bumps = 1e-5 * jnp.eye(problem.num_actions, dtype=theta.dtype)  # t = 1e-5 on sample k
        plus = jax.vmap(lambda b: problem.best_response(theta, b))(bumps)
        minus = jax.vmap(lambda b: problem.best_response(theta, -b))(bumps)
        return *influences, (plus - minus) / 2e-5

    cg_inf, dense_inf, fd = jax.jit(both)(theta)
    for k in range(problem.num_actions):
        # central differences: error O(t²); 1e-6 relative leaves room for rounding
        assert _relative(cg_inf[k], fd[k]) <= 1e-6
        assert _relative(dense_inf[k], fd[k]) <= 1e-6


def test_dense_and_cg_agree_and_match_a_dense_inverse_reference(enable_x64, key):
    problem = ridge_problem(key)
    theta = jnp.linspace(-1.0, 1.0, problem.num_actions)
    phi = problem.best_response(theta)
    v_cg, info_cg = fpo.steering_direction(problem.leader, problem.follower, theta, phi, tol=1e-13)
    v_dense, info_dense = fpo.steering_direction(
        problem.leader, problem.follower, theta, phi, solver="dense"
    )
    hessian = jax.hessian(problem.follower, argnums=1)(theta, phi)
    g = jax.grad(problem.leader, argnums=1)(theta, phi)
    expected = np.linalg.solve(np.asarray(hessian), np.asarray(g))  # numpy reference
    np.testing.assert_allclose(v_cg, expected, rtol=1e-10)
    np.testing.assert_allclose(v_dense, expected, rtol=1e-12)
    assert bool(info_cg.converged) and bool(info_dense.converged)
    assert 0 < int(info_cg.num_steps) <= 8 + 2  # CG on an 8-dim SPD system: ≤ 8 steps in theory
    assert float(info_cg.residual) <= 1e-13


def test_cg_matches_jax_scipy_cg(key):
    a = jax.random.normal(key, (12, 12))
    a = a @ a.T + 12.0 * jnp.eye(12)
    b = jnp.arange(12.0)
    ours, info = cg(lambda v: a @ v, b, 1e-6, 100)
    theirs, _ = jax.scipy.sparse.linalg.cg(lambda v: a @ v, b, tol=1e-6)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    assert bool(info.converged) and int(info.status) == 0


def test_cg_zero_right_hand_side():
    x, info = cg(lambda v: 2.0 * v, jnp.zeros(3), 1e-8, 10)
    assert np.all(np.asarray(x) == 0) and bool(info.converged) and int(info.num_steps) == 0


def test_float32_cg_converges_to_float32_accuracy(key):
    problem = ridge_problem(key)
    theta = jnp.zeros(problem.num_actions)
    phi = problem.best_response(theta)
    steering, info = fpo.steering_gradient_with_info(
        problem.leader, problem.follower, theta, phi, tol=1e-5
    )
    dense = fpo.steering_gradient(problem.leader, problem.follower, theta, phi, solver="dense")
    assert bool(info.converged)
    np.testing.assert_allclose(steering, dense, rtol=1e-3, atol=1e-5)


def test_pytree_parameters(enable_x64):
    def leader(theta, phi):
        return jnp.sum(theta["a"] * phi["w"]) + theta["b"] * phi["c"]

    def follower(theta, phi):
        return jnp.sum((phi["w"] - theta["a"]) ** 2) + 2.0 * (phi["c"] - theta["b"] ** 2) ** 2

    theta = {"a": jnp.array([1.0, -2.0]), "b": jnp.array(0.5)}
    phi = {"w": theta["a"], "c": theta["b"] ** 2}  # the follower's optimum
    total = fpo.total_gradient(leader, follower, theta, phi)
    expected = jax.grad(lambda th: leader(th, {"w": th["a"], "c": th["b"] ** 2}))(theta)
    for name in ("a", "b"):
        np.testing.assert_allclose(total[name], expected[name], rtol=1e-12)


def test_no_lapack_calls_in_the_dense_solver():
    problem = ridge_problem(jax.random.key(0))
    theta = jnp.zeros(problem.num_actions)
    phi = problem.best_response(theta)

    def run(th, ph):
        return fpo.steering_gradient_with_info(
            problem.leader, problem.follower, th, ph, solver="dense"
        )

    assert lapack_calls(jax.jit(run).lower(theta, phi).compile()) == []


@pytest.mark.parametrize("solver", ["cg", "dense"])
def test_conformance(solver):
    problem = ridge_problem(jax.random.key(1))
    theta = jnp.linspace(-0.5, 0.5, problem.num_actions)
    phi = problem.best_response(theta)

    def steering(th, ph):
        return fpo.steering_gradient(
            problem.leader, problem.follower, th, ph, solver=solver, tol=1e-6
        )

    check_conformance(steering, theta, phi, keyed=False, rtol=1e-4, atol=1e-6)


# ----- bad input ---------------------------------------------------------------------------------


def _concave(theta, phi):
    return -jnp.sum((phi - theta) ** 2)


def _leader(theta, phi):
    return jnp.sum(theta * phi)


@pytest.mark.parametrize("solver", ["cg", "dense"])
def test_not_positive_definite_without_damping_is_reported(solver, own_validation):
    theta = jnp.ones(2)
    steering, info = fpo.steering_gradient_with_info(_leader, _concave, theta, theta, solver=solver)
    assert not bool(info.converged) and fpo.STATUS[int(info.status)] == "not_positive_definite"
    with pytest.raises(ValueError, match="not positive definite.*damping"):
        fpo.steering_gradient(_leader, _concave, theta, theta, solver=solver)


def test_indefinite_hessian_is_fixed_by_damping():
    def follower(theta, phi):  # H = diag(2, -0.5): indefinite
        return (phi[0] - theta[0]) ** 2 - 0.25 * (phi[1] - theta[1]) ** 2

    theta = jnp.ones(2)
    _, info = fpo.steering_gradient_with_info(_leader, follower, theta, theta, solver="dense")
    assert fpo.STATUS[int(info.status)] == "not_positive_definite"
    _, info = fpo.steering_gradient_with_info(
        _leader, follower, theta, theta, solver="dense", damping=1.0
    )
    assert bool(info.converged)


def test_non_convergence_under_jit_raises_at_run_time():
    theta = jnp.ones(2)
    with pytest.raises(Exception, match="not positive definite"):
        jax.block_until_ready(
            jax.jit(lambda t: fpo.steering_gradient(_leader, _concave, t, t))(theta)
        )


def test_one_bad_problem_in_a_vmapped_batch_is_flagged_not_fatal():
    def follower(theta, phi):  # curvature theta[0]: negative for the second problem
        return theta[0] * jnp.sum((phi - theta) ** 2)

    thetas = jnp.array([[1.0, 2.0], [-1.0, 2.0]])
    _, info = jax.vmap(lambda t: fpo.steering_gradient_with_info(_leader, follower, t, t))(thetas)
    assert info.converged.tolist() == [True, False]
    assert info.status.tolist() == [0, 2]


def test_maxiter_exhausted_is_reported(own_validation):
    a = jnp.diag(jnp.arange(1.0, 11.0))

    def follower(theta, phi):
        return 0.5 * phi @ a @ phi - theta @ phi

    theta = jnp.ones(10)
    phi = theta / jnp.arange(1.0, 11.0)
    _, info = fpo.steering_gradient_with_info(_leader, follower, theta, phi, maxiter=2)
    assert fpo.STATUS[int(info.status)] == "max_steps" and int(info.num_steps) == 2
    with pytest.raises(ValueError, match="maxiter"):
        fpo.steering_gradient(_leader, follower, theta, phi, maxiter=2)


def test_mismatched_pytrees_of_policy_and_reward_parameters(own_validation):
    def leader(theta, phi):
        return jnp.sum(theta["logits"] * phi["w"])

    def follower(theta, phi):
        return jnp.sum((phi["w"] - theta["logits"]) ** 2)

    theta, phi = {"logits": jnp.ones(3)}, {"w": jnp.ones(3)}
    with pytest.raises(ValueError, match=r"leader\(theta, phi\) failed on the given pytrees"):
        fpo.steering_gradient(leader, follower, theta, (jnp.ones(3),))
    with pytest.raises(ValueError, match=r"leader\(theta, phi\) failed"):
        fpo.steering_gradient(leader, follower, phi, theta)  # swapped
    with pytest.raises(ValueError, match="must have the pytree structure of phi"):
        fpo.penalty(
            "exact",
            lambda p, y: jnp.sum(p["w"] * y),
            phi,
            jnp.ones(3),
            1.0,
            direction={"v": jnp.ones(3)},
        )
    with pytest.raises(ValueError, match="leaf shapes of phi"):
        fpo.penalty(
            "exact",
            lambda p, y: jnp.sum(p["w"] * y),
            phi,
            jnp.ones(3),
            1.0,
            direction={"w": jnp.ones(4)},
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"solver": "lu"}, "solver must be one of"),
        ({"damping": -1.0}, "damping must lie in"),
        ({"tol": 0.0}, "tol must be > 0"),
        ({"maxiter": 0}, "maxiter must be an integer >= 1"),
    ],
)
def test_bad_solver_settings(kwargs, match, own_validation):
    theta = jnp.ones(2)
    with pytest.raises(ValueError, match=match):
        fpo.steering_gradient(_leader, lambda t, p: jnp.sum((p - t) ** 2), theta, theta, **kwargs)


def test_bad_objectives_and_parameters(own_validation):
    theta = jnp.ones(2)
    with pytest.raises(TypeError, match="leader must be a callable"):
        fpo.steering_gradient("J", _concave, theta, theta)
    with pytest.raises(ValueError, match="must return a floating-point scalar"):
        fpo.steering_gradient(lambda t, p: t * p, _concave, theta, theta)
    with pytest.raises(TypeError, match="phi must hold floating-point arrays"):
        fpo.steering_gradient(_leader, _concave, theta, jnp.ones(2, jnp.int32))
    with pytest.raises(ValueError, match="theta must be finite"):
        fpo.steering_gradient(_leader, _concave, jnp.array([1.0, jnp.nan]), theta)
    with pytest.raises(ValueError, match="samples must be a pytree of arrays with a leading"):
        fpo.influence(_concave, lambda p, y: jnp.sum(p * y), theta, theta, jnp.ones(()))
