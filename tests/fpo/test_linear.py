"""The authors' linear environment (spec §2.2, checks 12–16)."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from jaxpapers import fpo
from tests.fpo import reference


def _run(mode, gradient="finite_difference", *, stop=False, gamma=0.1, **env_kwargs):
    env = fpo.LinearEnv(gradient=gradient, **env_kwargs)
    config = fpo.Config(mode, gamma, stop_grad_oracle=stop)
    return fpo.simulate(jax.random.key(0), config, env, fpo.linear_authors_init(env))


@pytest.mark.parametrize(
    ("mode", "fd", "exact"),
    [("myopic", 3.932, 3.914), ("relaxed", 9.806, 9.936), ("practical", 5.533, 5.537)],
)
def test_check12_final_utility(enable_x64, mode, fd, exact):
    assert float(_run(mode).utility[-1]) == pytest.approx(fd, abs=0.01)
    assert float(_run(mode, "exact").utility[-1]) == pytest.approx(exact, abs=0.01)


@pytest.mark.parametrize("mode", ["myopic", "relaxed", "practical"])
def test_finite_differences_match_a_numpy_port_of_the_notebook(enable_x64, mode):
    history, y, w = reference.linear_run(mode, rounds=300)
    run = _run(mode)
    np.testing.assert_allclose(run.utility, history, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(run.state.y, y, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(run.state.w, w, rtol=1e-9, atol=1e-9)


def test_check13_practical_fpo_is_rlhf_with_a_larger_action_cost(enable_x64):
    for gradient in ("finite_difference", "exact"):
        practical = _run("practical", gradient)
        costly = _run("myopic", gradient, gamma=0.0, action_cost=0.2)
        np.testing.assert_allclose(practical.state.y, costly.state.y, rtol=0, atol=1e-12)
        np.testing.assert_allclose(practical.utility, costly.utility, rtol=0, atol=1e-12)


def test_check14_the_oracle_leak(enable_x64):
    assert float(_run("relaxed", "exact", stop=True).utility[-1]) == pytest.approx(5.5552, abs=0.01)
    frozen = _run("relaxed", stop=True)
    assert float(frozen.utility[-1]) == pytest.approx(5.3145, abs=0.01)
    history, _, _ = reference.linear_run("relaxed", rounds=300, freeze_u=True)
    np.testing.assert_allclose(frozen.utility, history, rtol=1e-9)


def test_check15_long_run_sits_on_the_myopic_fixed_point_set(enable_x64):
    env = fpo.LinearEnv(gradient="exact", num_rounds=3000)
    run = fpo.simulate(
        jax.random.key(0), fpo.Config("myopic", 0.0), env, fpo.linear_authors_init(env)
    )
    assert abs(float(fpo.linear_fixed_point_gap(env, run.state.y))) <= 1e-10
    assert float(run.utility[-1]) == pytest.approx(3.8846, abs=1e-3)
    ceiling = fpo.linear_myopic_ceiling(env)
    assert ceiling == pytest.approx(4.979, abs=0.005) and ceiling < 10.0


def test_check16_collapse_signature(enable_x64):
    rlhf, relaxed = _run("myopic"), _run("relaxed")
    assert float(rlhf.utility.max()) == pytest.approx(5.97, abs=0.01)
    assert 1 - float(rlhf.utility[-1] / rlhf.utility.max()) >= 0.30 and float(rlhf.noise[-1]) > 1.5
    assert float(relaxed.utility[-1]) >= 0.98 * float(relaxed.utility.max())
    assert float(relaxed.noise[-1]) <= 0.2


def test_gradient_switch_and_finite_difference_accuracy(enable_x64):
    from jaxpapers.fpo._linear import LinearState, policy_gradient

    env_fd, env_exact = fpo.LinearEnv(fd_step=1e-7), fpo.LinearEnv(gradient="exact")
    state = LinearState(jnp.linspace(-1, 1, 50), fpo.linear_authors_init().w)
    config = fpo.Config("relaxed", 0.1, stop_grad_oracle=False)
    np.testing.assert_allclose(
        policy_gradient(config, env_fd, state),
        policy_gradient(config, env_exact, state),
        rtol=1e-5,
        atol=1e-6,
    )


def test_unsupported_mode_and_bad_env(own_validation):
    with pytest.raises(ValueError, match="config.mode must be one of"):
        fpo.simulate(jax.random.key(0), fpo.Config("exact"), fpo.LinearEnv())
    with pytest.raises(ValueError, match="LinearEnv.gradient must be one of"):
        fpo.LinearEnv(gradient="central")
    with pytest.raises(TypeError, match="env must be one of"):
        fpo.simulate(jax.random.key(0), fpo.Config(), object())
