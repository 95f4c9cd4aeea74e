"""Simulated data of spec §6.2: the confounder design, random DAGs, and missingness.

Columns of :func:`simulate_confounder` are ``[Y, X, Z, W_1..W_q]``; the tested hypothesis is
X ⊥ Y | (Z, W) (indices 1, 0 and 2..q+2):

    W_j ~ N(0, 1),  Z = Σ_j a_j W_j + 0.6 ε,  X = c_x Z + ε,  Y = c_y Z + β X + ε,

with ``a_j = z_on_w / √q`` so that Z's variance does not depend on q. Missingness hits Z only:
MCAR P(miss) = ρ; MAR P(miss) = expit(s W_1 + logit ρ); MNAR (self-masking)
P(miss) = expit(s Z + logit ρ). The spec's C-null is q = 1, z_on_w = 0.8, c_x = c_y = 1, ρ = 0.4,
s = 2 (MAR) / 2.5 (MNAR).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from jaxpapers._typing import PRNGKey

__all__ = [
    "mnar_self_masking",
    "random_dag",
    "simulate_confounder",
    "simulate_sem",
]

MECHANISMS = ("none", "mcar", "mar", "mnar")


def _logit(rate):
    if isinstance(rate, float | int):
        return math.log(rate / (1.0 - rate))
    return jnp.log(rate / (1.0 - rate))


def simulate_confounder(
    key: PRNGKey,
    n: int,
    *,
    beta: float | Float[Array, ""] = 0.0,
    mechanism: str = "mnar",
    missing_rate: float | Float[Array, ""] = 0.4,
    strength: float | Float[Array, ""] | None = None,
    n_aux: int = 1,
    z_on_w: float | Float[Array, ""] = 0.8,
    x_on_z: float | Float[Array, ""] = 1.0,
    y_on_z: float | Float[Array, ""] = 1.0,
) -> Float[Array, "n p"]:
    """One data set of the confounder design (module docstring), NaN for missing Z.

    Args:
        key: randomness.
        n: rows.
        beta: effect of X on Y (0 under the null). Numeric arguments may be traced arrays.
        mechanism: ``"none"``, ``"mcar"``, ``"mar"`` or ``"mnar"``.
        missing_rate: ρ, the missing fraction at the centre of the logistic curve.
        strength: s, slope of the logistic missingness model (default 2 for MAR, 2.5 for MNAR).
        n_aux: q, number of auxiliary variables W.
        z_on_w: path coefficient W → Z (shared equally by the ``n_aux`` auxiliaries).
        x_on_z: path coefficient Z → X.
        y_on_z: path coefficient Z → Y.
    """
    if mechanism not in MECHANISMS:
        raise ValueError(f"mechanism must be one of {MECHANISMS}, got {mechanism!r}")
    if isinstance(missing_rate, float | int) and not 0.0 < missing_rate < 1.0:
        raise ValueError(f"missing_rate must be in (0, 1), got {missing_rate}")
    if n_aux < 1:
        raise ValueError(f"n_aux must be >= 1, got {n_aux}")
    strength = (2.0 if mechanism == "mar" else 2.5) if strength is None else strength
    key_w, key_z, key_x, key_y, key_m = jax.random.split(key, 5)
    aux = jax.random.normal(key_w, (n, n_aux))
    z = aux @ jnp.full((n_aux,), z_on_w / n_aux**0.5) + 0.6 * jax.random.normal(key_z, (n,))
    x = x_on_z * z + jax.random.normal(key_x, (n,))
    y = y_on_z * z + beta * x + jax.random.normal(key_y, (n,))
    data = jnp.concatenate([jnp.stack([y, x, z], axis=1), aux], axis=1)
    uniform = jax.random.uniform(key_m, (n,))
    offset = _logit(missing_rate)
    driver = {"none": None, "mcar": None, "mar": aux[:, 0], "mnar": z}[mechanism]
    if mechanism == "none":
        return data
    prob = (
        jnp.full((n,), missing_rate)
        if driver is None
        else jax.nn.sigmoid(strength * driver + offset)
    )
    return data.at[:, 2].set(jnp.where(uniform < prob, jnp.nan, z))


def random_dag(key: PRNGKey, p: int, expected_degree: float = 2.0) -> Float[Array, "p p"]:
    """Erdős–Rényi DAG in a fixed order: ``weights[i, j] ≠ 0`` means i → j (i < j).

    Edge probability ``expected_degree / (p − 1)``; weights ±U(0.5, 1.2) (spec §6.2).
    """
    key_edge, key_sign, key_size = jax.random.split(key, 3)
    upper = jnp.triu(jnp.ones((p, p), bool), k=1)
    edge = (jax.random.uniform(key_edge, (p, p)) < expected_degree / (p - 1)) & upper
    sign = jnp.where(jax.random.bernoulli(key_sign, 0.5, (p, p)), 1.0, -1.0)
    size = jax.random.uniform(key_size, (p, p), minval=0.5, maxval=1.2)
    return jnp.where(edge, sign * size, 0.0)


def simulate_sem(
    key: PRNGKey, weights: Float[Array, "p p"], n: int, *, nonlinear: bool = False
) -> Float[Array, "n p"]:
    """Sample the structural equation model of a DAG in topological (index) order, standardised.

    Linear: x_j = s_j + ε_j with s_j = Σ_i w_ij x_i. Non-linear (C-graph-nonlin):
    x_j = 1.5 tanh(s_j) + 0.3 s_j² sign(w_{first parent, j}) + ε_j.
    """
    p = weights.shape[0]
    noise = jax.random.normal(key, (n, p))
    first_parent = jnp.argmax(weights != 0, axis=0)
    first_sign = jnp.sign(weights[first_parent, jnp.arange(p)])
    has_parent = jnp.any(weights != 0, axis=0)

    def node(values, j):
        drive = values @ weights[:, j]
        if nonlinear:
            drive = 1.5 * jnp.tanh(drive) + 0.3 * drive**2 * first_sign[j]
            drive = jnp.where(has_parent[j], drive, 0.0)
        return values.at[:, j].set(drive + noise[:, j]), None

    values = jax.lax.scan(node, jnp.zeros((n, p)), jnp.arange(p))[0]
    mean = jnp.mean(values, axis=0, keepdims=True)
    return (values - mean) / jnp.std(values, axis=0, keepdims=True)


def mnar_self_masking(
    key: PRNGKey,
    data: Float[Array, "n p"],
    *,
    fraction_of_variables: float = 0.5,
    missing_rate: float = 0.3,
    strength: float = 4.0,
) -> Float[Array, "n p"]:
    """Self-masking MNAR on a random subset of variables: P(miss) = expit(s·x + logit ρ)."""
    n, p = data.shape
    key_vars, key_cells = jax.random.split(key)
    n_masked = int(round(fraction_of_variables * p))
    chosen = jax.random.permutation(key_vars, p)[:n_masked]
    masked_vars: Bool[Array, " p"] = jnp.zeros(p, bool).at[chosen].set(True)
    prob = jax.nn.sigmoid(strength * data + _logit(missing_rate))
    missing = (jax.random.uniform(key_cells, (n, p)) < prob) & masked_vars[None, :]
    return jnp.where(missing, jnp.nan, data)
