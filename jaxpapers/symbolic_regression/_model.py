"""The fitted model: SymPy expressions plus a pure JAX ``predict``."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import sympy

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from jaxpapers.symbolic_regression._export import split_terms
from jaxpapers.symbolic_regression._systems import symbols
from jaxpapers.symbolic_regression._types import SelectionRow

__all__ = ["SymbolicModel", "from_expressions"]


class SymbolicModel(eqx.Module):
    """ẋ = f(x) as closed-form expressions, one per state component.

    ``f_i(x) = Σ_k coefficients[i][k] · support[i][k](x)``. The model is an equinox module whose
    array leaves are the coefficients, so ``predict`` is a pure function of them: it can be
    ``jit``-ed, ``vmap``-ed and differentiated.

    Attributes:
        expressions: f_i as SymPy expressions in x0, x1, … (one per output column).
        support: per equation, the term functions φ_k (SymPy, inner constants included).
        coefficients: per equation, the outer coefficients c_k (arrays aligned with ``support``).
        converged: per equation, whether training of the chosen restart reached a plateau
            (data loss changed < 5 % over the last tenth of the steps) without failing.
        num_steps: training steps run.
        selection: per equation, the table of candidate models scored (spec §5).
        criteria: per equation, the information criterion of the chosen model.
    """

    expressions: tuple[sympy.Expr, ...] = eqx.field(static=True)
    support: tuple[tuple[sympy.Expr, ...], ...] = eqx.field(static=True)
    coefficients: tuple[Array, ...]  # one (k_i,) array per equation
    converged: Bool[Array, " n"]
    num_steps: int = eqx.field(static=True)
    selection: tuple[tuple[SelectionRow, ...], ...] = eqx.field(static=True)
    criteria: tuple[float, ...] = eqx.field(static=True)
    _terms: tuple[tuple[Callable, ...], ...] = eqx.field(static=True)

    def predict(self, x: Float[Array, "*batch n"]) -> Float[Array, "*batch n"]:
        """f(x) for a state (n,) or a batch (..., n); pure in the coefficients.

        Examples:
            >>> import jax, sympy
            >>> x0, x1 = sympy.symbols("x0 x1", real=True)
            >>> model = from_expressions((x1, -2.0 * x0 + 0.5 * x0**3))
            >>> model.predict(jax.numpy.array([1.0, 3.0])).tolist()
            [3.0, -1.5]
        """
        batch = x.shape[:-1]
        columns = [x[..., i] for i in range(x.shape[-1])]
        out = []
        for fns, coefficients in zip(self._terms, self.coefficients, strict=True):
            total = jnp.zeros(batch, x.dtype)
            for k, fn in enumerate(fns):
                total = total + coefficients[k].astype(x.dtype) * jnp.broadcast_to(
                    jnp.asarray(fn(*columns), x.dtype), batch
                )
            out.append(total)
        return jnp.stack(out, axis=-1)


def from_expressions(
    expressions: tuple[sympy.Expr, ...],
    converged=None,
    num_steps: int = 0,
    selection: tuple = (),
    criteria: tuple = (),
) -> SymbolicModel:
    """A :class:`SymbolicModel` from expressions in x0, x1, … (terms split by expansion)."""
    n = len(expressions)
    variables = symbols(n)
    # expressions may use plain x0 symbols: map them onto the real ones of this module
    rename = {sympy.Symbol(f"x{i}"): v for i, v in enumerate(variables)}
    expressions = tuple(cast(sympy.Expr, sympy.sympify(e).xreplace(rename)) for e in expressions)
    split = [split_terms(e) for e in expressions]
    support = tuple(tuple(f for _, f in terms) for terms in split)
    coefficients = tuple(jnp.asarray([c for c, _ in terms]) for terms in split)
    fns = tuple(
        tuple(sympy.lambdify(variables, f, modules="jax") for f in terms) for terms in support
    )
    converged = jnp.ones(n, bool) if converged is None else jnp.asarray(converged, bool)
    return SymbolicModel(
        expressions, support, coefficients, converged, num_steps, tuple(selection),
        tuple(criteria), fns,
    )  # fmt: skip
