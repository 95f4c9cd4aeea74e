"""JAX hygiene (spec A7), the conformance checks, and no LAPACK calls in batched programs."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.transfer_regression as tr
from jaxpapers.transfer_regression import _study
from jaxpapers.transfer_regression._bootstrap import replicate_all
from jaxpapers.transfer_regression._fit import estimate
from tests.conformance import check_conformance, count_compilations
from tests.helpers import lapack_calls

N_S, N_T = 300, 250


@pytest.fixture(scope="module")
def data():
    return tr.simulate(jax.random.key(0), "S1", N_S, N_T)


def test_fit_compiles_once_for_fixed_shapes(data):
    # Spec A7: jit(fit) compiles once; a new data set of the same shapes compiles nothing.
    fitted = jax.jit(lambda s, t: tr.fit(s, t))
    jax.block_until_ready((fitted(*data), tr.fit(*data)))
    other = tr.simulate(jax.random.key(1), "S1", N_S, N_T)
    jax.block_until_ready(other)
    with count_compilations() as compiled:
        jax.block_until_ready(fitted(*other))
        jax.block_until_ready(tr.fit(*other))
    assert compiled[0] == 0


def test_fit_conformance(data):
    check_conformance(lambda s, t: tr.fit(s, t), *data, keyed=False)


def test_simulate_conformance(key):
    check_conformance(lambda k: tr.simulate(k, "S2", N_S, N_T), key=key)


def test_bootstrap_conformance(key, data):
    # Eagerly the replicates are sharded over the 8 test devices (one per device); under jit
    # they are one vmap of 8. In float32 the two layouts round the reductions differently:
    # measured up to 4e-5 relative on the smallest standard error, hence rtol 1e-4.
    check_conformance(
        lambda k, s, t: tr.bootstrap(k, s, t, num_resamples=8), *data, key=key, rtol=1e-4
    )


def test_bootstrap_is_a_function_of_the_key(data):
    first = tr.bootstrap(jax.random.key(3), *data, num_resamples=16)
    again = tr.bootstrap(jax.random.key(3), *data, num_resamples=16)
    other = tr.bootstrap(jax.random.key(4), *data, num_resamples=16)
    np.testing.assert_array_equal(first.replicates, again.replicates)
    assert not np.array_equal(first.replicates, other.replicates)
    with count_compilations() as compiled:
        tr.bootstrap(jax.random.key(5), *data, num_resamples=16)
    assert compiled[0] == 0  # the sharded program is cached


def test_vmap_over_64_keys_is_finite_and_has_no_lapack_calls():
    # Spec A7 (vmap over 64 keys, finite) on the batched study program itself; it must hold no
    # LAPACK custom call (two ready at once can deadlock XLA:CPU on 2 cores).
    flags = (jnp.asarray(True), jnp.asarray(True))
    program = jax.jit(jax.vmap(lambda k: _study.replication(k, flags, N_S, N_T, tr.Config())))
    keys = jax.random.split(jax.random.key(9), 64)
    compiled = program.lower(keys).compile()
    assert lapack_calls(compiled) == []
    beta, se, converged, ess = compiled(keys)
    assert np.isfinite(np.asarray(beta)).all() and np.isfinite(np.asarray(se)).all()
    assert bool(converged.all())


def test_bootstrap_program_has_no_lapack_calls(data):
    program = jax.jit(jax.vmap(lambda k: replicate_all(k, *data, tr.Config())))
    keys = jax.random.split(jax.random.key(2), 4)
    assert lapack_calls(program.lower(keys).compile()) == []


def test_gradients_of_beta_with_respect_to_the_data(enable_x64):
    # Spec A7: gradients exist (no NaN) — and are right: they match central finite
    # differences, through the implicit-function derivative of the tilt.
    source, (y_t, x_t) = tr.simulate(jax.random.key(5), "S1", 200, 150)

    @jax.jit
    def total(target_y, source_z):
        return jnp.sum(estimate((source[0], source[1], source_z), (target_y, x_t)).beta)

    grad_y, grad_z = jax.jit(jax.grad(total, argnums=(0, 1)))(y_t, source[2])
    assert np.isfinite(np.asarray(grad_y)).all() and np.isfinite(np.asarray(grad_z)).all()
    step = 1e-6
    for i in (0, 7, 42):
        bump = jnp.zeros_like(y_t).at[i].set(step)
        numeric = (total(y_t + bump, source[2]) - total(y_t - bump, source[2])) / (2 * step)
        assert float(grad_y[i]) == pytest.approx(float(numeric), rel=1e-5, abs=1e-8)


def test_study_second_call_compiles_nothing():
    # one program serves every scenario (the scenario is data, not a static argument)
    tr.study(jax.random.key(0), "S1", 200, 200, num_replications=8)
    with count_compilations() as compiled:
        result = tr.study(jax.random.key(1), "S4", 200, 200, num_replications=8)
    assert compiled[0] == 0
    assert result.estimates.shape == (8, 4, 3)
