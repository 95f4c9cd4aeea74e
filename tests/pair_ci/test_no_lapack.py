"""The batched, symmetric PAIR-CI program contains no LAPACK custom call (they can deadlock)."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.pair_ci as pc
from tests.helpers import lapack_calls


@pytest.mark.parametrize("learner", ["linear", "rff"])
def test_compiled_pair_ci_batch_has_no_lapack_custom_calls(key, learner):
    # Two LAPACK calls ready at once deadlock XLA:CPU's 2-thread pool (see jaxpapers.linalg); the
    # batched, symmetric PAIR-CI program must not contain any.
    data = pc.simulate_confounder(key, 60, mechanism="mnar")
    config = pc.Config(n_folds=3, n_imputations=2, imputation_sweeps=1, learner=learner)
    tester = pc.pair_ci_tester(jax.random.key(1), data, config)
    batched = jax.jit(jax.vmap(tester.pvalue, in_axes=(None, 0, 0, 0, 0)))
    args = (jnp.array([0, 1]), jnp.array([1, 2]), jnp.array([[2], [3]]), jnp.ones((2, 1), bool))
    assert lapack_calls(batched.lower(tester.state, *args).compile()) == []
    assert np.isfinite(np.asarray(batched(tester.state, *args))).all()
