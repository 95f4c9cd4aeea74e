"""The simulation scenarios S1–S4 of spec §8.2 and their population truth β*.

Super-population with scalar X and Z, X ~ N(0, 1), ε_z, ε_y ~ N(0, 1):

* Z = 0.5 + 0.8X + 0.7ε_z (imputation right: Z | Y, X Gaussian, linear mean, constant
  variance) or Z = sin(2X) + 0.6X² + 0.7ε_z (imputation wrong for the linear working model);
* Y = 1 + X + Z + ε_y;
* a unit joins the target with probability expit(−1 + 0.8Y − 0.5X) (ratio right for
  φ = (1, y, x)) or expit(−1 + 0.6Y − 0.5X + 0.5Y² − 0.4XY) (ratio wrong).

S1: both right; S2: ratio wrong, imputation right; S3: ratio right, imputation wrong;
S4: both wrong. One data set draws 5(n_S + n_T) units (the spec says 20; 5 suffices: each
sample receives at least 31 % of the units in every scenario, so 5(n_S + n_T) units hold
≥ 1.5 times the rows either sample needs); the target is the first n_T
selected units and the source the first n_S units not selected. The truth β* is the target's
least-squares coefficient of Y on (1, X, Z), computed by Gauss–Hermite quadrature over
(X, ε_z, ε_y) (no sampling error; the spec's 4·10⁶-unit Monte Carlo agrees within its error).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers import _validate
from jaxpapers._typing import PRNGKey
from jaxpapers.transfer_regression._types import Truth

__all__ = ["SCENARIOS", "Scenario", "draw", "population", "scenario_spec", "simulate", "true_beta"]


class Scenario(NamedTuple):
    """Which working models of spec §8.2 are right in a scenario."""

    ratio_right: bool
    imputation_right: bool
    description: str


SCENARIOS = {
    "S1": Scenario(True, True, "both models right"),
    "S2": Scenario(False, True, "density ratio wrong, imputation right"),
    "S3": Scenario(True, False, "density ratio right, imputation wrong"),
    "S4": Scenario(False, False, "both models wrong"),
}

_OVERSAMPLE = 5


def scenario_spec(scenario: str) -> Scenario:
    _validate.check_choice("scenario", scenario, tuple(SCENARIOS))
    return SCENARIOS[scenario]


def _units(x, noise_z, noise_y, ratio_right, imputation_right, xp):
    """Z, Y and the selection probability of population draws (numpy or jax.numpy).

    The flags may be traced booleans: both variants are computed and one is selected, so
    a single compiled program serves every scenario.
    """
    z_linear = 0.5 + 0.8 * x + 0.7 * noise_z
    z_nonlinear = xp.sin(2.0 * x) + 0.6 * x**2 + 0.7 * noise_z
    z = xp.where(imputation_right, z_linear, z_nonlinear)
    y = 1.0 + x + z + noise_y
    logit_linear = -1.0 + 0.8 * y - 0.5 * x
    logit_quadratic = -1.0 + 0.6 * y - 0.5 * x + 0.5 * y**2 - 0.4 * x * y
    logit = xp.where(ratio_right, logit_linear, logit_quadratic)
    return z, y, 1.0 / (1.0 + xp.exp(-logit))


def population(key: PRNGKey, scenario: str, num_units: int):
    """``num_units`` population draws: (y, x, z, selected), each (num_units,)."""
    spec = scenario_spec(scenario)
    return _population(key, spec.ratio_right, spec.imputation_right, num_units)


def _population(key, ratio_right, imputation_right, num_units):
    key_noise, key_select = jax.random.split(key)
    x, noise_z, noise_y = jax.random.normal(key_noise, (3, num_units))
    z, y, prob = _units(x, noise_z, noise_y, ratio_right, imputation_right, jnp)
    return y, x, z, jax.random.uniform(key_select, (num_units,)) < prob


def _first(mask, size, *columns):
    """The first ``size`` rows where ``mask`` holds; NaN rows if fewer than ``size`` exist."""
    index = jnp.nonzero(mask, size=size, fill_value=0)[0]
    enough = jnp.sum(mask) >= size
    return [jnp.where(enough, c[index], jnp.nan) for c in columns]


def draw(key: PRNGKey, ratio_right, imputation_right, n_source: int, n_target: int):
    """:func:`simulate` with the scenario given as two (possibly traced) booleans."""
    y, x, z, selected = _population(
        key, ratio_right, imputation_right, _OVERSAMPLE * (n_source + n_target)
    )
    y_t, x_t = _first(selected, n_target, y, x)
    y_s, x_s, z_s = _first(~selected, n_source, y, x, z)
    return (y_s, x_s[:, None], z_s[:, None]), (y_t, x_t[:, None])


def simulate(
    key: PRNGKey, scenario: str, n_source: int, n_target: int
) -> tuple[tuple[Array, Array, Array], tuple[Array, Array]]:
    """One data set of scenario S1–S4 (module docstring, spec §8.2).

    Args:
        key: typed PRNG key.
        scenario: ``"S1"``, ``"S2"``, ``"S3"`` or ``"S4"``.
        n_source: sample sizes (static).
        n_target: see ``n_source``.

    Returns:
        ``source = (y, x, z)`` with shapes (n_S,), (n_S, 1), (n_S, 1) and
        ``target = (y, x)``. (All NaN in the vanishingly unlikely case that fewer than n
        of the 5(n_S + n_T) units fall in a sample.)

    Examples:
        >>> import jax
        >>> source, target = simulate(jax.random.key(0), "S1", 300, 200)
        >>> [a.shape for a in source], [a.shape for a in target]
        ([(300,), (300, 1), (300, 1)], [(200,), (200, 1)])
    """
    spec = scenario_spec(scenario)
    n_source = _validate.check_integer("n_source", n_source, minimum=1)
    n_target = _validate.check_integer("n_target", n_target, minimum=1)
    return draw(key, spec.ratio_right, spec.imputation_right, n_source, n_target)


def _quadrature_beta(spec: Scenario, nodes: int) -> np.ndarray:
    """β* = E_T[X̃X̃ᵀ]⁻¹E_T[X̃Y] with E_T[h] ∝ E[π(Y, X) h], on a nodes³ Gauss–Hermite grid."""
    t, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    x, noise_z, noise_y = (a.ravel() for a in np.meshgrid(t, t, t, indexing="ij"))
    weight = (w[:, None, None] * w[None, :, None] * w[None, None, :]).ravel()
    z, y, prob = _units(x, noise_z, noise_y, spec.ratio_right, spec.imputation_right, np)
    design = np.stack([np.ones_like(x), x, z])
    mass = weight * prob
    return np.linalg.solve((design * mass) @ design.T, (design * mass) @ y)


@functools.cache
def _truth(scenario: str) -> tuple[np.ndarray, np.ndarray]:
    spec = scenario_spec(scenario)
    coarse, fine = _quadrature_beta(spec, 60), _quadrature_beta(spec, 120)
    return fine, np.abs(fine - coarse)


def true_beta(scenario: str) -> Truth:
    """Population target coefficient β* of a scenario (computed once per scenario, cached).

    β* = E_T[X̃X̃ᵀ]⁻¹ E_T[X̃Y], X̃ = (1, X, Z), where E_T[h] = E[π(Y, X) h] / E[π(Y, X)]
    averages over the population weighted by the selection probability π. The expectations
    are 3-D Gauss–Hermite integrals over (X, ε_z, ε_y) with 120 nodes per axis; ``error``
    is the change from 60 nodes (below 1e-5, a bound on the 120-node error). Returned as
    float64 numpy arrays.

    Examples:
        >>> truth = true_beta("S1")
        >>> truth.beta.round(3).tolist(), bool(truth.error.max() < 1e-5)
        ([1.377, 0.962, 0.898], True)
    """
    beta, error = _truth(scenario)
    return Truth(beta.copy(), error.copy())


def target_truth(scenario: str, dtype) -> Float[Array, " d"]:
    """β* as a JAX array of ``dtype`` (for comparisons inside compiled code)."""
    return jnp.asarray(true_beta(scenario).beta, dtype)
