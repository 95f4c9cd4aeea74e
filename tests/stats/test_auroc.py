"""AUROC, stratified AUROC and LC-AUROC against scikit-learn, planted truths and bad inputs."""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

import jax
import jax.numpy as jnp

from jaxpapers.stats import auroc, lc_auroc, length_bins, matched_auroc, stratified_auroc
from tests.conformance import check_conformance


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("distinct", [3, 1000])  # 3 distinct values: almost every pair is tied
def test_auroc_equals_sklearn_with_ties(seed, distinct, enable_x64):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(5, 400))
    label = rng.integers(0, 2, m)
    label[:2] = [0, 1]
    score = rng.integers(0, distinct, m) + 0.3 * label * rng.random(m)
    score = np.round(score, 1)
    ours = float(auroc(jnp.asarray(score), jnp.asarray(label)))
    assert ours == pytest.approx(roc_auc_score(label, score), abs=1e-12)


def test_auroc_float32_and_bool_labels():
    rng = np.random.default_rng(7)
    score = rng.normal(size=500).astype(np.float32)
    label = rng.random(500) < 0.3
    got = float(auroc(jnp.asarray(score), jnp.asarray(label)))
    assert got == pytest.approx(roc_auc_score(label, score), abs=1e-6)


def _sklearn_stratified(score, label, stratum):
    u, pairs = 0.0, 0
    for b in np.unique(stratum):
        sel = stratum == b
        p, n = int(label[sel].sum()), int((1 - label[sel]).sum())
        if p and n:
            u += roc_auc_score(label[sel], score[sel]) * p * n
            pairs += p * n
    return u / pairs, pairs


@pytest.mark.parametrize("seed", range(4))
def test_stratified_auroc_is_the_pair_weighted_mean_of_sklearn(seed, enable_x64):
    rng = np.random.default_rng(seed)
    m = 600
    stratum = rng.integers(0, 7, m)
    label = (rng.random(m) < 0.1 + 0.1 * stratum).astype(int)
    label[stratum == 6] = 1  # a one-class stratum keeps no pairs
    score = np.round(rng.normal(size=m) + label, 1)
    want, pairs = _sklearn_stratified(score, label, stratum)
    got = stratified_auroc(jnp.asarray(score), jnp.asarray(label), jnp.asarray(stratum), 8)
    assert float(got.auroc) == pytest.approx(want, abs=1e-12)
    total = label.sum() * (1 - label).sum()
    assert float(got.pairs_retained) == pytest.approx(pairs / total, abs=1e-12)
    assert np.isnan(np.asarray(got.per_stratum)[6:]).all()  # stratum 6 one-class, 7 empty


def test_length_bins_match_numpy_quantiles(enable_x64):
    rng = np.random.default_rng(3)
    length = rng.integers(1, 60, 1000)
    edges = np.quantile(length.astype(float), np.linspace(0, 1, 6))
    want = np.searchsorted(edges[1:-1], length, side="right")
    np.testing.assert_array_equal(np.asarray(length_bins(jnp.asarray(length), 5)), want)


def _length_only_data(rng, m=20_000):
    """Spec §3-12: integer lengths in five levels; the label depends on the level only."""
    level = rng.integers(0, 5, m)
    length = 10 * (level + 1) + rng.integers(0, 3, m)  # jitter inside a level: label-free
    label = rng.random(m) < np.array([0.02, 0.1, 0.5, 0.9, 0.98])[level]
    return level, length, label


def _brute_matched(score, label, length, weight, tolerance):
    """Direct double sum over all positive×negative pairs (the definition)."""
    pairs = (label[:, None] & ~label[None, :]) & (
        np.abs(length[:, None] - length[None, :]) <= tolerance
    )
    w = weight[:, None] * weight[None, :] * pairs
    order = (score[:, None] > score[None, :]) + 0.5 * (score[:, None] == score[None, :])
    return (w * order).sum() / w.sum(), w.sum()


@pytest.mark.parametrize("tolerance", [0, 1, 3])
def test_matched_auroc_equals_the_double_sum_with_ties_and_weights(tolerance, enable_x64):
    rng = np.random.default_rng(tolerance)
    m = 300
    score = np.round(rng.normal(size=m), 1)  # many ties
    label = rng.random(m) < 0.4
    length = rng.integers(0, 20, m)
    weight = rng.integers(0, 3, m).astype(float)  # bootstrap multiplicities, zeros included
    got = matched_auroc(
        jnp.asarray(score), jnp.asarray(label), jnp.asarray(length),
        tolerance=tolerance, sample_weight=jnp.asarray(weight),
    )  # fmt: skip
    want, pairs = _brute_matched(score, label, length, weight, tolerance)
    assert float(got.auroc) == pytest.approx(want, abs=1e-12)
    assert float(got.n_pairs) == pytest.approx(pairs, abs=1e-9)
    total = weight[label].sum() * weight[~label].sum()
    assert float(got.pairs_retained) == pytest.approx(pairs / total, abs=1e-12)


def test_exact_matching_is_the_stratified_auroc_over_equal_lengths(enable_x64):
    rng = np.random.default_rng(5)
    length = rng.integers(3, 9, 400)
    label = rng.random(400) < 0.5
    score = rng.normal(size=400) + label
    want = stratified_auroc(jnp.asarray(score), jnp.asarray(label), jnp.asarray(length - 3), 6)
    got = lc_auroc(jnp.asarray(score), jnp.asarray(label), jnp.asarray(length))
    assert float(got) == pytest.approx(float(want.auroc), abs=1e-12)


def test_a_function_of_the_matching_length_gets_exactly_one_half(enable_x64):
    # A code identity of exact matching (every matched pair ties), not evidence about data.
    level, length, label = _length_only_data(np.random.default_rng(0))
    plain = float(auroc(jnp.asarray(length, jnp.float64), jnp.asarray(label)))
    score = jnp.asarray(np.sqrt(length), jnp.float64)  # any function of the length
    assert plain > 0.9
    assert float(lc_auroc(score, jnp.asarray(label), jnp.asarray(length))) == 0.5


def test_quantile_bins_leave_length_signal_that_matching_removes(enable_x64):
    # Why lc_auroc matches instead of binning (issue 12): with 5 quantile bins the jitter of
    # the length inside a bin still carries the label when the label depends on the length.
    rng = np.random.default_rng(1)
    length = rng.integers(1, 200, 20_000)
    label = rng.random(20_000) < length / 200  # P(label) rises steadily with the length
    score = jnp.asarray(length, jnp.float64)
    binned = stratified_auroc(score, jnp.asarray(label), length_bins(jnp.asarray(length), 5), 5)
    # within a bin of width ~40 the AUROC of the length is ≈ 0.6, far outside ± 0.02 (≈ 4 SE)
    assert float(binned.auroc) > 0.55
    assert float(lc_auroc(score, jnp.asarray(label), jnp.asarray(length))) == 0.5


def test_lc_auroc_recovers_a_planted_within_length_shift(enable_x64):
    rng = np.random.default_rng(1)
    level, length, label = _length_only_data(rng)
    delta = 1.0
    feature = 3.0 * level + delta * label + rng.normal(size=level.shape)
    got = float(lc_auroc(jnp.asarray(feature), jnp.asarray(label), jnp.asarray(length)))
    # AUROC of N(δ,1) vs N(0,1) is Φ(δ/√2); SE ≈ 0.006 at these sizes, 0.02 = 3 SE
    assert got == pytest.approx(norm.cdf(delta / np.sqrt(2)), abs=0.02)


def test_tolerance_matching_keeps_more_pairs_and_the_planted_shift(enable_x64):
    rng = np.random.default_rng(2)
    level, length, label = _length_only_data(rng, m=5000)
    feature = 3.0 * level + label + rng.normal(size=level.shape)
    exact = matched_auroc(jnp.asarray(feature), jnp.asarray(label), jnp.asarray(length))
    loose = matched_auroc(
        jnp.asarray(feature), jnp.asarray(label), jnp.asarray(length), tolerance=2
    )
    assert float(loose.n_pairs) > 2 * float(exact.n_pairs)
    # lengths within 2 share a level, so the planted Φ(1/√2) survives; SE ≈ 0.01, 0.04 = 4 SE
    assert float(loose.auroc) == pytest.approx(norm.cdf(1 / np.sqrt(2)), abs=0.04)


def test_lc_auroc_conformance_and_vmap_over_bootstrap_weights(key):
    rng = np.random.default_rng(2)
    score = jnp.asarray(rng.normal(size=200), jnp.float32)
    label = jnp.asarray(rng.random(200) < 0.5)
    length = jnp.asarray(rng.integers(1, 30, 200))
    check_conformance(lambda s, y, n: lc_auroc(s, y, n), score, label, length, keyed=False)
    idx = jax.random.randint(key, (16, 200), 0, 200)
    boot = jax.jit(jax.vmap(lambda i: auroc(score[i], label[i])))(idx)
    loop = [roc_auc_score(np.asarray(label)[i], np.asarray(score)[i]) for i in np.asarray(idx)]
    np.testing.assert_allclose(np.asarray(boot), loop, atol=1e-5)
    weights = jax.vmap(lambda i: jnp.zeros(200).at[i].add(1.0))(idx)
    matched = jax.jit(
        jax.vmap(lambda w: matched_auroc(score, label, length, sample_weight=w).auroc)
    )(weights)
    gathered = [float(lc_auroc(score[i], label[i], length[i])) for i in np.asarray(idx)]
    np.testing.assert_allclose(np.asarray(matched), gathered, atol=1e-5)


def test_bad_inputs_are_clear_errors(own_validation):
    score = jnp.array([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="both classes"):
        auroc(score, jnp.array([1, 1, 1]))
    with pytest.raises(ValueError, match="label must have the shape"):
        auroc(score, jnp.array([0, 1]))
    with pytest.raises(ValueError, match="one-dimensional"):
        auroc(score[None], jnp.array([[0, 1, 1]]))
    with pytest.raises(ValueError, match="only 0 and 1"):
        auroc(score, jnp.array([0, 1, 2]))
    with pytest.raises(ValueError, match="finite"):
        auroc(jnp.array([0.1, jnp.nan, 0.3]), jnp.array([0, 1, 1]))
    with pytest.raises(ValueError, match="length must have the shape"):
        lc_auroc(score, jnp.array([0, 1, 1]), jnp.array([1, 2]))
    with pytest.raises(ValueError, match="n_bins"):
        length_bins(jnp.array([1, 2, 3]), n_bins=0)
    with pytest.raises(ValueError, match="tolerance must be an integer >= 0"):
        lc_auroc(score, jnp.array([0, 1, 1]), jnp.array([1, 2, 3]), tolerance=-1)
    with pytest.raises(TypeError, match="length must be integer when tolerance > 0"):
        lc_auroc(score, jnp.array([0, 1, 1]), jnp.array([1.0, 2.0, 3.0]), tolerance=1)
    with pytest.raises(ValueError, match="sample_weight must lie in"):
        matched_auroc(score, jnp.array([0, 1, 1]), jnp.array([1, 2, 3]),
                      sample_weight=jnp.array([1.0, -1.0, 1.0]))  # fmt: skip
    with pytest.raises(ValueError, match="length must be finite"):
        lc_auroc(score, jnp.array([0, 1, 1]), jnp.array([1.0, jnp.nan, 3.0]))
    with pytest.raises(ValueError, match=r"stratum must lie in \[0, 2\)"):
        stratified_auroc(score, jnp.array([0, 1, 1]), jnp.array([0, 1, 2]), 2)
