"""The logistic probe against scikit-learn, grouped folds, and spec §3-13 (polarity toy)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import jax
import jax.numpy as jnp

import jaxpapers.attention_transport as at
from jaxpapers.attention_transport import _synthetic
from jaxpapers.attention_transport._probe import (
    fit_probe,
    group_folds,
    out_of_fold_scores,
    probe_logit,
)


@pytest.mark.parametrize("C", [0.1, 1.0])
def test_probe_equals_sklearn_balanced_logistic_regression(C, enable_x64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(150, 6)) * np.array([1, 2, 3, 0.5, 1, 10])
    y = x[:, 0] + 0.3 * x[:, 1] + rng.normal(size=150) > 1.0  # imbalanced classes
    probe = fit_probe(jnp.asarray(x), jnp.asarray(y), C=C)
    z = (x - x.mean(0)) / x.std(0)
    reference = LogisticRegression(class_weight="balanced", C=C, tol=1e-12, max_iter=5000)
    reference.fit(z, y)
    np.testing.assert_allclose(probe.weights, reference.coef_[0], atol=1e-6)
    assert float(probe.bias) == pytest.approx(float(reference.intercept_[0]), abs=1e-6)
    np.testing.assert_allclose(
        probe_logit(probe, jnp.asarray(x)), reference.decision_function(z), atol=1e-5
    )


def test_group_folds_keep_pairs_together(key):
    group = np.repeat(np.arange(23), 2)
    fold = group_folds(key, group, 5)
    assert all(len(set(fold[group == g])) == 1 for g in range(23))
    sizes = np.bincount(fold)
    assert sizes.max() - sizes.min() <= 2
    with pytest.raises(ValueError, match="n_folds"):
        group_folds(key, group, 1)


def test_out_of_fold_scores_find_a_planted_signal(key):
    rng = np.random.default_rng(1)
    label = np.tile([False, True], 60)
    x = rng.normal(size=(120, 5)).astype(np.float32)
    x[:, 2] += 1.5 * label
    fold = group_folds(key, np.repeat(np.arange(60), 2), 5)
    score = out_of_fold_scores(jnp.asarray(x), label, fold)
    from jaxpapers.stats import auroc

    # separation 1.5 sd: population AUROC Φ(1.5/√2) = 0.856; with 120 samples SE ≈ 0.035
    assert float(auroc(score, jnp.asarray(label))) > 0.75


def test_13_polarity_reverses_between_bottleneck_and_diffuse(key):
    features = jax.jit(jax.vmap(at.head_features))
    lc = {}
    for kind, k in zip(("bottleneck", "diffuse"), jax.random.split(key), strict=True):
        bench = _synthetic.polarity_benchmark(k, kind, 64)
        assert bench.attention.shape == (64, 4, 64, 64)
        mask = jnp.broadcast_to(bench.mask[:, None, :], bench.attention.shape[:-1])
        phi = features(bench.attention, mask).phi_min
        # faithful uniform heads sit near 0.36, hallucinated window heads near 1/16
        score = jnp.mean(phi, axis=-1)
        lc[kind] = int(_synthetic.polarity(score, bench.label, bench.length))
    assert lc["bottleneck"] == -1 and lc["diffuse"] == +1


def test_polarity_benchmark_maps_are_valid_attention(key):
    bench = _synthetic.polarity_benchmark(key, "bottleneck", 6, n_min=16, n_max=24)
    sums = jnp.sum(bench.attention, axis=-1)
    valid = jnp.broadcast_to(bench.mask[:, None, :], sums.shape)
    np.testing.assert_allclose(jnp.where(valid, sums, 1.0), 1.0, atol=1e-5)
    assert bool(jnp.all(jnp.triu(bench.attention, 1) == 0))
    np.testing.assert_array_equal(bench.mask.sum(1), bench.length)
    with pytest.raises(ValueError, match="kind"):
        _synthetic.polarity_benchmark(key, "sideways", 4)
