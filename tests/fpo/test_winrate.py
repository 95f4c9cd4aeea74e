"""Exact binomial win-rate tests (spec §4 check 20) against scipy."""

import numpy as np
import pytest
import scipy.stats

import jax
import jax.numpy as jnp

from jaxpapers import fpo
from tests.conformance import check_conformance

TABLE = {  # spec §3.3: A wins, B wins, ties, and the exact p-values [R]
    "relaxed_vs_baseline": (188, 144, 485, 0.009, 0.018),
    "practical_vs_baseline": (140, 135, 542, 0.405, 0.81),
    "relaxed_vs_practical": (167, 138, 512, 0.054, 0.109),
}


def _winners_table(wins_a, wins_b, ties, rng):
    """A judge's per-prompt verdicts ("A", "B", "Tie") in random order, built from the counts."""
    table = np.array(["A"] * wins_a + ["B"] * wins_b + ["Tie"] * ties)
    return rng.permutation(table)


@pytest.mark.parametrize("pair", sorted(TABLE))
def test_check20_the_table_from_a_winners_table(enable_x64, pair):
    wins_a, wins_b, ties, one_sided, two_sided = TABLE[pair]
    table = _winners_table(wins_a, wins_b, ties, np.random.default_rng(0))
    counts = [int(np.sum(table == v)) for v in ("A", "B", "Tie")]
    assert counts == [wins_a, wins_b, ties] and table.size == 817
    result = fpo.win_rate_test(*counts)
    assert float(result.rate) == pytest.approx(wins_a / (wins_a + wins_b), rel=1e-12)
    greater = scipy.stats.binomtest(wins_a, wins_a + wins_b, 0.5, alternative="greater").pvalue
    both = scipy.stats.binomtest(wins_a, wins_a + wins_b, 0.5).pvalue
    assert float(result.pvalue_greater) == pytest.approx(greater, rel=1e-10)
    assert float(result.pvalue_two_sided) == pytest.approx(both, rel=1e-10)
    decimals = {0.81: 2}.get(two_sided, 3)
    assert round(float(result.pvalue_greater), 3) == one_sided
    assert round(float(result.pvalue_two_sided), decimals) == two_sided


def test_against_scipy_on_a_grid(enable_x64):
    for n in (1, 2, 7, 40, 333):
        for a in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            result = fpo.win_rate_test(a, n - a)
            expected = scipy.stats.binomtest(a, n, 0.5)
            greater = scipy.stats.binomtest(a, n, 0.5, alternative="greater").pvalue
            assert float(result.pvalue_greater) == pytest.approx(greater, rel=1e-9, abs=1e-15)
            assert float(result.pvalue_two_sided) == pytest.approx(
                expected.pvalue, rel=1e-9, abs=1e-15
            )


def test_vectorised_and_jittable():
    wins_a, wins_b = jnp.array([188, 140, 167]), jnp.array([144, 135, 138])
    batched = jax.jit(fpo.win_rate_test)(wins_a, wins_b)
    for i in range(3):
        single = fpo.win_rate_test(int(wins_a[i]), int(wins_b[i]))
        np.testing.assert_allclose(batched.pvalue_greater[i], single.pvalue_greater, rtol=1e-6)


def test_conformance():
    check_conformance(fpo.win_rate_test, jnp.array([188, 140]), jnp.array([144, 135]), keyed=False)


def test_float32_precision():
    result = fpo.win_rate_test(188, 144, 485)
    # float32's regularised incomplete beta: a few 1e-4 relative at this tail
    assert float(result.pvalue_greater) == pytest.approx(0.0090723, rel=1e-3)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((-1, 3), ValueError, "wins_a must lie in"),
        ((2.5, 3), TypeError, "wins_a must hold integer counts"),
        ((0, 0, 5), ValueError, "wins_a \\+ wins_b must be > 0"),
        ((3, 1, -2), ValueError, "ties must lie in"),
    ],
)
def test_bad_counts(args, error, match, own_validation):
    with pytest.raises(error, match=match):
        fpo.win_rate_test(*args)
