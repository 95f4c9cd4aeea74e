"""Bad input: clear errors naming the argument, the expectation and what was given."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.fl_sailer as fs

pytestmark = pytest.mark.usefixtures("own_validation")


def test_negative_counts():
    with pytest.raises(ValueError, match="counts must be non-negative"):
        fs.binarize(jnp.array([[1, -2], [0, 3]]))


def test_non_binary_where_binary_expected():
    with pytest.raises(ValueError, match=r"client_matrices\[0\] must be binary"):
        fs.global_peak_stats([jnp.array([[1, 2], [0, 1]])])
    with pytest.raises(ValueError, match="x must be binary"):
        fs.train(jax.random.key(0), None, jnp.full((4, 3), 2.0), jnp.zeros((4, 1)), fs.Config(), 1)


def test_empty_cells():
    with pytest.raises(ValueError, match="must have no empty cells"):
        fs.global_peak_stats([jnp.array([[1, 0], [0, 0]])])


def test_empty_peaks():
    x = jnp.array([[1, 0, 0], [1, 1, 0]], jnp.uint8)
    with pytest.raises(ValueError, match="empty peak"):
        fs.tfidf(x, fs.global_peak_stats([x]))


def test_one_client_where_federation_is_asked():
    a = jnp.ones((10, 6))
    with pytest.raises(ValueError, match="at least 2 clients"):
        fs.federated_leverage(jax.random.key(0), [a], 2)
    with pytest.raises(ValueError, match="at least 2 clients"):
        fs.client_average(jnp.ones((1, 6)), jnp.ones(1))
    with pytest.raises(ValueError, match="at least 2 clients"):
        fs.stack_clients([a], [jnp.zeros((10, 1))])


def test_more_selected_features_than_peaks():
    with pytest.raises(ValueError, match="fraction must lie in"):
        fs.top_fraction(jnp.ones(5), 1.5)
    with pytest.raises(ValueError, match="number of selected features must be <= the number"):
        fs.gumbel_top_k(jax.random.key(0), jnp.ones(5), 6)


def test_rank_too_large():
    a = jnp.asarray(np.random.default_rng(0).standard_normal((8, 5)), jnp.float32)
    for fn in (lambda: fs.exact_leverage(a, 5),
               lambda: fs.randomized_leverage(jax.random.key(0), a, 5),
               lambda: fs.federated_leverage(jax.random.key(0), [a, a], 5)):  # fmt: skip
        with pytest.raises(ValueError, match=r"rank must be < min"):
            fn()


def test_config_errors():
    with pytest.raises(ValueError, match="Config.kl_schedule must be one of"):
        fs.Config(kl_schedule="linear")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dp_noise must be 0 without dp_clip"):
        fs.Config(dp_noise=1.0)


def test_mesh_without_client_axis():
    from flax import nnx

    from jaxpapers import _mesh

    data = fs.stack_clients([jnp.ones((4, 3))] * 2, [jnp.zeros((4, 1))] * 2)
    model = fs.InvariantVAE(3, 1, latent_dim=2, hidden=(4,), rngs=nnx.Rngs(0))
    mesh = _mesh.make_mesh((2,), ("data",), devices=jax.devices()[:2])
    with pytest.raises(ValueError, match="mesh must have a 'client' axis"):
        fs.federated_train(jax.random.key(0), model, data, fs.Config(rounds=1), mesh=mesh)
