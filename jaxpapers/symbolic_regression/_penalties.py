"""The three regularisers of the training loss (spec §3.2).

* smoothed L_{1/2} (Kim et al., IEEE TNNLS 2021): Σ_w √|w|_a with
  |w|_a = |w| for |w| ≥ a and −w⁴/(8a³) + 3w²/(4a) + 3a/8 inside (value and slope continuous);
* L_poly = Σ_jr sin²(π E_jr) (or sin²(2π E_jr) with half-integers): exponents to the lattice;
* L_ops = Σ_j (|c_{q_j}| + ‖W_q,j‖₁): every weight into or out of an operator unit.

L_poly and L_ops are named by the SymANNTEx follow-up paper without formulas; these are the
spec's proposed definitions.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from jaxpapers.symbolic_regression._network import Network

__all__ = ["l_half", "operator_penalty", "poly_penalty", "smoothed_abs"]


def smoothed_abs(w: Float[Array, ...], a: float) -> Float[Array, ...]:
    """|w|_a: |w| outside (−a, a), the quartic −w⁴/(8a³) + 3w²/(4a) + 3a/8 inside.

    Examples:
        >>> import jax.numpy as jnp
        >>> smoothed_abs(jnp.array([0.0, 0.5, -2.0]), 1.0).tolist()
        [0.375, 0.5546875, 2.0]
    """
    inner = -(w**4) / (8 * a**3) + 3 * w**2 / (4 * a) + 3 * a / 8
    return jnp.where(jnp.abs(w) >= a, jnp.abs(w), inner)


def l_half(network: Network, a: float) -> Float[Array, ""]:
    """Smoothed L_{1/2}: Σ √|w|_a over every weight (sums, exponents, operators, read-out)."""
    leaves = jax.tree.leaves(network)
    return jnp.sum(jnp.stack([jnp.sum(jnp.sqrt(smoothed_abs(w, a))) for w in leaves]))


def poly_penalty(network: Network, half_integers: bool = False) -> Float[Array, ""]:
    """L_poly = Σ sin²(π e) over the exponents (period ½ with ``half_integers``)."""
    frequency = 2.0 * jnp.pi if half_integers else jnp.pi
    terms = [jnp.sum(jnp.sin(frequency * layer.exponents) ** 2) for layer in network.layers]
    return jnp.sum(jnp.stack(terms))


def operator_penalty(network: Network) -> Float[Array, ""]:
    """L_ops = Σ_j (|c_{q_j}| + ‖W_q,j‖₁): weights into operator units and the weights that
    consume them downstream (next layer's sums, exponents and operators, or the read-out)."""
    total = jnp.zeros((), network.readout.dtype)
    num_ops = len(network.operators)
    if num_ops == 0:
        return total
    for index, layer in enumerate(network.layers):
        total = total + jnp.sum(jnp.abs(layer.operator_weights))
        width = 1 + layer.sums.shape[0] + layer.exponents.shape[0] + num_ops
        channels = slice(width - num_ops, width)  # q occupies the last channels of h⁽ˡ⁾
        if index + 1 < len(network.layers):
            nxt = network.layers[index + 1]
            consumers = [nxt.sums[:, channels], nxt.operator_weights[:, channels]]
            consumers.append(nxt.exponents[:, width - num_ops - 1 : width - 1])
        else:
            consumers = [network.readout[channels]]
        total = total + sum(jnp.sum(jnp.abs(c)) for c in consumers)
    return total
