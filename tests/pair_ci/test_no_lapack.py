"""The batched PAIR-CI programs contain no LAPACK custom call (two at once can deadlock).

Two LAPACK calls ready at once deadlock XLA:CPU's 2-thread pool (see ``jaxpapers.linalg``): the
batched, symmetric test of every learner and the imputers (continuous and discrete) must not
contain any.
"""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.pair_ci as pc
from jaxpapers.pair_ci._api import _impute_folds_jit
from tests.helpers import lapack_calls

CARDS = (3, 2, 4, 3)


def _discrete(key, n=60):
    codes = jax.random.randint(key, (n, len(CARDS)), 0, jnp.asarray(CARDS)[None, :])
    missing = jax.random.uniform(jax.random.fold_in(key, 1), codes.shape) < 0.2
    return jnp.where(missing.at[:, 0].set(False), jnp.nan, codes.astype(jnp.float32))


@pytest.mark.parametrize("learner", ["linear", "rff", "categorical"])
def test_compiled_pair_ci_batch_has_no_lapack_custom_calls(key, learner):
    config = pc.Config(n_folds=3, n_imputations=2, imputation_sweeps=1, learner=learner,
                       logistic_steps=5)  # fmt: skip
    if learner == "categorical":
        data, cards = _discrete(key), CARDS
    else:
        data, cards = pc.simulate_confounder(key, 60, mechanism="mnar"), None
    tester = pc.pair_ci_tester(jax.random.key(1), data, config, cards)
    batched = jax.jit(jax.vmap(tester.fn, in_axes=(None, 0, 0, 0, 0)))
    args = (jnp.array([0, 1]), jnp.array([1, 2]), jnp.array([[2], [3]]), jnp.ones((2, 1), bool))
    assert lapack_calls(batched.lower(tester.state, *args).compile()) == []
    pvalues, _ = batched(tester.state, *args)
    assert np.isfinite(np.asarray(pvalues)).all()


@pytest.mark.parametrize("discrete", [False, True], ids=["continuous", "multinomial"])
def test_compiled_imputers_have_no_lapack_custom_calls(key, discrete):
    config = pc.Config(n_folds=3, n_imputations=2, imputation_sweeps=1, logistic_steps=5)
    if discrete:
        data, cards = _discrete(key), CARDS
    else:
        data, cards = pc.simulate_confounder(key, 60, mechanism="mnar"), None
    lowered = _impute_folds_jit.lower(jax.random.key(2), data, config, cards)
    assert lapack_calls(lowered.compile()) == []
