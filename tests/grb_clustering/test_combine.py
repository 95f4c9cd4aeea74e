"""Integration of dependent p-values: exact identities (spec B2), references, bad input."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.stats
from statsmodels.stats.multitest import multipletests

import jax.numpy as jnp

import jaxpapers.grb_clustering as grb
from jaxpapers.grb_clustering._combine import log_chi2_sf_half
from tests.conformance import check_conformance

RULES = ("cauchy", "hmp", "bonferroni", "simes", "fisher")


def test_cauchy_is_the_acat_formula(enable_x64):
    # spec B2: ACAT of (0.01, 0.02, 0.5) is 1/2 − arctan(mean tan((1/2 − p)π))/π to 1e-12
    p = np.array([0.01, 0.02, 0.5])
    expected = 0.5 - np.arctan(np.mean(np.tan((0.5 - p) * np.pi))) / np.pi
    assert float(grb.integrate(p).pvalue) == pytest.approx(expected, abs=1e-12)
    assert float(grb.integrate(p).pvalue) == pytest.approx(
        scipy.stats.cauchy.sf(np.mean(np.tan((0.5 - p) * np.pi))), rel=1e-12
    )


@pytest.mark.parametrize("value", [1e-200, 1e-300, 1e-40, 0.003, 0.3, 0.5, 0.7, 0.999])
def test_cauchy_of_identical_pvalues_is_that_pvalue(enable_x64, value):
    # spec B2: no underflow or lost precision down to 1e-200 (the cot / arctan(1/T) form)
    combined = grb.integrate(jnp.full(1598, value))
    assert float(combined.pvalue) == pytest.approx(value, rel=1e-10)
    assert float(combined.log10_pvalue) == pytest.approx(np.log10(value), abs=1e-10)


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_is_monotone_in_each_pvalue(enable_x64, rule):
    p = np.random.default_rng(0).random(30) ** 3
    base = float(grb.integrate(p, rule).log10_pvalue)
    for i in range(0, 30, 5):
        bigger = p.copy()
        bigger[i] = min(1.0, 2 * p[i] + 0.01)
        assert float(grb.integrate(bigger, rule).log10_pvalue) >= base - 1e-12


def test_rules_equal_their_references(enable_x64):
    p = np.random.default_rng(1).random(200) ** 4
    assert float(grb.integrate(p, "hmp").pvalue) == pytest.approx(scipy.stats.hmean(p), rel=1e-10)
    fisher = scipy.stats.combine_pvalues(p, method="fisher").pvalue
    assert float(grb.integrate(p, "fisher").pvalue) == pytest.approx(fisher, rel=1e-9)
    bonferroni = multipletests(p, method="bonferroni")[1].min()
    assert float(grb.integrate(p, "bonferroni").pvalue) == pytest.approx(bonferroni, rel=1e-12)
    # Simes' global p-value is the smallest Benjamini–Hochberg adjusted p-value
    simes = multipletests(p, method="fdr_bh")[1].min()
    assert float(grb.integrate(p, "simes").pvalue) == pytest.approx(simes, rel=1e-12)


@pytest.mark.parametrize(
    "a,x", [(2.0, 800.0), (1598.0, 30000.0), (10.0, 5.0), (10.0, 12.0), (1598.0, 1650.0)]
)
def test_log_chi2_tail_equals_mpmath(enable_x64, a, x):
    exact = float(mpmath.log(mpmath.gammainc(a, x, mpmath.inf, regularized=True)))
    assert float(log_chi2_sf_half(jnp.array(a), jnp.array(x))) == pytest.approx(exact, rel=1e-10)


def test_fisher_log10_is_finite_where_the_pvalue_underflows(enable_x64):
    combined = grb.integrate(jnp.full(1598, 1e-200), "fisher")
    assert float(combined.pvalue) == 0.0
    exact = float(
        mpmath.log10(
            mpmath.gammainc(1598, 1598 * 200 * mpmath.log(10), mpmath.inf, regularized=True)
        )
    )
    assert float(combined.log10_pvalue) == pytest.approx(exact, rel=1e-10)


def test_float32_keeps_tiny_pvalues_in_range():
    combined = grb.integrate(jnp.full(10, 1e-30, jnp.float32))
    assert combined.pvalue.dtype == jnp.float32
    assert float(combined.log10_pvalue) == pytest.approx(-30.0, abs=1e-4)


def test_integrate_conformance():
    check_conformance(
        lambda p: grb.integrate(p, "fisher"), jnp.linspace(0.01, 0.9, 20), keyed=False
    )


# ----- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [[0.2, 1.5], [-0.1, 0.5]])
def test_pvalues_outside_0_1_are_an_error(own_validation, bad):
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        grb.integrate(jnp.array(bad))


def test_nan_pvalue_is_an_error(own_validation):
    with pytest.raises(ValueError, match="p must be finite"):
        grb.integrate(jnp.array([0.2, jnp.nan]))


def test_empty_or_2d_pvalues_are_an_error(own_validation):
    with pytest.raises(ValueError, match="at least one p-value"):
        grb.integrate(jnp.zeros(0))
    with pytest.raises(ValueError, match="p must be 1-D"):
        grb.integrate(jnp.full((2, 2), 0.5))


def test_unknown_rule_is_an_error(own_validation):
    with pytest.raises(ValueError, match="rule must be one of"):
        grb.integrate(jnp.array([0.5]), "stouffer")
