"""From trained parameters to SymPy: one symbolic forward pass, then terms (spec §4).

:func:`to_sympy` runs the layer equations of :class:`Network` on SymPy symbols x0, x1, …
(with the input and output scales of the fit folded in), using exact integers or rationals for
snapped exponents and :class:`sympy.Float` (the full double value) for every other weight. Where
every non-integer exponent acts on a channel that is positive on the data (what snapping
guarantees), the expression equals the network to rounding error.

:func:`split_terms` expands an expression into Σ_k c_k φ_k(x): c_k a number, φ_k a product of
powers and operator calls that may keep inner constants (e.g. (x0 + 0.3)⁻¹); bases of
non-integer or negative powers are normalised so that their first variable term has
coefficient 1, which moves their scale into c_k.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import sympy

from jaxpapers.symbolic_regression._network import Network
from jaxpapers.symbolic_regression._systems import symbols

__all__ = ["SYMPY_OPERATORS", "canonical", "split_terms", "to_sympy"]

SYMPY_OPERATORS = {
    "exp": sympy.exp,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tanh": sympy.tanh,
    "logistic": lambda z: 1 / (1 + sympy.exp(-z)),
}


def _number(value, lattice: float = 0.5) -> sympy.Expr:
    """An exact Integer/Rational for a lattice value (snapped exponent), else a Float."""
    value = float(value)
    if value == round(value):
        return sympy.Integer(round(value))
    if value / lattice == round(value / lattice):
        return sympy.Rational(round(value / lattice), round(1 / lattice))
    return sympy.Float(value)


def _affine(weights: np.ndarray, h: Sequence[sympy.Expr]) -> sympy.Expr:
    return sympy.Add(*[sympy.Float(float(w)) * v for w, v in zip(weights, h, strict=True) if w])


def _signomial(exponents: np.ndarray, h: Sequence[sympy.Expr], clip: float) -> sympy.Expr:
    factors = []
    for e, base in zip(np.clip(exponents, -clip, clip), h, strict=True):
        if e:
            factors.append(sympy.Pow(base, _number(e)))
    return sympy.Mul(*factors)


def to_sympy(
    network: Network,
    x_scale: Sequence[float] | np.ndarray,
    y_scale: float = 1.0,
    variables: Sequence[sympy.Symbol] | None = None,
) -> sympy.Expr:
    """The expression y_scale · N(x / x_scale) of one trained network (numpy parameters).

    Examples:
        >>> import jax, numpy as np
        >>> from jaxpapers.symbolic_regression._network import init_network
        >>> from jaxpapers.symbolic_regression._types import Config
        >>> net = init_network(jax.random.key(0), 2, Config(depth=1, sums=1, products=1))
        >>> net = jax.tree.map(np.asarray, net)
        >>> expr = to_sympy(net, [1.0, 1.0])
        >>> sorted(str(s) for s in expr.free_symbols)
        ['x0', 'x1']
    """
    n = len(x_scale)
    variables = symbols(n) if variables is None else tuple(variables)
    inputs = [v / sympy.Float(float(s)) for v, s in zip(variables, x_scale, strict=True)]
    h = [sympy.Integer(1), *inputs]
    for layer in network.layers:
        sums = [_affine(row, h) for row in np.asarray(layer.sums)]
        clip = network.max_exponent
        products = [_signomial(row, h[1:], clip) for row in np.asarray(layer.exponents)]
        ops = [
            SYMPY_OPERATORS[name](_affine(row, h))
            for name, row in zip(network.operators, np.asarray(layer.operator_weights), strict=True)
        ]
        h = [sympy.Integer(1), *sums, *products, *ops]
    out = _affine(np.asarray(network.readout), [*h, *inputs])
    return sympy.Float(float(y_scale)) * out


def _normalise_base(power: sympy.Pow) -> sympy.Expr:
    base, exponent = power.args
    if not isinstance(base, sympy.Add) or (exponent.is_Integer and exponent > 0):
        return power
    parts = sympy.Add.make_args(base)
    variable_terms = [t for t in parts if t.free_symbols]
    if not variable_terms:
        return power
    lead, monomial = variable_terms[0].as_coeff_Mul()
    if lead == 1 or lead == 0:
        return power
    others = [sympy.expand(t / lead) for t in parts if t is not variable_terms[0]]
    inner = sympy.Add(monomial, *others)  # the leading coefficient is exactly 1
    return sympy.Pow(lead, exponent) * sympy.Pow(inner, exponent)


def canonical(expr: sympy.Expr) -> sympy.Expr:
    """Expand, and normalise the bases of negative/non-integer powers (first variable term
    with coefficient 1), so equal functions get equal terms."""
    expanded = sympy.expand(expr)
    normalised = expanded.replace(lambda e: isinstance(e, sympy.Pow), _normalise_base)
    return cast(sympy.Expr, sympy.expand(normalised))


def split_terms(expr: sympy.Expr) -> list[tuple[float, sympy.Expr]]:
    """[(c_k, φ_k)] of the canonical expression, like terms merged, in a stable order."""
    merged: dict[sympy.Expr, float] = {}
    for term in sympy.Add.make_args(canonical(expr)):
        coefficient, factor = term.as_coeff_Mul()
        merged[factor] = merged.get(factor, 0.0) + float(coefficient)
    return [(c, f) for f, c in sorted(merged.items(), key=lambda kv: sympy.default_sort_key(kv[0]))]
