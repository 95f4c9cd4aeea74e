"""Sparse regression over libraries of terms you define: STLSQ, threshold sweeps, diagnostics.

Supports are boolean masks, never ragged index lists, so every function keeps static shapes and
can be ``jit``-ed and ``vmap``-ed (over thresholds, bootstrap weights, redraws of the rows).

>>> import jax.numpy as jnp
>>> from jaxpapers import sparse
>>> G = jnp.array([[1.0, 0.0, 0.1], [0.0, 1.0, 0.2], [1.0, 1.0, 0.0], [2.0, 0.5, 0.3]])
>>> fit = sparse.stlsq(G, G @ jnp.array([2.0, -1.0, 0.0]), 0.05)
>>> [round(float(c), 6) for c in fit.coefficients], [bool(s) for s in fit.support]
([2.0, -1.0, 0.0], [True, True, False])
"""

from jaxpapers.sparse._conditioning import Collinearity as Collinearity
from jaxpapers.sparse._conditioning import collinearity as collinearity
from jaxpapers.sparse._stlsq import SparseResult as SparseResult
from jaxpapers.sparse._stlsq import column_scales as column_scales
from jaxpapers.sparse._stlsq import masked_lstsq as masked_lstsq
from jaxpapers.sparse._stlsq import refit as refit
from jaxpapers.sparse._stlsq import stlsq as stlsq
from jaxpapers.sparse._sweep import SweepResult as SweepResult
from jaxpapers.sparse._sweep import distinct_supports as distinct_supports
from jaxpapers.sparse._sweep import mstls as mstls
from jaxpapers.sparse._sweep import threshold_sweep as threshold_sweep
