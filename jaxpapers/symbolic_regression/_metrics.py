"""Compare a found expression with the truth: structure and constants (spec §6.2).

Both expressions are put in one canonical form (:func:`canonical` of the export, then partial
fractions in each variable that appears in a denominator, so that x/(K + x) and
1 − K/(K + x) agree); each term c·φ(x; θ) is keyed by its *skeleton*, φ with every numeric
constant replaced by a placeholder. The support is recovered when the skeleton sets are equal;
the coefficient error is max |ĉ − c|/|c| over every true constant (outer coefficients and inner
constants θ), a missing term counting as an error of 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import sympy

from jaxpapers.symbolic_regression._export import canonical, split_terms

__all__ = ["Comparison", "compare", "term_table"]

_PLACEHOLDER = sympy.Symbol("K")


def _partial_fractions(expr: sympy.Expr) -> sympy.Expr:
    for variable in sorted(expr.free_symbols, key=str):
        rational = any(
            isinstance(p.base, sympy.Add) and p.exp.is_negative and p.base.has(variable)
            for p in expr.atoms(sympy.Pow)
        )
        if rational and expr.is_rational_function(variable):
            expr = canonical(sympy.apart(expr, variable))
    return expr


def _skeleton(factor: sympy.Expr) -> tuple[str, tuple[float, ...]]:
    floats = sorted(factor.atoms(sympy.Float), key=sympy.default_sort_key)
    skeleton = factor.xreplace({f: _PLACEHOLDER for f in floats})
    return sympy.srepr(skeleton), tuple(float(f) for f in floats)


def term_table(expr: sympy.Expr) -> dict[str, tuple[float, tuple[float, ...], sympy.Expr]]:
    """skeleton → (outer coefficient, inner constants, term) of the canonical expression."""
    expr = _partial_fractions(canonical(sympy.sympify(expr)))
    table: dict[str, tuple[float, tuple[float, ...], sympy.Expr]] = {}
    for coefficient, factor in split_terms(expr):
        key, inner = _skeleton(factor)
        if key in table:  # same skeleton twice (different inner constants): keep the larger
            if abs(coefficient) <= abs(table[key][0]):
                continue
        table[key] = (coefficient, inner, factor)
    return table


class Comparison(NamedTuple):
    """Found vs true right-hand sides.

    Attributes:
        recovered: per equation, whether the term skeletons are exactly the true ones.
        error: max relative error over every true constant (missing terms count 1).
        false_positives: found terms that are not true terms (all equations).
        false_negatives: true terms that were not found.
        num_terms: terms in the found model (all equations).
    """

    recovered: tuple[bool, ...]
    error: float
    false_positives: int
    false_negatives: int
    num_terms: int


def _relative(found: float, true: float) -> float:
    return abs(found - true) / abs(true) if true else abs(found)


def compare(found: Sequence[sympy.Expr], truth: Sequence[sympy.Expr]) -> Comparison:
    """Structure and constant errors of ``found`` against ``truth`` (one expression per equation).

    Examples:
        >>> x0 = sympy.Symbol("x0", real=True)
        >>> compare([0.62 - 1.52 * x0 / (x0 + 0.29)], [0.6 - 1.5 * x0 / (x0 + 0.3)]).recovered
        (True,)
    """
    recovered, worst, fp, fn, count = [], 0.0, 0, 0, 0
    for got, want in zip(found, truth, strict=True):
        got_table, want_table = term_table(got), term_table(want)
        recovered.append(set(got_table) == set(want_table))
        fp += len(set(got_table) - set(want_table))
        fn += len(set(want_table) - set(got_table))
        count += len(got_table)
        for key, (coefficient, inner, _) in want_table.items():
            if key not in got_table:
                worst = max(worst, 1.0)
                continue
            found_coefficient, found_inner, _ = got_table[key]
            errors = [_relative(found_coefficient, coefficient)]
            errors += [_relative(a, b) for a, b in zip(found_inner, inner, strict=False)]
            worst = max(worst, *errors)
    return Comparison(tuple(recovered), worst, fp, fn, count)
