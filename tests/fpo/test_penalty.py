"""The FPO penalties (spec §4 checks 5–8) and their relation to the exact influence term."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from jaxpapers import fpo
from jaxpapers.fpo._neural import init_reward_model
from tests.conformance import check_conformance

MLP_ENV = fpo.NeuralEnv()


def _flat(tree):
    return ravel_pytree(tree)[0]


def _mlp(key):
    key_phi, key_y, key_ref = jax.random.split(key, 3)
    phi = init_reward_model(key_phi, MLP_ENV)
    return phi, jax.random.normal(key_y, (10,)), jax.random.normal(key_ref, (10,))


def test_check5_bradley_terry_gradient_identity(enable_x64, key):
    phi, y, y_ref = _mlp(key)
    u, u_ref = 0.7, -0.4
    grad = jax.grad(fpo.bradley_terry_loss, argnums=1)(fpo.mlp_reward, phi, y, y_ref, u, u_ref)
    r, r_ref = fpo.mlp_reward(phi, y), fpo.mlp_reward(phi, y_ref)
    p_phi, p_star = jax.nn.sigmoid(r - r_ref), jax.nn.sigmoid(jnp.asarray(u - u_ref))
    difference = _flat(jax.grad(fpo.mlp_reward)(phi, y)) - _flat(
        jax.grad(fpo.mlp_reward)(phi, y_ref)
    )
    np.testing.assert_allclose(_flat(grad), (p_phi - p_star) * difference, rtol=1e-12, atol=1e-15)
    # relaxed pairwise penalty = <∇r(y), ∇_φ ℓ_BT> (i.e. R = −<∇r, ∇ℓ_BT>), exactly
    pen = fpo.penalty("relaxed", fpo.mlp_reward, phi, y, u, y_ref=y_ref, u_ref=u_ref)
    expected = jnp.vdot(_flat(jax.grad(fpo.mlp_reward)(phi, y)), _flat(grad))
    assert float(pen) == pytest.approx(float(expected), rel=1e-12)


def test_check6_one_step_look_ahead_is_the_relaxed_penalty(enable_x64, key):
    phi, y, _ = _mlp(key)
    u = 3.0
    eta = 1e-6
    loss_grad = jax.grad(lambda p: (fpo.mlp_reward(p, y) - u) ** 2)(phi)
    stepped = jax.tree.map(lambda p, g: p - eta * g, phi, loss_grad)
    change = fpo.mlp_reward(stepped, y) - fpo.mlp_reward(phi, y)
    # pointwise ∇ℓ = 2 (r − U) ∇r, so −η<∇r, ∇ℓ> = −2η · relaxed penalty
    predicted = -2.0 * eta * fpo.penalty("relaxed", fpo.mlp_reward, phi, y, u)
    assert float(change / predicted) == pytest.approx(1.0, abs=1e-3)


def test_check7_linear_head_practical_penalty_ignores_the_bias(key):
    key_h, key_ref, key_w = jax.random.split(key, 3)
    h, h_ref = jax.random.normal(key_h, (16,)), jax.random.normal(key_ref, (16,))
    for w, b in ((jax.random.normal(key_w, (16,)), 3.0), (jnp.zeros(16), -1.0)):
        phi = {"w": w, "b": jnp.asarray(b)}
        pen = fpo.penalty("practical", fpo.linear_reward, phi, h, y_ref=h_ref)
        assert float(pen) == pytest.approx(float(h @ (h - h_ref)), rel=1e-6)


def test_check8_jit_and_vmap_over_64_samples_equal_a_loop(enable_x64, key):
    phi, _, _ = _mlp(key)
    ys = jax.random.normal(jax.random.fold_in(key, 1), (64, 10))
    us = jax.random.normal(jax.random.fold_in(key, 2), (64,))
    y_ref, u_ref = ys[0] + 1.0, 0.3
    direction = jax.tree.map(jnp.ones_like, phi)
    cases = [(mode, pairwise) for mode in fpo.MODES for pairwise in (False, True)]

    def pen(mode, pairwise, y, u):
        kwargs = dict(y_ref=y_ref, u_ref=u_ref) if pairwise else {}
        v = direction if mode == "exact" else None
        return fpo.penalty(mode, fpo.mlp_reward, phi, y, u, direction=v, **kwargs)

    def every(ys, us):
        return [jax.vmap(lambda y, u, c=c: pen(*c, y, u))(ys, us) for c in cases]

    batched = jax.jit(every)(ys, us)
    for case, values in zip(cases, batched, strict=True):
        looped = np.array([float(pen(*case, y, u)) for y, u in zip(ys, us, strict=True)])
        np.testing.assert_allclose(values, looped, rtol=1e-12, atol=1e-14, err_msg=str(case))
        if case[0] == "myopic":
            assert np.all(looped == 0)


def test_conformance(key):
    phi, y, y_ref = _mlp(key)
    check_conformance(
        lambda y, u: fpo.penalty("relaxed", fpo.mlp_reward, phi, y, u, y_ref=y_ref, u_ref=0.0),
        y,
        jnp.asarray(0.5),
        keyed=False,
    )


def test_exact_penalty_is_minus_the_influence_term(enable_x64):
    env = fpo.BanditEnv()
    theta = jnp.asarray([0.2, -0.1, 0.4])
    phi = env.best_response(theta)
    v, info = fpo.steering_direction(env.leader, env.follower, theta, phi, tol=1e-14)
    influences = fpo.influence(env.follower, env.sample_loss, theta, phi, jnp.arange(3), tol=1e-14)
    g = jax.grad(env.leader, argnums=1)(theta, phi)
    for k, utility in enumerate(env.utility):
        pen = fpo.penalty("exact", env.reward, phi, jnp.asarray(k), utility, direction=v)
        assert float(pen) == pytest.approx(float(-g * influences[k]), rel=1e-10)


def test_pointwise_closed_forms_for_a_linear_reward_model():
    w, y = jnp.array([1.0, -1.0, 0.5]), jnp.array([2.0, 1.0, 2.0])
    r = float(w @ y)
    assert float(fpo.penalty("practical", fpo.LinearEnv.reward, w, y)) == pytest.approx(9.0)
    assert float(fpo.penalty("relaxed", fpo.LinearEnv.reward, w, y, 1.5)) == pytest.approx(
        (r - 1.5) * 9.0
    )
    direction = jnp.array([1.0, 0.0, 0.0])
    exact = fpo.penalty("exact", fpo.LinearEnv.reward, w, y, 1.5, direction=direction)
    assert float(exact) == pytest.approx(2.0 * (r - 1.5) * 2.0)


def test_stop_grad_oracle_controls_the_oracle_leak():
    env = fpo.LinearEnv()
    w = env.ideal() / 2.0
    y = jnp.full(env.dim, 0.3)

    def pen(point, stop):
        return fpo.penalty(
            "relaxed", env.reward, w, point, env.utility(point), stop_grad_oracle=stop
        )

    stopped, leaked = jax.grad(pen)(y, True), jax.grad(pen)(y, False)
    # the leak is exactly −‖∇_w r‖² ∇U(y) = −‖y‖² ∇U(y)
    np.testing.assert_allclose(
        leaked - stopped, -jnp.sum(y * y) * jax.grad(env.utility)(y), rtol=1e-5
    )


def test_bradley_terry_loss_matches_its_definition():
    reward = fpo.LinearEnv.reward
    w, y, y_ref = jnp.array([0.5, 1.0]), jnp.array([1.0, 2.0]), jnp.array([0.0, 1.0])
    p_phi = 1 / (1 + np.exp(-(2.5 - 1.0)))
    p_star = 1 / (1 + np.exp(-(1.0 - 2.0)))
    expected = -p_star * np.log(p_phi) - (1 - p_star) * np.log(1 - p_phi)
    assert float(fpo.bradley_terry_loss(reward, w, y, y_ref, 1.0, 2.0)) == pytest.approx(
        expected, rel=1e-6
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("best",), {}, "mode must be one of 'myopic', 'exact', 'relaxed', 'practical'"),
        (("relaxed",), {}, "needs the oracle utility u"),
        (("relaxed",), {"u": 1.0, "y_ref": jnp.ones(2)}, "needs u_ref"),
        (("exact",), {"u": 1.0}, "needs direction"),
        (("practical",), {"direction": jnp.ones(2)}, "used by mode 'exact' only"),
    ],
)
def test_bad_penalty_arguments(args, kwargs, match, own_validation):
    with pytest.raises(ValueError, match=match):
        fpo.penalty(*args, fpo.LinearEnv.reward, jnp.ones(2), jnp.ones(2), **kwargs)


def test_a_reward_model_that_rejects_the_sample(own_validation):
    with pytest.raises(ValueError, match=r"reward\(phi, y\) failed"):
        fpo.penalty("practical", fpo.LinearEnv.reward, jnp.ones(2), jnp.ones(3))
