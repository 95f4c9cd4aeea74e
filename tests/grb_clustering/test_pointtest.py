"""Per-point rank tests: scipy references (spec B1), ties, invariances (B8), bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

import jax
import jax.numpy as jnp

import jaxpapers.grb_clustering as grb
from tests.conformance import check_conformance
from tests.helpers import lapack_calls


def _data(seed=0, n=200):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(n // 2, 3)), rng.normal(size=(n // 2, 3)) + [2.0, 0, 0]])
    labels = (X[:, 0] > 1.0).astype(np.int32) + (X[:, 1] > 1.0).astype(np.int32)
    return X, labels


def _reference(X, labels, i, between, test):
    """scipy's one-sided test of point i (the spec's definition, written out with numpy)."""
    distance = np.sqrt(((X - X[i]) ** 2).sum(1))
    same = labels == labels[i]
    same[i] = False
    if between == "all":
        other = labels != labels[i]
    else:
        medians = {k: np.median(distance[labels == k]) for k in set(labels) - {labels[i]}}
        other = labels == min(medians, key=medians.get)
    w, b = distance[same], distance[other]
    if test == "mwu":
        result = scipy.stats.mannwhitneyu(w, b, alternative="less", method="asymptotic")
        return result.pvalue, 1 - result.statistic / (w.size * b.size)
    return scipy.stats.ks_2samp(w, b, alternative="greater", method="asymp").pvalue, None


@pytest.mark.parametrize("between", ["all", "nearest"])
@pytest.mark.parametrize("test", ["mwu", "ks"])
def test_pvalues_equal_scipy(enable_x64, between, test):
    # spec B1: p_i equals scipy.stats.mannwhitneyu(W_i, B_i, "less", asymptotic) to 1e-8 (float64)
    X, labels = _data()
    result = grb.point_tests(
        jnp.asarray(X), jnp.asarray(labels), between=between, test=test, num_clusters=3
    )
    for i in np.random.default_rng(1).choice(len(X), 50, replace=False):
        pvalue, auc = _reference(X, labels, i, between, test)
        assert float(result.pvalue[i]) == pytest.approx(pvalue, rel=1e-8, abs=1e-300)
        if auc is not None:
            assert float(result.auc[i]) == pytest.approx(auc, abs=1e-12)
    assert np.allclose(result.pvalue, grb.point_pvalues(X, labels, between=between, test=test))


@pytest.mark.parametrize("kind", ["lattice", "duplicates"])
def test_ties_use_average_ranks_and_the_tie_correction(enable_x64, kind):
    rng = np.random.default_rng(2)
    if kind == "lattice":  # every row holds long runs of equal distances: the prefix-scan path
        X = rng.integers(0, 4, size=(120, 2)).astype(float)
    else:  # a few duplicated points: short tie groups
        X = rng.normal(size=(120, 2))
        X[10:13] = X[3]
    labels = (X[:, 0] + 0.3 * rng.normal(size=120) > 1.5).astype(np.int32)
    p = grb.point_pvalues(X, labels)
    for i in range(0, 120, 3):
        assert float(p[i]) == pytest.approx(_reference(X, labels, i, "all", "mwu")[0], rel=1e-8)


def test_found_clusters_give_tiny_pvalues_and_random_labels_do_not(enable_x64):
    X, component = grb.simulate(jax.random.key(3), 200, "two_clusters")
    found = np.asarray(grb.point_pvalues(X, component))
    assert np.median(found) < 1e-6 and np.mean(found < 0.05) > 0.9  # a few overlap the other
    shuffled = jax.random.permutation(jax.random.key(4), component)
    p = grb.point_pvalues(X, shuffled)
    # random labels: each p_i is about uniform; the mean of 200 lies within 4 SE (0.02) of 1/2
    assert abs(float(jnp.mean(p)) - 0.5) < 0.1


def test_singleton_clusters_get_p_one_without_checks():
    X = jnp.array([[0.0], [0.1], [0.2], [9.0]])
    result = grb.point_tests(X, jnp.array([0, 0, 0, 1]))
    assert float(result.pvalue[3]) == 1.0 and float(result.auc[3]) == 0.5


def _random_rotation(key, d):
    q, r = np.linalg.qr(np.asarray(jax.random.normal(key, (d, d)), np.float64))
    return q * np.sign(np.diag(r))[None, :]


def test_invariant_to_permutation_rotation_translation(enable_x64):
    # spec B8: with the labels carried along, p_i, AUC_i and every integrated p-value are
    # unchanged to 1e-10 under row permutation and a rotation + translation of standardised X
    X, labels = _data(5)
    X = np.asarray(grb.standardise(X))
    base = grb.point_tests(jnp.asarray(X), jnp.asarray(labels))
    order = np.random.default_rng(6).permutation(len(X))
    moved = X @ _random_rotation(jax.random.key(7), 3) + np.array([3.0, -1.0, 0.5])
    for data, lab, back in ((X[order], labels[order], np.argsort(order)), (moved, labels, None)):
        out = grb.point_tests(jnp.asarray(data), jnp.asarray(lab))
        p, auc = (out.pvalue, out.auc) if back is None else (out.pvalue[back], out.auc[back])
        np.testing.assert_allclose(p, base.pvalue, rtol=1e-10, atol=1e-300)
        np.testing.assert_allclose(auc, base.auc, rtol=0, atol=1e-10)
        for rule in ("cauchy", "hmp", "bonferroni", "simes", "fisher"):
            a, b = grb.integrate(p, rule), grb.integrate(base.pvalue, rule)
            assert float(a.log10_pvalue) == pytest.approx(float(b.log10_pvalue), rel=1e-10)


def test_float32_agrees_with_float64_where_it_can(enable_x64):
    X, labels = _data(8)
    p64 = grb.point_pvalues(X, labels)
    p32 = grb.point_pvalues(X.astype(np.float32), labels)
    assert p32.dtype == jnp.float32
    moderate = np.asarray(p64) > 1e-20
    np.testing.assert_allclose(np.asarray(p32)[moderate], np.asarray(p64)[moderate], rtol=1e-3)


def test_compiled_point_tests_have_no_lapack_calls():
    X, labels = _data(9, 40)
    compiled = jax.jit(grb.point_tests).lower(jnp.asarray(X, jnp.float32), jnp.asarray(labels))
    assert lapack_calls(compiled.compile()) == []


def test_point_pvalues_conformance():
    X, labels = _data(9, 60)
    check_conformance(
        lambda x, l: grb.point_pvalues(x, l),
        jnp.asarray(X, jnp.float32),
        jnp.asarray(labels),
        keyed=False,
    )


# ----- bad input -------------------------------------------------------------------------------


def test_one_point_cluster_is_an_error(own_validation):
    X = jnp.array([[0.0], [0.1], [0.2], [9.0]])
    with pytest.raises(ValueError, match=r"one-point cluster\(s\) \[1\]"):
        grb.point_pvalues(X, jnp.array([0, 0, 0, 1]))


def test_a_single_cluster_is_an_error(own_validation):
    with pytest.raises(ValueError, match="at least 2 clusters"):
        grb.point_pvalues(jnp.ones((4, 1)), jnp.zeros(4, jnp.int32))


def test_labels_of_the_wrong_length_are_an_error(own_validation):
    with pytest.raises(ValueError, match=r"one entry per row of X \(4\)"):
        grb.point_pvalues(jnp.ones((4, 1)), jnp.array([0, 1, 0]))


def test_float_labels_are_an_error(own_validation):
    with pytest.raises(TypeError, match="labels must be integers"):
        grb.point_pvalues(jnp.ones((4, 1)), jnp.array([0.0, 1.0, 0.0, 1.0]))


def test_negative_labels_are_an_error(own_validation):
    with pytest.raises(ValueError, match="labels must be >= 0"):
        grb.point_pvalues(jnp.ones((4, 1)), jnp.array([0, -1, 0, -1]))


def test_nan_in_x_is_an_error(own_validation):
    with pytest.raises(ValueError, match="X must be finite"):
        grb.point_pvalues(jnp.array([[0.0], [jnp.nan], [1.0], [2.0]]), jnp.array([0, 0, 1, 1]))


def test_unknown_test_or_between_is_an_error(own_validation):
    X, labels = jnp.arange(4.0)[:, None], jnp.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match="test must be one of"):
        grb.point_pvalues(X, labels, test="t")
    with pytest.raises(ValueError, match="between must be one of"):
        grb.point_pvalues(X, labels, between="farthest")


def test_nearest_under_jit_needs_num_clusters(own_validation):
    X, labels = jnp.arange(4.0)[:, None], jnp.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match="num_clusters must be given"):
        jax.jit(lambda l: grb.point_pvalues(X, l, between="nearest"))(labels)
