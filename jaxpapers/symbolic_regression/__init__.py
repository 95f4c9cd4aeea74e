"""Symbolic regression via neural networks (Boddupalli, Matchen & Moehlis, 2026).

Governing equations ẋ = f(x) written by a network: affine sums, signomial units Π_r h_r^{E_jr}
with trainable exponents and chosen unary operators (:class:`Network`), trained with three
sparsity penalties in three phases (:func:`train`), exponents snapped to the integers, written
out as SymPy by one symbolic forward pass (:func:`to_sympy`), then simplified and chosen with an
information criterion (:func:`simplify`, :func:`select_terms`). :func:`fit` runs the whole
pipeline and returns a :class:`SymbolicModel` whose ``predict`` is pure JAX.

>>> import jax, jax.numpy as jnp
>>> import jaxpapers.symbolic_regression as sr
>>> x = jnp.linspace(-2.0, 2.0, 200)[:, None]
>>> cfg = sr.Config(depth=1, sums=1, products=2, restarts=2, steps=600, half_period=100)
>>> model = sr.fit(jax.random.key(0), x, 3.0 * x**2 - 1.0, config=cfg)
>>> sr.compare(model.expressions, [3.0 * sr.symbols(1)[0] ** 2 - 1.0]).recovered
(True,)

The benchmark systems of the paper's kind (Lorenz, Lotka–Volterra, Duffing, Van der Pol,
Kepler, Michaelis–Menten, a logistic-gated model, logistic growth) are in :data:`SYSTEMS` and
are simulated with diffrax by :func:`simulate`.
"""

from jaxpapers.symbolic_regression._derivatives import savgol as savgol
from jaxpapers.symbolic_regression._derivatives import trajectory_rows as trajectory_rows
from jaxpapers.symbolic_regression._export import canonical as canonical
from jaxpapers.symbolic_regression._export import split_terms as split_terms
from jaxpapers.symbolic_regression._export import to_sympy as to_sympy
from jaxpapers.symbolic_regression._fit import fit as fit
from jaxpapers.symbolic_regression._metrics import Comparison as Comparison
from jaxpapers.symbolic_regression._metrics import compare as compare
from jaxpapers.symbolic_regression._model import SymbolicModel as SymbolicModel
from jaxpapers.symbolic_regression._model import from_expressions as from_expressions
from jaxpapers.symbolic_regression._network import Layer as Layer
from jaxpapers.symbolic_regression._network import Network as Network
from jaxpapers.symbolic_regression._network import init_network as init_network
from jaxpapers.symbolic_regression._network import monomials as monomials
from jaxpapers.symbolic_regression._network import num_candidate_terms as num_candidate_terms
from jaxpapers.symbolic_regression._network import signomial as signomial
from jaxpapers.symbolic_regression._penalties import l_half as l_half
from jaxpapers.symbolic_regression._penalties import operator_penalty as operator_penalty
from jaxpapers.symbolic_regression._penalties import poly_penalty as poly_penalty
from jaxpapers.symbolic_regression._penalties import smoothed_abs as smoothed_abs
from jaxpapers.symbolic_regression._reproduce import forecast as forecast
from jaxpapers.symbolic_regression._select import Selection as Selection
from jaxpapers.symbolic_regression._select import information_criterion as information_criterion
from jaxpapers.symbolic_regression._select import select_terms as select_terms
from jaxpapers.symbolic_regression._simplify import simplify as simplify
from jaxpapers.symbolic_regression._systems import SYSTEMS as SYSTEMS
from jaxpapers.symbolic_regression._systems import System as System
from jaxpapers.symbolic_regression._systems import Trajectories as Trajectories
from jaxpapers.symbolic_regression._systems import integrate as integrate
from jaxpapers.symbolic_regression._systems import simulate as simulate
from jaxpapers.symbolic_regression._systems import symbols as symbols
from jaxpapers.symbolic_regression._train import Problem as Problem
from jaxpapers.symbolic_regression._train import init_state as init_state
from jaxpapers.symbolic_regression._train import loss_fn as loss_fn
from jaxpapers.symbolic_regression._train import make_step as make_step
from jaxpapers.symbolic_regression._train import train as train
from jaxpapers.symbolic_regression._types import OPERATORS as OPERATORS
from jaxpapers.symbolic_regression._types import Config as Config
from jaxpapers.symbolic_regression._types import SelectionRow as SelectionRow
from jaxpapers.symbolic_regression._types import TrainInfo as TrainInfo
from jaxpapers.symbolic_regression._types import TrainState as TrainState
from jaxpapers.symbolic_regression._windows import window_means as window_means
from jaxpapers.symbolic_regression._windows import window_targets as window_targets


def citation() -> str:
    """BibTeX of the paper (arXiv preprint of the Chaos 2023 article)."""
    return """@article{boddupalli2026symbolic,
  title   = {Symbolic Regression via Neural Networks},
  author  = {Boddupalli, Nibodh and Matchen, Timothy and Moehlis, Jeff},
  journal = {arXiv preprint arXiv:2605.04337},
  year    = {2026},
  note    = {Published version: Chaos 33, 2023, doi:10.1063/5.0134464}
}"""
