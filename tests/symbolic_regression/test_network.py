"""Spec A1 (power unit), A2 (smoothed L1/2), A4 (transforms), the penalties and the init."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.symbolic_regression as sr

EXPONENTS = [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("e", EXPONENTS)
def test_a1_power_unit_equals_integer_powers(e, enable_x64):
    x = np.concatenate([np.linspace(-3.0, -0.1, 50), np.linspace(0.1, 3.0, 50)])
    got = jax.vmap(lambda v: sr.signomial(v[None], jnp.array([[e]]))[0])(jnp.asarray(x))
    want = x**e
    # spec A1: 1e-12 relative (float64 exp/log/cos rounding is ~1e-15)
    assert np.all(np.abs(np.asarray(got) - want) <= 1e-12 * np.maximum(1.0, np.abs(want)))


def test_a1_half_power_is_square_root_and_gradients_are_finite_at_zero(enable_x64):
    x = jnp.linspace(0.1, 3.0, 30)
    got = jax.vmap(lambda v: sr.signomial(v[None], jnp.array([[0.5]]))[0])(x)
    np.testing.assert_allclose(got, np.sqrt(np.asarray(x)), rtol=1e-12)
    for e in (-2.0, -0.5, 0.0, 0.7, 1.0, 3.0):
        grad = jax.grad(lambda v, e: sr.signomial(v[None], e[None, None])[0], argnums=(0, 1))
        dx, de = grad(jnp.asarray(0.0), jnp.asarray(e))
        assert np.isfinite(dx) and np.isfinite(de), e


def test_products_of_several_inputs_match_numpy(enable_x64):
    rng = np.random.default_rng(0)
    h = rng.uniform(-2, 2, 4)
    exponents = rng.integers(-2, 4, (5, 4)).astype(float)
    want = np.prod(h[None, :] ** exponents, axis=1)
    got = sr.signomial(jnp.asarray(h), jnp.asarray(exponents))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_a2_smoothed_l_half(enable_x64):
    a = 0.01
    assert float(jnp.sqrt(sr.smoothed_abs(jnp.asarray(0.0), a))) == pytest.approx(
        np.sqrt(3 * a / 8)
    )
    value = lambda w: jnp.sqrt(sr.smoothed_abs(w, a))  # noqa: E731
    for side in (1.0, -1.0):
        inside, outside = side * a * (1 - 1e-12), side * a * (1 + 1e-12)
        assert abs(float(value(inside) - value(outside))) <= 1e-10
        slope_in, slope_out = jax.grad(value)(inside), jax.grad(value)(outside)
        assert abs(float(slope_in - slope_out)) <= 1e-8  # slopes ~ 5; 1e-12 relative steps
    w = jnp.array([0.01, 0.02, -0.5, 3.0])
    np.testing.assert_allclose(value(w), np.sqrt(np.abs(np.asarray(w))), rtol=1e-14)


def _network(key, config, n=2):
    return sr.init_network(key, n, config, jnp.float64)


def test_penalties_vanish_where_they_should(enable_x64):
    config = sr.Config(depth=2)
    net = _network(jax.random.key(0), config)
    rounded = jax.tree.map(lambda x: x, net)
    rounded = jax.tree_util.tree_map_with_path(
        lambda path, x: jnp.round(x) if "exponents" in str(path) else x, rounded
    )
    assert float(sr.poly_penalty(rounded)) == pytest.approx(0.0, abs=1e-24)
    assert float(sr.poly_penalty(net)) > 0
    halves = jax.tree_util.tree_map_with_path(
        lambda path, x: jnp.round(2 * x) / 2 + 0 * x if "exponents" in str(path) else x, net
    )
    assert float(sr.poly_penalty(halves, half_integers=True)) == pytest.approx(0.0, abs=1e-24)
    assert float(sr.operator_penalty(net)) == 0.0  # no operators: nothing to charge


def test_operator_penalty_counts_weights_into_and_out_of_operator_units(enable_x64):
    config = sr.Config(depth=2, sums=1, products=1, operators=("exp",), operator_units=1)
    net = _network(jax.random.key(1), config)
    into = sum(np.abs(np.asarray(layer.operator_weights)).sum() for layer in net.layers)
    # h = [1, s, p, q]: q is channel 3 (exponent column 2) of layer 1's output
    second = net.layers[1]
    out = (
        abs(float(second.sums[0, 3]))
        + abs(float(second.operator_weights[0, 3]))
        + abs(float(second.exponents[0, 2]))
        + abs(float(net.readout[3]))
    )
    assert float(sr.operator_penalty(net)) == pytest.approx(into + out, rel=1e-12)


def test_a4_jit_eager_and_vmap_over_parameter_sets(enable_x64):
    config = sr.Config(depth=2, operators=("logistic", "exp"))
    x = jax.random.uniform(jax.random.key(2), (20, 3), jnp.float64, 0.5, 2.0)
    nets = jax.vmap(lambda k: _network(k, config, 3))(jax.random.split(jax.random.key(3), 8))

    def apply(net, rows):
        return jax.vmap(net)(rows)

    eager = [apply(jax.tree.map(lambda a, i=i: a[i], nets), x) for i in range(2)]  # op by op
    jitted = jax.jit(apply)
    looped = np.stack([jitted(jax.tree.map(lambda a, i=i: a[i], nets), x) for i in range(8)])
    batched = np.asarray(jax.vmap(apply, in_axes=(0, None))(nets, x))
    np.testing.assert_allclose(looped[:2], np.stack(eager), rtol=1e-12)
    np.testing.assert_allclose(batched, looped, rtol=1e-12)


def test_a4_loss_gradient_is_finite_on_training_data(enable_x64):
    config = sr.Config(depth=2, operators=("logistic",))
    x = jax.random.uniform(jax.random.key(4), (50, 2), jnp.float64, -2.0, 2.0)
    x = x.at[0].set(0.0)  # a row exactly at the origin (log guard)
    problem = sr.Problem(x, x[:, 0] * x[:, 1], jnp.ones(50), jnp.zeros(50), jnp.zeros(50))
    state = sr.init_state(jax.random.key(5), problem, config)
    grads = jax.jit(jax.grad(lambda n: sr.loss_fn(n, problem, jnp.asarray(1.0), config)[0]))(
        state.network
    )
    assert all(np.all(np.isfinite(g)) for g in jax.tree.leaves(grads))


def test_lattice_init_draws_distinct_monomials_without_poles():
    config = sr.Config(depth=1, products=6)
    signed = jnp.stack([jnp.linspace(-1, 1, 40), jnp.linspace(0.5, 2, 40)], axis=1)
    for seed in range(5):
        net = sr.init_network(jax.random.key(seed), 2, config, inputs=signed)
        e = np.round(np.asarray(net.layers[0].exponents)).astype(int)
        assert len({tuple(r) for r in e}) == 6  # distinct
        assert (e[:, 0] >= 0).all()  # x0 changes sign: no negative powers of it
        assert (np.abs(e).sum(axis=1) <= config.initial_degree).all()
    assert len(sr.monomials(3, 3)) == 62
