"""Public API: bad inputs (one test per case), JAX hygiene (spec C9) and conformance."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

import jaxpapers.pair_ci as pc
from jaxpapers.pair_ci import _api
from tests.conformance import check_conformance, count_compilations

SMALL = pc.Config(n_folds=3, n_imputations=2, imputation_sweeps=1)
CATEGORICAL = pc.Config(n_folds=3, n_imputations=2, imputation_sweeps=1, learner="categorical",
                        logistic_steps=5)  # fmt: skip


@pytest.fixture(scope="module")
def data():
    return pc.simulate_confounder(jax.random.key(0), 120, mechanism="mnar")


@pytest.fixture(scope="module")
def codes():
    key_c, key_m = jax.random.split(jax.random.key(1))
    values = jax.random.randint(key_c, (90, 3), 0, 2).astype(jnp.float32)
    return jnp.where(jax.random.uniform(key_m, (90, 3)) < 0.1, jnp.nan, values)


@pytest.mark.parametrize(
    ("x", "y", "cond", "message"),
    [
        (1, 1, [2], "x and y must be different"),
        (1, 0, [1, 2], "must not contain x"),
        (1, 0, [0], "must not contain x"),
        (4, 0, [2], "x must index a column"),
        (1, -1, [2], "y must index a column"),
        (1, 0, [2, 9], r"cond_set\[1\] must index"),
        (1, 0, [2, 2], "distinct"),
    ],
)
def test_bad_indices_are_clear_errors(data, x, y, cond, message):
    with pytest.raises(ValueError, match=message):
        pc.pair_ci_test(jax.random.key(0), data, x, y, cond, config=SMALL)


def test_fractional_index_is_a_type_error(data, own_validation):
    # Issue 12: x = 1.7 was truncated to 1.
    with pytest.raises(TypeError, match="x must be an integer column index, got 1.7"):
        pc.pair_ci_test(jax.random.key(0), data, 1.7, 0, [2], config=SMALL)


def test_fractional_conditioning_index_is_a_type_error(data, own_validation):
    with pytest.raises(TypeError, match="cond_set must hold integer column indices"):
        pc.pair_ci_test(jax.random.key(0), data, 1, 0, [2.0], config=SMALL)


def test_an_inf_cell_is_an_error(data):
    # Issue 12: one inf cell gave p = 1.0 (the edge silently removed).
    with pytest.raises(
        ValueError, match=r"finite values.*1 inf cell\(s\) \(first at row 5, column 3"
    ):
        pc.pair_ci_test(jax.random.key(0), data.at[5, 3].set(jnp.inf), 1, 0, [2], config=SMALL)


def test_an_inf_cell_under_jit_gives_nan_and_a_flag(data):
    run = jax.jit(lambda d: pc.pair_ci_test(jax.random.key(0), d, 1, 0, [2], config=SMALL))
    bad = run(data.at[5, 3].set(jnp.inf))
    assert not bool(bad.valid) and np.isnan(float(bad.pvalue))
    good = run(data)
    assert bool(good.valid) and np.isfinite(float(good.pvalue))


def test_codes_outside_the_cardinalities_are_an_error(codes):
    # Issue 12: codes 0–4 with cardinality 2 were truncated (p = 0.67).
    wide = codes.at[3, 0].set(4.0)
    with pytest.raises(ValueError, match=r"data\[:, 0\] must hold integer state codes in \[0, 2\)"):
        pc.pair_ci_test(jax.random.key(0), wide, 0, 1, [2], config=CATEGORICAL,
                        cardinalities=(2, 2, 2))  # fmt: skip
    with pytest.raises(ValueError, match="integer state codes"):
        pc.pair_ci_test(jax.random.key(0), codes.at[3, 0].set(0.5), 0, 1, [2],
                        config=CATEGORICAL, cardinalities=(2, 2, 2))  # fmt: skip


def test_codes_outside_the_cardinalities_under_jit_give_nan_and_a_flag(codes):
    run = jax.jit(lambda d: pc.pair_ci_test(jax.random.key(0), d, 0, 1, [2], config=CATEGORICAL,
                                            cardinalities=(2, 2, 2)))  # fmt: skip
    bad = run(codes.at[3, 0].set(4.0))
    assert not bool(bad.valid) and np.isnan(float(bad.pvalue))


def test_pc_refuses_a_constant_column(data):
    # Issue 12: a constant column gave NaN p-values and kept its edges.
    complete = jnp.nan_to_num(data).at[:, 3].set(2.0)
    with pytest.raises(ValueError, match=r"constant column\(s\) \[3\]"):
        pc.pc(complete, pc.fisher_z_tester(jnp.nan_to_num(data)))


def test_testers_refuse_a_constant_column(data):
    with pytest.raises(ValueError, match=r"constant column\(s\) \[3\]"):
        pc.fisher_z_tester(jnp.nan_to_num(data).at[:, 3].set(2.0))


def test_pc_refuses_a_fractional_max_cond_set_size(data, own_validation):
    # Issue 12: max_cond_set_size=1.5 raised a raw TypeError from range().
    tester = pc.fisher_z_tester(jnp.nan_to_num(data))
    with pytest.raises(TypeError, match=r"max_cond_set_size must be an integer >= 0, got 1.5"):
        pc.pc(jnp.nan_to_num(data), tester, max_cond_set_size=1.5)


def test_pc_names_a_nan_pvalue(data):
    complete = jnp.nan_to_num(data)
    tester = pc.fisher_z_tester(complete)
    broken = tester._replace(fn=lambda s, x, y, c, m: (jnp.asarray(jnp.nan), jnp.asarray(True)))
    with pytest.raises(FloatingPointError, match="NaN for 0 ⊥ 1"):
        pc.pc(complete, broken)


def test_all_nan_column_is_an_error(data):
    with pytest.raises(ValueError, match=r"all-NaN column\(s\) \[3\]"):
        pc.pair_ci_test(jax.random.key(0), data.at[:, 3].set(jnp.nan), 1, 0, [2], config=SMALL)


def test_fewer_rows_than_folds_is_an_error(data):
    with pytest.raises(ValueError, match="at least 10 rows"):
        pc.pair_ci_test(jax.random.key(0), data[:7], 1, 0, [2], n_folds=5)


def test_wrong_rank_and_dtype_are_errors(data, own_validation):
    with pytest.raises(ValueError, match="2-D"):
        pc.pair_ci_test(jax.random.key(0), data[:, 0], 1, 0, [2], config=SMALL)
    with pytest.raises(TypeError, match="floating point"):
        pc.pair_ci_test(jax.random.key(0), jnp.zeros((50, 4), jnp.int32), 1, 0, [2])


def test_bad_configs_are_errors():
    with pytest.raises(ValueError, match="n_folds"):
        pc.Config(n_folds=1)
    with pytest.raises((ValueError, TypeError), match="learner"):  # Literal: beartype or ours
        pc.Config(learner="forest")
    with pytest.raises((ValueError, TypeError), match="null"):
        pc.Config(null="shuffle")
    with pytest.raises(ValueError, match="ridge"):
        pc.Config(ridge=0.0)
    with pytest.raises(TypeError, match="logistic_steps"):
        pc.Config(logistic_steps=2.5)


def test_learner_and_cardinalities_must_agree(data):
    with pytest.raises(ValueError, match="cardinalities"):
        pc.pair_ci_test(jax.random.key(0), data, 1, 0, [2], learner="categorical")


def test_pc_rejects_mismatched_tester_and_alpha(data):
    tester = pc.fisher_z_tester(jnp.nan_to_num(data))
    with pytest.raises(ValueError, match="built for data's 3 variables"):
        pc.pc(data[:, :3], tester)
    with pytest.raises(ValueError, match="alpha"):
        pc.pc(data, tester, alpha=1.5)


def test_fisher_z_tester_needs_complete_data(data):
    with pytest.raises(ValueError, match="complete"):
        pc.fisher_z_tester(data)


def test_one_compilation_per_shape_and_finite_under_vmap(data):
    """C9: the test compiles once per (n, |S|); vmap over 16 keys gives finite p-values."""
    pc.pair_ci_test(jax.random.key(1), data, 1, 0, [2, 3], config=SMALL)
    rescaled = jax.block_until_ready(data * 2.0)
    with count_compilations() as compiled:
        pc.pair_ci_test(jax.random.key(2), data, 0, 1, [3, 2], config=SMALL)  # new x, y, S values
        pc.pair_ci_test(jax.random.key(3), rescaled, 1, 3, [2, 0], config=SMALL)
    assert compiled[0] == 0
    keys = jax.random.split(jax.random.key(4), 16)
    pvalues = jax.vmap(lambda k: pc.pair_ci_test(k, data, 1, 0, [2, 3], config=SMALL).pvalue)(keys)
    assert pvalues.shape == (16,) and bool(jnp.all(jnp.isfinite(pvalues)))
    assert float(jnp.std(pvalues)) > 0


def test_cached_imputations_are_reused_across_a_pc_run(monkeypatch):
    """C9: one imputation per data set, however many tests PC runs (≥ 100 here)."""
    calls = []
    original = _api._impute_folds_jit

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(_api, "_impute_folds_jit", counting)
    key_g, key_s, key_m, key_t = jax.random.split(jax.random.key(7), 4)
    weights = pc.random_dag(key_g, 8)
    incomplete = pc.mnar_self_masking(key_m, pc.simulate_sem(key_s, weights, 90))
    tester = pc.pair_ci_tester(key_t, incomplete, SMALL)
    # alpha close to 1 keeps most edges, so levels 1 and 2 have many tests.
    result = pc.pc(incomplete, tester, alpha=0.95, max_cond_set_size=2)
    assert result.n_tests >= 100 and len(calls) == 1
    assert result.unconverged_tests == 0 and bool(jnp.all(tester.state.converged))


def test_conformance_of_pair_ci_test(data):
    # vmap batches the K × m fits into larger float32 products with another summation order:
    # a statistic near 0 differs by a few 1e-6 absolute, hence atol = 1e-4.
    check_conformance(lambda k, d: pc.pair_ci_test(k, d, 1, 0, [2, 3], config=SMALL),
                      data, key=jax.random.key(11), atol=1e-4)  # fmt: skip


def test_conformance_of_the_imputer(data):
    train = jnp.arange(data.shape[0]) % 3 != 0
    check_conformance(lambda k, d: pc.impute_chained(k, d, train, SMALL), data,
                      key=jax.random.key(12))  # fmt: skip


def test_drop_null_and_observed_target_scoring_run(data):
    cfg = pc.Config(n_folds=3, n_imputations=2, imputation_sweeps=1, null="drop",
                    score_rows="observed_target", learner="rff", rff_features=8)  # fmt: skip
    res = pc.pair_ci_test(jax.random.key(0), data, 2, 0, [1, 3], config=cfg)
    assert 0.0 <= float(res.pvalue) <= 1.0 and res.fold_means.shape == (2, 3)


def test_citation_is_bibtex():
    assert pc.citation().startswith("@article{") and "2605.04838" in pc.citation()


def test_symmetric_pvalue_is_bonferroni():
    assert float(pc.symmetric_pvalue(jnp.asarray(0.01), jnp.asarray(0.4))) == pytest.approx(0.02)
    assert float(pc.symmetric_pvalue(jnp.asarray(0.7), jnp.asarray(0.9))) == 1.0
    assert np.isclose(float(pc.symmetric_pvalue(jnp.asarray(0.3), jnp.asarray(0.2))), 0.4)
