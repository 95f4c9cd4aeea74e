"""The probe against scikit-learn, grouped cross-fitting, the LC evaluation with its bootstrap,
and spec §3-13 (the polarity toy, a test of the code: its labels are swapped by construction)."""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression

import jax
import jax.numpy as jnp

import jaxpapers.attention_transport as at
from tests.helpers import lapack_calls


@pytest.mark.parametrize("C", [0.1, 1.0])
def test_probe_equals_sklearn_balanced_logistic_regression(C, enable_x64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(150, 6)) * np.array([1, 2, 3, 0.5, 1, 10])
    y = x[:, 0] + 0.3 * x[:, 1] + rng.normal(size=150) > 1.0  # imbalanced classes
    probe = at.fit_probe(jnp.asarray(x), jnp.asarray(y), C=C)
    z = (x - x.mean(0)) / x.std(0)
    reference = LogisticRegression(class_weight="balanced", C=C, tol=1e-12, max_iter=5000)
    reference.fit(z, y)
    assert bool(probe.converged) and int(probe.num_steps) < 50
    np.testing.assert_allclose(probe.weights, reference.coef_[0], atol=1e-6)
    assert float(probe.bias) == pytest.approx(float(reference.intercept_[0]), abs=1e-6)
    np.testing.assert_allclose(
        at.probe_logit(probe, jnp.asarray(x)), reference.decision_function(z), atol=1e-5
    )


def test_zero_weight_rows_are_dropped_from_the_fit(enable_x64):
    # cross-fitting masks the held-out fold by weight 0: same fit as slicing it away
    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 4))
    y = x[:, 1] + rng.normal(size=80) > 0
    keep = np.arange(80) % 4 != 0
    masked = at.fit_probe(jnp.asarray(x), jnp.asarray(y), sample_weight=jnp.asarray(keep, float))
    sliced = at.fit_probe(jnp.asarray(x[keep]), jnp.asarray(y[keep]))
    for got, want in zip(masked[:4], sliced[:4], strict=True):
        np.testing.assert_allclose(got, want, atol=1e-9)


def test_probe_scores_keep_items_together_and_find_a_planted_signal(key):
    rng = np.random.default_rng(1)
    label = np.tile([False, True], 60)
    group = 1000 + 7 * np.repeat(np.arange(60), 2)  # arbitrary item ids
    x = rng.normal(size=(120, 5)).astype(np.float32)
    x[:, 2] += 1.5 * label
    out = at.probe_scores(key, jnp.asarray(x), label, group, n_folds=5)
    fold = np.asarray(out.fold)
    assert all(len(set(fold[group == g])) == 1 for g in np.unique(group))
    sizes = np.bincount(fold)
    assert sizes.max() - sizes.min() <= 2
    assert bool(out.converged) and 0 < int(out.num_steps) < 50
    # separation 1.5 sd: population AUROC Φ(1.5/√2) = 0.856; with 120 samples SE ≈ 0.035
    assert float(at.length_controlled_auroc(key, out.score, label, np.zeros(120, int), group)
                 .plain_auroc) > 0.75  # fmt: skip
    noise = np.random.default_rng(2).permutation(label)
    shuffled = at.probe_scores(key, jnp.asarray(x), noise, group)
    # shuffled labels carry nothing: out-of-fold AUROC near ½ (SE ≈ 0.05; 0.7 is 4 SE away)
    assert float(at.length_controlled_auroc(key, shuffled.score, noise, np.zeros(120, int),
                                            group).plain_auroc) < 0.7  # fmt: skip
    with pytest.raises(ValueError, match="n_folds must be <= the number of groups"):
        at.probe_scores(key, jnp.asarray(x[:8]), label[:8], group[:8], n_folds=5)


def test_the_cross_fitted_probe_has_no_lapack_call(key):
    x = jnp.ones((40, 6))
    label = jnp.arange(40) % 2 == 1

    def fit(features):
        return at.fit_probe(features, label).weights

    assert lapack_calls(jax.jit(fit).lower(x).compile()) == []


def test_length_controlled_auroc_standard_error_matches_the_spread_over_samples(key):
    # Planted: per item one negative N(0,1) and one positive N(δ,1) of the same length, so the
    # LC-AUROC is Φ(δ/√2); the item bootstrap SE must match the spread over fresh samples.
    delta, items = 1.0, 150
    label = np.tile([False, True], items)
    group = np.repeat(np.arange(items), 2)
    length = np.repeat(np.arange(items) % 10, 2)
    values, errors = [], []
    for rep in range(12):
        rng = np.random.default_rng(100 + rep)
        score = rng.normal(size=2 * items) + delta * label
        lc = at.length_controlled_auroc(jax.random.fold_in(key, rep), score, label, length, group,
                                        n_bootstrap=300)  # fmt: skip
        values.append(float(lc.auroc))
        errors.append(float(lc.standard_error))
    assert np.mean(values) == pytest.approx(norm.cdf(delta / np.sqrt(2)), abs=0.02)
    # 12 replications: the sd of the estimate is itself uncertain by ~20 %; allow 40 %
    assert np.mean(errors) == pytest.approx(np.std(values, ddof=1), rel=0.4)


def test_evaluate_probe_drops_undefined_spans_and_reports_them(key):
    rng = np.random.default_rng(4)
    m = 60
    phi = rng.uniform(0.1, 0.5, (m, 2, 3)).astype(np.float32)
    defined = np.ones((m, 2, 3), bool)
    defined[[3, 10]] = False  # two one-token answers
    phi[~defined] = np.nan
    features = at.HeadFeatures(phi, phi, phi, phi, phi < 0.2, defined, defined | True)
    label = np.tile([False, True], m // 2)
    out = at.evaluate_probe(key, features, label, np.full(m, 4), np.repeat(np.arange(m // 2), 2))
    assert out.kept.sum() == m - 2 and not out.kept[3] and not out.kept[10]
    assert out.scores.score.shape == (m - 2,)
    assert float(out.lc.n_pairs) == 29 * 29  # 29 positives × 29 negatives kept, one length


def test_13_polarity_reverses_between_bottleneck_and_diffuse(key):
    # A code test of the polarity toy: the benchmark swaps which label gets the window heads.
    features = jax.jit(jax.vmap(at.head_features))
    lc = {}
    for kind, k in zip(("bottleneck", "diffuse"), jax.random.split(key), strict=True):
        bench = at.polarity_benchmark(k, kind, 64)
        assert bench.attention.shape == (64, 4, 64, 64)
        mask = jnp.broadcast_to(bench.mask[:, None, :], bench.attention.shape[:-1])
        phi = features(bench.attention, mask).phi_min
        # faithful uniform heads sit near 0.36, hallucinated window heads near 1/16
        score = jnp.mean(phi, axis=-1)
        lc[kind] = int(at.polarity(score, bench.label, bench.length, tolerance=2))
    assert lc["bottleneck"] == -1 and lc["diffuse"] == +1


def test_polarity_benchmark_maps_are_valid_attention(key, own_validation):
    bench = at.polarity_benchmark(key, "bottleneck", 6, n_min=16, n_max=24)
    sums = jnp.sum(bench.attention, axis=-1)
    valid = jnp.broadcast_to(bench.mask[:, None, :], sums.shape)
    np.testing.assert_allclose(jnp.where(valid, sums, 1.0), 1.0, atol=1e-5)
    assert bool(jnp.all(jnp.triu(bench.attention, 1) == 0))
    np.testing.assert_array_equal(bench.mask.sum(1), bench.length)
    with pytest.raises(ValueError, match="kind must be one of"):
        at.polarity_benchmark(key, "sideways", 4)
