"""The equation-learner network: affine sums, signomial (power-product) units, operator units.

One network N: ℝⁿ → ℝ per equation (spec §2). With h⁽⁰⁾ = [1, x] and, for l = 1..L,

    s = W_s⁽ˡ⁾ h⁽ˡ⁻¹⁾                                  (affine sums)
    p_j = Π_r pow(h_r⁽ˡ⁻¹⁾, E_jr⁽ˡ⁾)                   (signomials; r over non-constant channels)
    q_j = g_j(W_q⁽ˡ⁾ h⁽ˡ⁻¹⁾)                           (operator units, g_j ∈ 𝒪)
    h⁽ˡ⁾ = [1, s, p, q],

the output is N(x) = cᵀ [h⁽ᴸ⁾, x] (read-out over the last layer plus a skip from the state).
The power unit is the real-valued product unit of Durbin & Rumelhart (1989),

    Π_r pow(h_r, e_r) = exp(Σ_r e_r log max(|h_r|, ε)) · cos(π Σ_r e_r 𝟙[h_r < 0]),

equal to Π_r h_r^{e_r} for integer exponents, smooth in e, finite at h = 0 (ε guard).
"""

from __future__ import annotations

import itertools

import numpy as np

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers._typing import PRNGKey
from jaxpapers.symbolic_regression._types import Config

__all__ = ["Layer", "Network", "init_network", "operator_fn", "signomial"]

_EXPONENT_JITTER = 0.01  # breaks the symmetry of units that start on the same monomial
_LOG_CLIP = 50.0  # exp of a log-sum above 50 overflows float32 soon after; clip (spec §2)


def operator_fn(name: str):
    """The JAX function of a named operator (:data:`OPERATORS`)."""
    return {
        "exp": lambda z: jnp.exp(jnp.minimum(z, _LOG_CLIP)),
        "sin": jnp.sin,
        "cos": jnp.cos,
        "tanh": jnp.tanh,
        "logistic": jax.nn.sigmoid,
    }[name]


def signomial(
    h: Float[Array, " d"], exponents: Float[Array, "m d"], guard: float = 1e-8
) -> Float[Array, " m"]:
    """Power-product units p_j = Π_r h_r^{E_jr} (real-valued product units).

    exp(clip(Σ_r E_jr log max(|h_r|, ε), ≤ 50)) · cos(π Σ_r E_jr 𝟙[h_r < 0]): exact for integer
    exponents (sign (−1)^e), smooth in E, with finite gradients at h = 0.

    Examples:
        >>> import jax.numpy as jnp
        >>> h = jnp.array([-2.0, 3.0])
        >>> p = signomial(h, jnp.array([[3.0, 0.0], [1.0, -1.0], [0.0, 0.5]]))
        >>> [round(float(v), 5) for v in p]
        [-8.0, -0.66667, 1.73205]
    """
    magnitude = jnp.log(jnp.maximum(jnp.abs(h), guard))
    negative = (h < 0).astype(h.dtype)
    log_size = jnp.minimum(exponents @ magnitude, _LOG_CLIP)
    return jnp.exp(log_size) * jnp.cos(jnp.pi * (exponents @ negative))


class Layer(eqx.Module):
    """One operational layer: weights of the sums, exponents of the signomials, operator weights.

    Attributes:
        sums: W_s, (m_s, d) over [1, h].
        exponents: E, (m_p, d − 1) over the non-constant channels of h.
        operator_weights: W_q, (m_q, d) over [1, h].
    """

    sums: Float[Array | np.ndarray, "ms d"]
    exponents: Float[Array | np.ndarray, "mp dm1"]
    operator_weights: Float[Array | np.ndarray, "mq d"]


class Network(eqx.Module):
    """The network of one equation (a pytree of its parameters; call it on one state).

    Attributes:
        layers: the L operational layers.
        readout: c over [h⁽ᴸ⁾, x].
        operators: the operator of each operator unit (static).
        max_exponent: exponents are clipped to ±max_exponent in the forward pass (static).
        guard: ε of the log guard (static).
    """

    layers: tuple[Layer, ...]
    readout: Float[Array | np.ndarray, " w"]
    operators: tuple[str, ...] = eqx.field(static=True)
    max_exponent: float = eqx.field(static=True)
    guard: float = eqx.field(static=True)

    def hidden(self, x: Float[Array, " n"]) -> list[Float[Array, " d"]]:
        """The activations h⁽⁰⁾..h⁽ᴸ⁾ for one state x (each starts with the constant 1)."""
        h = jnp.concatenate([jnp.ones(1, x.dtype), x])
        out = [h]
        for layer in self.layers:
            exponents = jnp.clip(layer.exponents, -self.max_exponent, self.max_exponent)
            pre = layer.operator_weights @ h
            q = [operator_fn(name)(pre[j]) for j, name in enumerate(self.operators)]
            q = jnp.stack(q) if q else jnp.zeros(0, x.dtype)
            p = signomial(h[1:], exponents, self.guard)
            h = jnp.concatenate([jnp.ones(1, x.dtype), layer.sums @ h, p, q])
            out.append(h)
        return out

    def __call__(self, x: Float[Array, " n"]) -> Float[Array, ""]:
        """N(x) for one state x."""
        return jnp.asarray(self.readout) @ jnp.concatenate([self.hidden(x)[-1], x])


def layer_widths(config: Config, n: int) -> list[int]:
    """Widths d_0..d_L of h⁽⁰⁾..h⁽ᴸ⁾ (each with its constant channel)."""
    unit = config.sums + config.products + config.operator_units * len(config.operators)
    return [1 + n] + [1 + unit] * config.depth


def num_candidate_terms(config: Config, n: int) -> int:
    """Width of the read-out [h⁽ᴸ⁾, x]: the terms the output combines linearly."""
    return layer_widths(config, n)[-1] + n


def monomials(inputs: int, degree: int) -> np.ndarray:
    """Integer exponent vectors e ≠ 0 with Σ_r |e_r| ≤ ``degree`` (negative entries included).

    Examples:
        >>> monomials(1, 2).ravel().tolist()
        [1, -1, 2, -2]
        >>> len(monomials(2, 2))
        12
    """
    rows = []
    for size in range(1, degree + 1):
        for channels in itertools.combinations(range(inputs), size):
            for values in itertools.product(range(-degree, degree + 1), repeat=size):
                if 0 not in values and sum(map(abs, values)) <= degree:
                    row = np.zeros(inputs, np.int32)
                    row[list(channels)] = values
                    rows.append(row)
    rows.sort(key=lambda r: (int(np.abs(r).sum()), tuple(-r)))
    return np.asarray(rows, np.int32).reshape(-1, inputs)


def _lattice_exponents(key: PRNGKey, units: int, positive, degree: int, dtype):
    """Each unit a random monomial Π h_r^{e_r} (Σ|e_r| ≤ degree), with negative exponents only
    on channels that are positive on the data (no poles inside the data). Every total degree
    Σ|e_r| is equally likely, then every allowed monomial of that degree (so low-degree units
    are not swamped by the many high-degree ones); units are distinct where there are enough,
    plus a small jitter that breaks ties."""
    table = monomials(positive.shape[0], degree)
    level = np.abs(table).sum(axis=1) - 1
    table = jnp.asarray(table)
    allowed = (~jnp.any((table < 0) & ~positive[None, :], axis=1)).astype(dtype)
    per_level = jax.ops.segment_sum(allowed, jnp.asarray(level), num_segments=degree)
    weights = allowed / per_level[level]
    weights = weights / jnp.sum(weights)
    key_pick, key_jitter = jax.random.split(key)
    distinct = jax.random.choice(key_pick, table.shape[0], (units,), replace=False, p=weights)
    repeated = jax.random.choice(key_pick, table.shape[0], (units,), replace=True, p=weights)
    chosen = jnp.where(jnp.sum(allowed) >= units, distinct, repeated)
    jitter = _EXPONENT_JITTER * jax.random.normal(key_jitter, (units, positive.shape[0]), dtype)
    return table[chosen].astype(dtype) + jitter


def init_network(
    key: PRNGKey,
    n: int,
    config: Config,
    dtype=jnp.float32,
    inputs: Float[Array, "M n"] | None = None,
) -> Network:
    """A network at its random initial point.

    ``config.init == "lattice"`` (default): sums, operator weights and the read-out
    N(0, init_scale²); each signomial unit starts on a random integer monomial of its inputs
    (:func:`_lattice_exponents`; Σ|e| ≤ ``initial_degree`` in the first layer, ≤ 2 deeper),
    with negative exponents only on channels positive on ``inputs`` (see the README for why).
    ``"normal"``: every weight, exponents included, N(0, init_scale²) (the inherited
    SymANNTEx scheme uses std 5e-4).

    Examples:
        >>> import jax
        >>> net = init_network(jax.random.key(0), 3, Config(depth=1))
        >>> net.layers[0].exponents.shape, net.readout.shape
        ((6, 3), (14,))
    """
    widths = layer_widths(config, n)
    operators = tuple(name for name in config.operators for _ in range(config.operator_units))
    keys = jax.random.split(key, 3 * config.depth + 1)
    inputs = jnp.ones((1, n), dtype) if inputs is None else inputs

    def draw(k, shape):
        return config.init_scale * jax.random.normal(k, shape, dtype)

    network = Network((), draw(keys[-1], (widths[-1] + n,)), operators, config.max_exponent,
                      config.log_guard)  # fmt: skip
    for l, d in enumerate(widths[:-1]):
        if config.init == "normal":
            exponents = draw(keys[3 * l + 1], (config.products, d - 1))
        else:
            hidden = jax.vmap(lambda x, net=network: net.hidden(x)[-1])(inputs)
            positive = jnp.all(hidden[:, 1:] > 0, axis=0)
            degree = config.initial_degree if l == 0 else min(config.initial_degree, 2)
            exponents = _lattice_exponents(
                keys[3 * l + 1], config.products, positive, degree, dtype
            )
        layer = Layer(draw(keys[3 * l], (config.sums, d)), exponents,
                      draw(keys[3 * l + 2], (len(operators), d)))  # fmt: skip
        network = Network(network.layers + (layer,), network.readout, operators,
                          config.max_exponent, config.log_guard)  # fmt: skip
    return network
