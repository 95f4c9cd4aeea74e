"""The authors' neural-network environment (spec §2.3): one round against torch, the buffer,
sharding over devices, conformance."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from jaxpapers import fpo
from jaxpapers.fpo._neural import step
from tests.conformance import check_conformance
from tests.fpo import reference

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param("myopic", marks=pytest.mark.slow),
        "relaxed",
        pytest.param("practical", marks=pytest.mark.slow),
    ],
)
def test_one_round_matches_a_torch_recreation(enable_x64, key, mode):
    env = fpo.NeuralEnv()
    state = fpo.init(key, env)
    state = state._replace(theta=jnp.linspace(-0.5, 0.5, env.dim))  # away from the symmetric start
    t = 1234
    config = fpo.Config(mode, 0.0 if mode == "myopic" else 0.005)
    new, info = jax.jit(step, static_argnums=(0, 1))(config, env, state, t)
    # the same random numbers, drawn as step draws them
    key_policy, key_data = jax.random.split(jax.random.fold_in(state.key, t))
    noise = np.asarray(jax.random.normal(key_policy, (env.inner_steps, env.dim), jnp.float64))
    data_noise = np.asarray(
        jax.random.normal(key_data, (env.samples_per_round, env.dim), jnp.float64)
    )
    sigma, lr = (float(v) for v in env.schedule(jnp.asarray(t, jnp.float64)))
    weights = [(np.asarray(layer["w"]), np.asarray(layer["b"])) for layer in state.phi]
    theta, torch_weights = reference.torch_neural_round(
        np.asarray(state.theta), weights, noise, data_noise, sigma, lr, mode
    )
    np.testing.assert_allclose(new.theta, theta, rtol=1e-10, atol=1e-12)
    assert float(info.utility) == pytest.approx(
        float(fpo.NeuralEnv().utility(jnp.asarray(theta))), rel=1e-10
    )
    for layer, (w, b) in zip(new.phi, torch_weights, strict=True):
        np.testing.assert_allclose(layer["w"], w, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(layer["b"], b, rtol=1e-9, atol=1e-12)


def test_the_buffer_keeps_the_last_samples_and_only_they_count(key):
    from jaxpapers.fpo._neural import _reward_model_step

    env = fpo.NeuralEnv(buffer_size=12, samples_per_round=5)
    push = jax.jit(_reward_model_step, static_argnums=0)
    start = fpo.init(key, env)
    batches = jax.random.normal(jax.random.fold_in(key, 1), (4, 5, env.dim))
    state, filled = start, []
    for batch in batches:
        state = push(env, state, batch)
        filled.append(int(state.filled))
    assert filled == [5, 10, 12, 12]
    np.testing.assert_array_equal(state.buffer_y[-5:], batches[3])
    np.testing.assert_array_equal(state.buffer_y[-10:-5], batches[2])
    np.testing.assert_array_equal(state.buffer_y[:2], batches[1][-2:])
    np.testing.assert_allclose(state.buffer_u, jax.vmap(env.utility)(state.buffer_y), rtol=1e-6)
    # garbage in the rows not yet filled must not change the reward model's step
    dirty = start._replace(buffer_y=start.buffer_y + 100.0, buffer_u=start.buffer_u - 7.0)
    clean_phi, dirty_phi = push(env, start, batches[0]).phi, push(env, dirty, batches[0]).phi
    for a, b in zip(jax.tree.leaves(clean_phi), jax.tree.leaves(dirty_phi), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_schedules():
    env = fpo.NeuralEnv()
    sigma0, lr0 = env.schedule(0.0)
    sigma_mid, _ = env.schedule(2000.0)
    assert float(sigma0) == pytest.approx(0.1) and float(lr0) == pytest.approx(0.05)
    assert float(sigma_mid) == pytest.approx(0.001 + 0.099 * (1 - 0.5**4))


SMALL = fpo.NeuralEnv(num_rounds=10, inner_steps=3)  # shared by the tests below: one compile


def test_seeds_are_sharded_and_equal_single_runs(key):
    env, config = SMALL, fpo.Config("myopic", 0.0)
    keys = jax.random.split(key, 5)  # padded to the 8 test devices
    batched = fpo.simulate_seeds(keys, config, env)
    assert batched.utility.shape == (5, 10)
    for i in (0, 4):
        single = fpo.simulate(keys[i], config, env)
        np.testing.assert_allclose(batched.utility[i], single.utility, rtol=1e-4, atol=1e-5)
    assert len(batched.utility.sharding.device_set) == jax.device_count()


def test_conformance(key):
    env, config = SMALL, fpo.Config("myopic", 0.0)
    check_conformance(lambda k: fpo.simulate(k, config, env).utility, key=key, rtol=1e-4, atol=1e-5)


def test_bad_env_settings(own_validation):
    with pytest.raises(TypeError, match="NeuralEnv.num_rounds must be an integer"):
        fpo.NeuralEnv(num_rounds=10.5)
    with pytest.raises(ValueError, match="NeuralEnv.signal_dim must be <= dim"):
        fpo.NeuralEnv(dim=2, signal_dim=3)
    with pytest.raises(ValueError, match="config.mode must be one of"):
        fpo.simulate(jax.random.key(0), fpo.Config("exact"), fpo.NeuralEnv(num_rounds=2))
    with pytest.raises(TypeError, match="keys must be a 1-D array of typed keys"):
        fpo.simulate_seeds(jnp.zeros((3, 2), jnp.uint32), fpo.Config(), fpo.NeuralEnv(num_rounds=2))
