"""The length-hacking bandit (spec §2.5, checks 9–11): closed forms and the three loops."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from jaxpapers import fpo
from tests.fpo import reference

ENV = fpo.BanditEnv()


def _final(mode, gamma, **kwargs):
    run = fpo.simulate(jax.random.key(0), fpo.Config(mode, gamma, **kwargs), ENV)
    return run


def test_closed_form_best_response_minimises_the_follower(enable_x64, key):
    for theta in jax.random.normal(key, (5, 3)):
        phi = ENV.best_response(theta)
        assert abs(float(jax.grad(ENV.follower, argnums=1)(theta, phi))) < 1e-12
        assert float(phi) == pytest.approx(reference.bandit_phi_star(np.asarray(theta)), rel=1e-13)


def test_check9_myopic_fixed_point(enable_x64):
    run = _final("myopic", 0.0)
    pi = ENV.policy(run.state)
    np.testing.assert_allclose(pi, [0.013, 0.107, 0.880], atol=5e-4)
    assert float(ENV.best_response(run.state)) == pytest.approx(0.2105, abs=5e-5)
    assert float(run.utility[-1]) == pytest.approx(0.667, abs=0.002)
    # the undamped alternation θ ← φ*(θ) ψ / τ has the same fixed point
    theta = jnp.zeros(3)
    for _ in range(300):
        theta = ENV.best_response(theta) * jnp.asarray(ENV.psi) / ENV.tau
    np.testing.assert_allclose(ENV.policy(theta), pi, atol=1e-8)


def test_check10_stackelberg_ascent(enable_x64):
    theta, info = fpo.bandit_ascent(ENV, jnp.zeros(3), learning_rate=1.0, num_steps=5000)
    assert float(info.signal[-1]) > 0.999 and float(info.utility[-1]) > 1.99
    # the same ascent by autodiff through the closed form
    objective = jax.grad(lambda th: ENV.stackelberg_objective(th) + ENV.tau * ENV.entropy(th))
    body = lambda th, _: (th + objective(th), None)  # noqa: E731
    autodiff, _ = jax.lax.scan(body, jnp.zeros(3), None, length=5000)
    np.testing.assert_allclose(theta, autodiff, rtol=1e-8)
    _, standard = fpo.bandit_ascent(ENV, jnp.zeros(3), num_steps=5000, gradient="standard")
    assert float(standard.utility[-1]) == pytest.approx(0.667, abs=0.002)


@pytest.mark.parametrize(
    ("gamma", "expected"), [(0.05, 0.9945), (0.1, 1.3109), (0.2, 1.7318), (0.5, 1.0061)]
)
def test_check11_practical_helps_at_moderate_gamma_only(enable_x64, gamma, expected):
    assert float(_final("practical", gamma).utility[-1]) == pytest.approx(expected, abs=0.002)


@pytest.mark.parametrize("gamma", [0.1, 0.2, 0.5, 1.0])
def test_check11_relaxed_reaches_the_best_answer(enable_x64, gamma):
    assert float(_final("relaxed", gamma).utility[-1]) > 1.99


def test_relaxed_and_practical_penalties_in_closed_form(enable_x64):
    from jaxpapers.fpo._bandit import penalties

    theta = jnp.asarray([0.1, 0.3, -0.2])
    phi = ENV.best_response(theta)
    psi, utility = np.asarray(ENV.psi), np.asarray(ENV.utility)
    relaxed = penalties(fpo.Config("relaxed", 0.1), ENV, theta)
    practical = penalties(fpo.Config("practical", 0.1), ENV, theta)
    np.testing.assert_allclose(relaxed, (float(phi) * psi - utility) * psi**2, rtol=1e-12)
    np.testing.assert_allclose(practical, psi**2, rtol=1e-12)


def test_exact_fpo_fixed_point_is_a_stackelberg_stationary_point(enable_x64):
    run = _final("exact", 1.0, solver="dense")
    theta = run.state
    grad = fpo.total_gradient(
        ENV.leader, ENV.follower, theta, ENV.best_response(theta), solver="dense"
    )
    stationarity = grad + ENV.tau * jax.grad(ENV.entropy)(theta)
    assert float(jnp.max(jnp.abs(stationarity))) < 1e-6
    assert float(run.utility[-1]) > 1.99
