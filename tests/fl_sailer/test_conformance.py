"""The conformance checks (tests/conformance.py) on the main entry points."""

import jax
import jax.numpy as jnp
from flax import nnx

import jaxpapers.fl_sailer as fs
from tests.conformance import check_conformance

A = jax.random.normal(jax.random.key(0), (40, 30))


def test_randomized_leverage(key):
    check_conformance(lambda k, a: fs.randomized_leverage(k, a, 4), A, key=key, rtol=1e-4,
                      atol=1e-5)  # fmt: skip


def test_exact_leverage():
    check_conformance(lambda a: fs.exact_leverage(a, 4), A, keyed=False, rtol=1e-4, atol=1e-5)


def test_gumbel_top_k(key):
    check_conformance(lambda k, s: fs.gumbel_top_k(k, s, 10), jnp.linspace(0.0, 1.0, 50), key=key)


def test_federated_train(key):
    x = jax.random.bernoulli(jax.random.key(1), 0.3, (2, 12, 8)).astype(jnp.float32)
    data = fs.stack_clients(list(x), [jnp.zeros((12, 1))] * 2)
    model = fs.InvariantVAE(8, 1, latent_dim=2, hidden=(4,), rngs=nnx.Rngs(0))
    config = fs.Config.prototype(batch_size=6, local_epochs=1, rounds=1, gamma=1.0)

    def run(k, model, data):
        result = fs.federated_train(k, model, data, config)
        return nnx.state(result.model), result.loss

    check_conformance(run, model, data, key=key, n_keys=2, rtol=1e-4, atol=1e-5)
