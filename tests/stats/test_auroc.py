"""AUROC, stratified AUROC and LC-AUROC against scikit-learn, planted truths and bad inputs."""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

import jax
import jax.numpy as jnp

from jaxpapers.stats import auroc, lc_auroc, length_bins, stratified_auroc
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
    """Spec §3-12: five length levels, the label depends on the level only."""
    level = rng.integers(0, 5, m)
    length = 10.0 * (level + 1) + rng.random(m)  # continuous jitter carries no label signal
    label = rng.random(m) < np.array([0.02, 0.1, 0.5, 0.9, 0.98])[level]
    return level, length, label


def test_lc_auroc_removes_a_length_only_signal(enable_x64):
    level, length, label = _length_only_data(np.random.default_rng(0))
    plain = float(auroc(jnp.asarray(length), jnp.asarray(label)))
    controlled = float(lc_auroc(jnp.asarray(length), jnp.asarray(label), jnp.asarray(length)))
    assert plain > 0.9
    # within a bin length is label-free jitter: LC-AUROC ~ 0.5 with SE ~ 0.005; 0.03 = 6 SE
    assert controlled == pytest.approx(0.5, abs=0.03)


def test_lc_auroc_recovers_a_planted_within_bin_shift(enable_x64):
    rng = np.random.default_rng(1)
    level, length, label = _length_only_data(rng)
    delta = 1.0
    feature = 3.0 * level + delta * label + rng.normal(size=level.shape)
    got = float(lc_auroc(jnp.asarray(feature), jnp.asarray(label), jnp.asarray(length)))
    # AUROC of N(δ,1) vs N(0,1) is Φ(δ/√2); SE ≈ 0.005 at these sizes, 0.02 = 4 SE
    assert got == pytest.approx(norm.cdf(delta / np.sqrt(2)), abs=0.02)


def test_lc_auroc_conformance_and_vmap_over_bootstrap(key):
    rng = np.random.default_rng(2)
    score = jnp.asarray(rng.normal(size=200), jnp.float32)
    label = jnp.asarray(rng.random(200) < 0.5)
    length = jnp.asarray(rng.integers(1, 30, 200))
    check_conformance(lambda s, y, n: lc_auroc(s, y, n), score, label, length, keyed=False)
    idx = jax.random.randint(key, (16, 200), 0, 200)
    boot = jax.jit(jax.vmap(lambda i: auroc(score[i], label[i])))(idx)
    loop = [roc_auc_score(np.asarray(label)[i], np.asarray(score)[i]) for i in np.asarray(idx)]
    np.testing.assert_allclose(np.asarray(boot), loop, atol=1e-5)


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
        lc_auroc(score, jnp.array([0, 1, 1]), jnp.array([1, 2, 3]), n_bins=0)
    with pytest.raises(ValueError, match=r"stratum must lie in \[0, 2\)"):
        stratified_auroc(score, jnp.array([0, 1, 1]), jnp.array([0, 1, 2]), 2)
