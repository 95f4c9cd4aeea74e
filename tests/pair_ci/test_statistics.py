"""Calibration and power of PAIR-CI (spec §8 C2–C7) with fixed keys and binomial tolerances.

Every bound is a binomial tail: with R replications and true rate π, the number of rejections
is Binomial(R, π); each threshold below is exceeded with probability < 1e-3 when the method
behaves as the spec's prototype measured (TEST_FAILURE_RATE ≈ 1e-3 per check). The spec-sized
grids are ``slow``; a reduced version of each runs on every push (C5's is the reproduction's
``pair_ci_power`` claim, C7's its linear-graph claims, in ``test_reproduction.py``).
"""

import zlib

import numpy as np
import pytest
from scipy import stats

import jax

import jaxpapers.pair_ci as pc
from jaxpapers.pair_ci._sim import calibration_pvalues, random_graph_study

TEST_FAILURE_RATE = 1e-3
LINEAR = pc.Config(n_folds=5, n_imputations=5, imputation_sweeps=1)  # only Z is missing


def max_rejections(reps: int, rate: float) -> int:
    """Largest count that Binomial(reps, rate) exceeds with probability < TEST_FAILURE_RATE."""
    return int(stats.binom.isf(TEST_FAILURE_RATE, reps, rate))


def min_rejections(reps: int, rate: float) -> int:
    """Smallest count that Binomial(reps, rate) falls below with probability < TEST_FAILURE_RATE."""
    return int(stats.binom.ppf(TEST_FAILURE_RATE, reps, rate))


def _rejections(pvalues, alpha=0.05):
    return int(np.sum(np.asarray(pvalues) < alpha))


def test_c3_mnar_calibration_fast():
    """C3 (reduced, 60 reps, n = 1000): PAIR-CI stays calibrated, impute-then-test does not."""
    naive, pair = calibration_pvalues(jax.random.key(3), 60, 1000, LINEAR, mechanism="mnar")
    assert _rejections(pair) <= max_rejections(60, 0.05)  # nominal 5 %: ≤ 9 of 60
    assert _rejections(naive) >= min_rejections(60, 0.18)  # prototype 18 %: ≥ 3 of 60
    assert _rejections(naive) > _rejections(pair)


def test_calibration_on_another_dgp_fast():
    """Acceptance: a different DGP (3 auxiliaries, weaker paths, stronger MNAR), 60 reps."""
    _, pair = calibration_pvalues(
        jax.random.key(31), 60, 800, LINEAR, mechanism="mnar", n_aux=3, z_on_w=1.2,
        x_on_z=0.6, y_on_z=1.5, strength=4.0, missing_rate=0.3,
    )  # fmt: skip
    assert _rejections(pair) <= max_rejections(60, 0.05)


def test_c2_and_c4_fast():
    """C2 (no missing values) and C4 (MCAR, MAR), reduced: 60 reps each at n = 500."""
    cfg = pc.Config(n_folds=5, n_imputations=2, imputation_sweeps=1)
    _, pair = calibration_pvalues(jax.random.key(22), 60, 500, cfg, mechanism="none")
    assert _rejections(pair) <= max_rejections(60, 0.05)
    assert 0.3 <= float(np.mean(pair)) <= 0.7  # mean p 0.5 ± 0.2 (se of the mean ≈ 0.037)
    for mechanism in ("mcar", "mar"):
        _, pair = calibration_pvalues(jax.random.key(23), 60, 500, LINEAR, mechanism=mechanism)
        assert _rejections(pair) <= max_rejections(60, 0.05)


@pytest.mark.slow
def test_c2_complete_data_null():
    """C2: no missing values, K = 5, m = 2 (B = 0 exactly): FPR ≤ 0.07, mean p in [0.4, 0.6]."""
    cfg = pc.Config(n_folds=5, n_imputations=2, imputation_sweeps=1)
    _, pair = calibration_pvalues(jax.random.key(2), 300, 1000, cfg, mechanism="none")
    assert _rejections(pair) <= 21  # 0.07 · 300
    assert 0.4 <= float(np.mean(pair)) <= 0.6


@pytest.mark.slow
@pytest.mark.parametrize(("n", "reps", "naive_floor"), [(1000, 300, 0.12), (2000, 200, 0.25)])
def test_c3_mnar_calibration(n, reps, naive_floor):
    naive, pair = calibration_pvalues(jax.random.key(n), reps, n, LINEAR, mechanism="mnar")
    assert _rejections(pair) <= 0.05 * reps
    assert _rejections(naive) >= naive_floor * reps


@pytest.mark.slow
@pytest.mark.parametrize("mechanism", ["mcar", "mar"])
def test_c4_mcar_and_mar(mechanism):
    _, pair = calibration_pvalues(jax.random.key(4), 300, 1000, LINEAR, mechanism=mechanism)
    assert _rejections(pair) <= 15  # FPR ≤ 0.05


@pytest.mark.slow
def test_c5_power():
    _, pair = calibration_pvalues(jax.random.key(5), 200, 2000, LINEAR, mechanism="mnar", beta=0.25)
    assert _rejections(pair) >= 170  # ≥ 0.85


def test_c6_fast():
    """C6 (reduced, 40 reps at n = 5000; prototype FPR 0.70): at least half reject, at most
    a binomial-tail number below that."""
    _, pair = calibration_pvalues(
        jax.random.key(60), 40, 5000, LINEAR, mechanism="mnar", exclude_target=True
    )
    assert _rejections(pair) >= min_rejections(40, 0.5)


@pytest.mark.slow
def test_c6_imputing_without_the_target_breaks_calibration():
    """C6: leaving Y out of the imputation model inflates the FPR (prototype 0.70 at n = 5000)."""
    _, pair = calibration_pvalues(
        jax.random.key(6), 100, 5000, LINEAR, mechanism="mnar", exclude_target=True
    )
    assert _rejections(pair) >= 30


DGPS = [  # (name, kwargs, n): coefficients, auxiliaries, missingness strength and n all vary
    ("spec", {}, 1000),
    ("weak_confounding", {"x_on_z": 0.4, "y_on_z": 0.5}, 1000),
    ("strong_confounding", {"x_on_z": 2.0, "y_on_z": 1.5}, 1000),
    ("three_aux", {"n_aux": 3, "z_on_w": 1.2}, 1000),
    ("steep_mnar", {"strength": 5.0}, 1000),
    ("high_missing", {"missing_rate": 0.6}, 1000),
    ("small_n", {}, 300),
    ("large_n", {}, 3000),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "dgp", "n"), DGPS, ids=[d[0] for d in DGPS])
def test_calibration_across_dgps(name, dgp, n):
    """Acceptance: FPR ≤ 5 % (+ binomial slack) under MNAR for DGPs other than the spec's."""
    _, pair = calibration_pvalues(jax.random.key(zlib.crc32(name.encode())), 150, n, LINEAR,
                                  mechanism="mnar", **dgp)  # fmt: skip
    assert _rejections(pair) <= max_rejections(150, 0.05)


@pytest.mark.slow
def test_c7_pc_on_linear_graphs():
    """C7 as the spec writes it: 10 graphs, K = m = 10, n = 2000, α = 0.05. PAIR-CI's mean false
    adjacencies ≤ 0.5 and ≤ naive − 2; its mean skeleton SHD within +10 % of naive's."""
    cfg = pc.Config(n_folds=10, n_imputations=10)
    results = random_graph_study(jax.random.key(7), 10, 2000, 10, cfg)
    naive, pair = results[:, 1].mean(axis=0), results[:, 2].mean(axis=0)  # [shd, skel, extra, ...]
    assert pair[2] <= 0.5 and pair[2] <= naive[2] - 2
    assert pair[1] <= 1.10 * naive[1]
    assert pair[4] == 0  # no unconverged fit (closed-form learners)
