"""Spec §4 C1–C3: the invariance bound, the loss, vmap and sharding of the invariant VAE."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp
from flax import nnx
from jax.sharding import NamedSharding, PartitionSpec

import jaxpapers.fl_sailer as fs
from jaxpapers import _mesh


def _kl_loop(mu, logvar):
    """Brute-force double loop of KL(N_i || N_j) for diagonal Gaussians (closed form)."""
    var = np.exp(logvar)
    total = 0.0
    for i in range(mu.shape[0]):
        for j in range(mu.shape[0]):
            total += 0.5 * np.sum(var[i] / var[j] + (mu[i] - mu[j]) ** 2 / var[j] - 1
                                  + logvar[j] - logvar[i])  # fmt: skip
    return total / mu.shape[0] ** 2


def _posterior(seed, b=12, d=4):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((b, d)), 0.5 * rng.standard_normal((b, d))


def test_c1_pairwise_kl_matches_loop():
    mu, logvar = _posterior(0)
    ours = float(fs.pairwise_gaussian_kl_mean(jnp.asarray(mu, jnp.float32),
                                              jnp.asarray(logvar, jnp.float32)))  # fmt: skip
    assert abs(ours - _kl_loop(mu, logvar)) <= 1e-5 * abs(_kl_loop(mu, logvar))
    assert ours >= 0
    same = jnp.ones((5, 3)) * jnp.array([0.3, -1.0, 2.0])[None, :]
    assert float(fs.pairwise_gaussian_kl_mean(same, 0.1 * jnp.ones((5, 3)))) == 0.0


def test_c1_bound_above_mixture_kl():
    """Î ≥ (1/B) Σ_i KL(q_i ‖ (1/B) Σ_j q_j) (convexity), the latter by Monte Carlo."""
    mu, logvar = (jnp.asarray(a, jnp.float32) for a in _posterior(1, b=8, d=2))
    sd = jnp.exp(0.5 * logvar)
    z = mu[:, None, :] + sd[:, None, :] * jax.random.normal(jax.random.key(0), (8, 4096, 2))

    def log_q(points, i):  # log N(points; mu_i, sd_i)
        standard = (points - mu[i][None, None, :]) / sd[i][None, None, :]
        return jnp.sum(-0.5 * standard**2 - jnp.log(sd[i])[None, None, :]
                       - 0.5 * jnp.log(2 * jnp.pi), axis=-1)  # fmt: skip

    logs = jnp.stack([log_q(z, j) for j in range(8)])  # j × i × samples
    mixture = jax.scipy.special.logsumexp(logs, axis=0) - jnp.log(8.0)
    own = jnp.stack([logs[i, i] for i in range(8)])
    mc = float(jnp.mean(own - mixture))
    assert float(fs.pairwise_gaussian_kl_mean(mu, logvar)) >= mc - 0.05  # MC slack (spec C1)


def test_c1_mask_ignores_padding():
    mu, logvar = (jnp.asarray(a, jnp.float32) for a in _posterior(2))
    padded_mu = jnp.concatenate([mu, 50.0 * jnp.ones((3, 4))])
    padded_lv = jnp.concatenate([logvar, -5.0 * jnp.ones((3, 4))])
    mask = jnp.arange(15) < 12
    np.testing.assert_allclose(fs.pairwise_gaussian_kl_mean(padded_mu, padded_lv, mask),
                               fs.pairwise_gaussian_kl_mean(mu, logvar), rtol=1e-6)  # fmt: skip


def _model(c=20, q=4, seed=0):
    return fs.InvariantVAE(c, q, latent_dim=3, hidden=(16, 8), rngs=nnx.Rngs(seed))


def test_c2_loss_finite_for_extreme_cells():
    model = _model()
    for value in (0.0, 1.0):
        x = jnp.full((6, 20), value)

        def loss(m, x=x):
            return fs.vae_loss(m, jax.random.key(0), x, jnp.zeros((6, 4)), jnp.ones(6, bool),
                               jnp.float32(1.0), lam_mi=1.0, recon_weight=30.0)[0]  # fmt: skip

        value_, grads = jax.jit(nnx.value_and_grad(loss))(model)
        assert np.isfinite(float(value_))
        assert all(np.isfinite(np.asarray(g)).all() for g in jax.tree.leaves(grads))


def test_c2_loss_compiles_once():
    traces = []

    @jax.jit
    def loss(model, key, x):
        traces.append(1)
        return fs.vae_loss(model, key, x, jnp.zeros((6, 4)), jnp.ones(6, bool), jnp.float32(1.0),
                           lam_mi=1.0, recon_weight=1.0)[0]  # fmt: skip

    model = _model()
    for i in range(3):
        x = jax.random.bernoulli(jax.random.key(i), 0.3, (6, 20)).astype(jnp.float32)
        loss(model, jax.random.key(i), x)
    assert len(traces) == 1


@pytest.mark.slow  # test_federated.py::test_d3_round_equals_looped_clients is the fast check
def test_c3_vmap_over_clients_equals_loop():
    config = fs.Config.prototype(batch_size=8)
    x = jax.random.bernoulli(jax.random.key(0), 0.3, (3, 16, 20)).astype(jnp.float32)
    cov = jax.random.normal(jax.random.key(1), (3, 16, 4))
    mask = jnp.ones((3, 16), bool).at[2, 10:].set(False)
    keys = jax.random.split(jax.random.key(2), 3)
    models = [_model(seed=i) for i in range(3)]
    graphdef = nnx.graphdef(models[0])
    stacked = jax.tree.map(lambda *a: jnp.stack(a), *[nnx.state(m) for m in models])

    def one(key, state, x, cov, mask):
        trained, loss, _ = fs.local_update(key, nnx.merge(graphdef, state), x, cov, mask,
                                           config, 2)  # fmt: skip
        return nnx.state(trained), loss

    batched = jax.jit(jax.vmap(one))(keys, stacked, x, cov, mask)
    for i in range(3):
        state_i = jax.tree.map(lambda a, i=i: a[i], stacked)
        single = jax.jit(one)(keys[i], state_i, x[i], cov[i], mask[i])
        for a, b in zip(jax.tree.leaves(single), jax.tree.leaves(batched), strict=True):
            np.testing.assert_allclose(a, b[i], rtol=1e-6, atol=1e-6)


def test_c3_sharded_equals_unsharded():
    model = _model()
    x = jax.random.bernoulli(jax.random.key(0), 0.3, (12, 20)).astype(jnp.float32)
    mesh = _mesh.make_mesh((3,), ("data",), devices=jax.devices()[:3])
    placed = jax.device_put(x, NamedSharding(mesh, PartitionSpec("data")))
    replicated = jax.device_put(model, _mesh.replicated(mesh))
    sharded = jax.jit(lambda m, v: m.encode(v))(replicated, placed)
    plain = jax.jit(lambda m, v: m.encode(v))(model, x)
    assert len(sharded[0].sharding.device_set) == 3
    for a, b in zip(sharded, plain, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_encoder_ignores_covariates_and_params_have_logical_axes():
    model = _model()
    state = nnx.state(model, nnx.Param)
    kernel = state["encoder"]["layers"][0]["kernel"]
    assert kernel.get_metadata()["logical_axes"] == ("peaks", "hidden")
    assert state["decoder"]["layers"][0]["kernel"][...].shape[0] == 3 + 4  # [z, c]
