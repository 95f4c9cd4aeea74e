"""sparse.refit: least squares on a fixed support with column scaling."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from jaxpapers import sparse, stats
from tests.helpers import lapack_calls


def _problem(seed=0, rows=120):
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((rows, 4)) * np.array([1e-3, 1.0, 1e4, 5.0])  # wildly unequal scales
    b = G @ np.array([2e3, -1.0, 3e-4, 0.0]) + 0.1 * rng.standard_normal(rows)
    return G, b


def test_matches_numpy_least_squares_on_the_support(enable_x64):
    G, b = _problem()
    support = np.array([True, True, True, False])
    ours = sparse.refit(jnp.asarray(G), jnp.asarray(b), jnp.asarray(support))
    reference = np.zeros(4)
    reference[support] = np.linalg.lstsq(G[:, support], b, rcond=None)[0]
    np.testing.assert_allclose(np.asarray(ours), reference, rtol=1e-9)
    assert float(ours[3]) == 0.0


def test_is_equivariant_to_column_scaling(enable_x64):
    # scaling column j by c divides its coefficient by c and leaves the others unchanged
    G, b = _problem(seed=1)
    support = jnp.array([True, False, True, True])
    scale = jnp.array([10.0, 1.0, 1e-5, 3.0])
    base = sparse.refit(jnp.asarray(G), jnp.asarray(b), support)
    scaled = sparse.refit(jnp.asarray(G) * scale[None, :], jnp.asarray(b), support)
    np.testing.assert_allclose(np.asarray(scaled * scale), np.asarray(base), rtol=1e-9)


def test_integer_weights_equal_repeated_rows(enable_x64):
    G, b = _problem(seed=2)
    counts = np.random.default_rng(3).integers(0, 4, G.shape[0])
    support = jnp.array([True, True, False, True])
    weighted = sparse.refit(
        jnp.asarray(G), jnp.asarray(b), support, row_weights=jnp.asarray(counts, jnp.float64)
    )
    repeated = sparse.refit(
        jnp.asarray(np.repeat(G, counts, 0)), jnp.asarray(np.repeat(b, counts)), support
    )
    np.testing.assert_allclose(np.asarray(weighted), np.asarray(repeated), rtol=1e-9)


def test_ridge_shrinks_scaled_coefficients(enable_x64):
    G, b = _problem(seed=4)
    support = jnp.ones(4, bool)
    plain = sparse.refit(jnp.asarray(G), jnp.asarray(b), support)
    ridged = sparse.refit(jnp.asarray(G), jnp.asarray(b), support, ridge=10.0)
    scales = sparse.column_scales(jnp.asarray(G))
    assert float(jnp.linalg.norm(ridged * scales)) < float(jnp.linalg.norm(plain * scales))


def test_a_bootstrap_of_refits_holds_no_lapack_call():
    G, b = (jnp.asarray(x, jnp.float32) for x in _problem(seed=5))
    support = jnp.array([True, True, True, False])

    def bootstrap(key):
        return stats.iid_bootstrap(
            key,
            lambda data, w: sparse.refit(data[0], data[1], support, row_weights=w),
            (G, b),
            num_replicates=64,
        )

    compiled = jax.jit(bootstrap).lower(jax.random.key(0)).compile()
    assert lapack_calls(compiled) == []
    result = bootstrap(jax.random.key(0))
    assert bool(jnp.all(jnp.isfinite(result.replicates)))


@pytest.mark.usefixtures("own_validation")
def test_bad_shapes_are_clear_errors():
    G, b = _problem()
    with pytest.raises(ValueError, match="same number of rows"):
        sparse.stlsq(jnp.asarray(G), jnp.asarray(b[:-1]), 0.1)
    with pytest.raises(ValueError, match="threshold must lie in"):
        sparse.stlsq(jnp.asarray(G), jnp.asarray(b), 1.5)
    with pytest.raises(ValueError, match="G must be finite"):
        sparse.stlsq(jnp.asarray(G).at[0, 0].set(jnp.nan), jnp.asarray(b), 0.1)
