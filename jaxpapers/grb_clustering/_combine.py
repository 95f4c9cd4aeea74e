"""Integrating n dependent p-values into one (spec §3.3), finite in log space far below 1e-300.

Rules (p_(1) ≤ … ≤ p_(n) the sorted p-values):

* ``"cauchy"`` (ACAT; Liu & Xie 2020, JASA 115:393): T = (1/n) Σ tan((1/2 − p_i)π),
  P = 1/2 − arctan(T)/π. Valid-ish under arbitrary dependence. Computed without cancellation:
  tan((1/2 − p)π) = cot(πp) = 1/tan(πp) for p < 1/2, and for T > 0, P = arctan(1/T)/π
  (≈ 1/(πT)), so P = 1e-200 is returned as 1e-200, not 0.
* ``"hmp"`` (harmonic mean p; Wilson 2019, PNAS 116:1195): P = n / Σ 1/p_i.
* ``"bonferroni"``: P = min(1, n p_(1)).
* ``"simes"`` (Simes 1986): P = min_k n p_(k) / k.
* ``"fisher"``: X² = −2 Σ log p_i ~ χ²_{2n}; P = Q(n, X²/2), the regularised upper incomplete
  gamma function. Invalid under dependence (kept to show how anti-conservative it is).

p-values are clipped to [1e-300, 1 − 1e-16] (float64; the smallest normal number and 1 − ε/2 in
float32) first. Every rule returns the p-value and its log10, computed in log space.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy.special import gammaincc, gammaln, logsumexp
from jaxtyping import Array, ArrayLike, Float

from jaxpapers import _validate
from jaxpapers.grb_clustering._types import RULES, Combined

__all__ = ["combine", "integrate", "log_chi2_sf_half"]

_LN10 = math.log(10.0)


def _clip(p: Float[Array, " n"]) -> Float[Array, " n"]:
    info = jnp.finfo(p.dtype)
    low = max(1e-300, float(info.tiny))
    high = 1.0 - 1e-16 if info.bits == 64 else 1.0 - float(info.eps) / 2
    return jnp.clip(p, low, high)


def _cauchy(p):
    cot = jnp.where(p < 0.5, 1.0 / jnp.tan(jnp.pi * p), jnp.tan(jnp.pi * (0.5 - p)))
    t = jnp.sum(cot / p.shape[0])
    inverse = 1.0 / jnp.where(t > 0, t, 1.0)
    log_p = jnp.where(
        t > 0,
        jnp.log(jnp.arctan(inverse)) - math.log(math.pi),
        jnp.log(0.5 - jnp.arctan(t) / jnp.pi),
    )
    return log_p


def _hmp(p):
    return math.log(p.shape[0]) - logsumexp(-jnp.log(p))


def _bonferroni(p):
    return math.log(p.shape[0]) + jnp.log(jnp.min(p))


def _simes(p):
    n = p.shape[0]
    k = jnp.arange(1, n + 1, dtype=p.dtype)
    return math.log(n) + jnp.min(jnp.log(jnp.sort(p)) - jnp.log(k))


def log_chi2_sf_half(a: Float[Array, ""], x: Float[Array, ""]) -> Float[Array, ""]:
    """log Q(a, x), the regularised upper incomplete gamma function, finite when Q underflows.

    For x < a + 1, log of ``gammaincc``; beyond, Q(a, x) = e^{−x} x^a / Γ(a) · CF(a, x) with the
    continued fraction evaluated by the modified Lentz method (Press et al., Numerical Recipes,
    §6.2), in log space. χ²_k's survival function at c is Q(k/2, c/2).

    >>> import jax.numpy as jnp
    >>> round(float(log_chi2_sf_half(jnp.array(2.0), jnp.array(800.0))), 1)  # Q = 6e-345
    -793.3
    """
    tiny = float(jnp.finfo(x.dtype).tiny) * 1e3
    eps = float(jnp.finfo(x.dtype).eps)
    xs = jnp.maximum(x, a + 1)  # the continued fraction's domain; the other branch is masked
    b0 = xs + 1 - a

    def step(carry):
        i, b, c, d, h, _ = carry
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = 1.0 / jnp.where(jnp.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = jnp.where(jnp.abs(c) < tiny, tiny, c)
        delta = d * c
        return i + 1, b, c, d, h * delta, jnp.abs(delta - 1)

    def keep_going(carry):
        return (carry[-1] > eps) & (carry[0] < 10_000)

    one = jnp.ones_like(xs)
    start = (one, b0, one / tiny, 1.0 / b0, 1.0 / b0, one)
    h = lax.while_loop(keep_going, step, start)[4]
    tail = -xs + a * jnp.log(xs) - gammaln(a) + jnp.log(h)
    direct = jnp.log(gammaincc(a, jnp.minimum(x, a + 1)))
    return jnp.where(x < a + 1, direct, tail)


def _fisher(p):
    n = jnp.asarray(p.shape[0], p.dtype)
    return log_chi2_sf_half(n, -jnp.sum(jnp.log(p)))


_RULES = {
    "cauchy": _cauchy,
    "hmp": _hmp,
    "bonferroni": _bonferroni,
    "simes": _simes,
    "fisher": _fisher,
}


def integrate(p: Float[ArrayLike, " n"], rule: str = "cauchy") -> Combined:
    """One integrated p-value from n (dependent) per-point p-values (spec §3.3).

    Args:
        p: ``(n,)`` p-values in [0, 1].
        rule: ``"cauchy"`` (ACAT, default), ``"hmp"``, ``"bonferroni"``, ``"simes"`` or
            ``"fisher"`` (module docstring).

    Returns:
        :class:`Combined` with the p-value (capped at 1) and its log10, which stays finite
        where the p-value itself underflows (use float64 for p-values below ~1e-38).

    References:
        Liu & Xie, "Cauchy combination test", JASA 115 (2020) 393–402; Wilson, "The harmonic
        mean p-value for combining dependent tests", PNAS 116 (2019) 1195–1200.

    >>> combined = integrate(jnp.array([0.01, 0.02, 0.5]))
    >>> round(float(combined.pvalue), 5)
    0.01999
    """
    _validate.check_choice("rule", rule, RULES)
    _validate.check_ndim("p", p, 1)
    if jnp.shape(p)[0] < 1:
        raise ValueError("p must hold at least one p-value, got an empty array")
    _validate.check_range("p", p, low=0.0, high=1.0)
    p = jnp.asarray(p)
    p = p if jnp.issubdtype(p.dtype, jnp.floating) else p.astype(jnp.result_type(float))
    return _combine_jit(p, rule)


def combine(p: Float[Array, " n"], rule: str) -> Combined:
    """:func:`integrate` without input checks (inside jitted pipelines)."""
    log_p = jnp.minimum(_RULES[rule](_clip(p)), 0.0)
    return Combined(jnp.exp(log_p), log_p / _LN10)


_combine_jit = jax.jit(combine, static_argnums=1)
